from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

APP = "associations"
READ = perms(APP, "campaign", VIEW) | perms(APP, "campaigngroup", VIEW) | perms(APP, "mutualinspection", VIEW)

# Which rows is models.*.scope_q: an association its own members and campaigns; a member enterprise
# the campaigns it is grouped in and the inspections it made or received; a town its enterprises'.
ROLE_PERMISSIONS = {
    Role.COUNTY: READ | perms(APP, "membership", VIEW, ADD, CHANGE),
    Role.TOWN: READ | perms(APP, "membership", VIEW),
    Role.ENTERPRISE: READ | perms(APP, "membership", VIEW) | perms(APP, "mutualinspection", ADD),
    Role.ASSOCIATION: perms(APP, "membership", VIEW, ADD, CHANGE)
    | perms(APP, "campaign", *CRUD)
    | perms(APP, "campaigngroup", *CRUD)
    | perms(APP, "mutualinspection", VIEW)
    | perms("services", "checklisttemplate", VIEW)
    | perms("services", "checklistitem", VIEW),
    Role.EXPERT: READ,
}

# Memberships are opened by membership_join (association and enterprise are set by the action) and
# then only end (left_on) or change their note; inspections are written only by inspection_record.
WRITABLE_FIELDS = {
    "membership": {Role.COUNTY: {"left_on", "note"}, Role.ASSOCIATION: {"left_on", "note"}},
    "campaign": {Role.ASSOCIATION: Except({"association"})},
    "campaigngroup": {Role.ASSOCIATION: ALL},
    "mutualinspection": {},
}
