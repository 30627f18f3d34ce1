from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, DELETE, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

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
    | perms(APP, "pendingphoto", VIEW, ADD)
    | perms(APP, "visitrating", VIEW),
}

# Which fields each role may write (core.fieldperms). A contract's state moves only through its
# transitions and its signed scan only through contract_attach_scan; an enterprise pays for its own contracts and never names a paying town. Visits and
# ratings are written only by their own actions (visit_record, visit_rate), never by a generic door.
BY_TRANSITION = Except({"status", "terminated_on", "scan", "scan_sha256", "scan_name"})
WRITABLE_FIELDS = {
    "servicecontract": {
        Role.COUNTY: BY_TRANSITION,
        Role.TOWN: BY_TRANSITION,
        Role.ENTERPRISE: Except(BY_TRANSITION | {"payer_town"}),
    },
    "checklisttemplate": {Role.COUNTY: ALL},
    "checklistitem": {Role.COUNTY: ALL},
    "servicevisit": {},
    "visitrating": {},
    # Photos chosen on the visit form (pending_photo_add) and the enterprise's confirmation
    # (visit_confirm_*) are written only by their actions.
    "pendingphoto": {},
}
