from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL

APP = "inspections"

ROLE_PERMISSIONS = {
    # The county bureau plans, draws and inspects everywhere.
    Role.COUNTY: perms(APP, "inspectionplan", *CRUD)
    | perms(APP, "frequencyrule", *CRUD)
    | perms(APP, "officerconflict", *CRUD)
    | perms(APP, "plantarget", VIEW)
    | perms(APP, "targetdraw", VIEW, ADD)
    | perms(APP, "inspection", VIEW, ADD)
    | {"inspections.publish_inspection"},
    # A town office sees its plan and its targets, declares its officers' conflicts, and records and
    # publishes the inspections of its own town's enterprises.
    Role.TOWN: perms(APP, "inspectionplan", VIEW)
    | perms(APP, "frequencyrule", VIEW)
    | perms(APP, "officerconflict", VIEW, ADD, CHANGE)
    | perms(APP, "plantarget", VIEW)
    | perms(APP, "targetdraw", VIEW)
    | perms(APP, "inspection", VIEW, ADD)
    | {"inspections.publish_inspection"},
    # The inspected enterprise reads and confirms its own records (the action checks who it is).
    Role.ENTERPRISE: perms(APP, "inspection", VIEW),
}

WRITABLE_FIELDS = {
    "inspectionplan": {Role.COUNTY: ALL},
    "frequencyrule": {Role.COUNTY: ALL},
    "officerconflict": {Role.COUNTY: ALL, Role.TOWN: ALL},
    # Written only by their actions (inspections/actions.py).
    "targetdraw": {},
    "plantarget": {},
    "inspection": {},
}
