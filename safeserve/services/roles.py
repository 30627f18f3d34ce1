from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, DELETE, VIEW, perms

APP = "services"
REFERENCE = perms(APP, "checklisttemplate", VIEW) | perms(APP, "checklistitem", VIEW)

ROLE_PERMISSIONS = {
    Role.COUNTY: perms(APP, "servicecontract", *CRUD)
    | perms(APP, "checklisttemplate", *CRUD)
    | perms(APP, "checklistitem", *CRUD)
    | perms(APP, "servicevisit", VIEW)
    | perms(APP, "visitrating", VIEW),
    Role.TOWN: REFERENCE
    | perms(APP, "servicecontract", *CRUD)
    | perms(APP, "servicevisit", VIEW)
    | perms(APP, "visitrating", VIEW),
    Role.ENTERPRISE: REFERENCE
    | perms(APP, "servicecontract", VIEW, ADD, CHANGE, DELETE)
    | perms(APP, "servicevisit", VIEW)
    | perms(APP, "visitrating", VIEW, ADD, CHANGE),
    # Agency staff see the enterprises they serve (Enterprise.scope_q) and record visits.
    Role.AGENCY: REFERENCE
    | perms("registry", "enterprise", VIEW)
    | perms(APP, "servicecontract", VIEW)
    | perms(APP, "servicevisit", VIEW, ADD)
    | perms(APP, "visitrating", VIEW),
}
