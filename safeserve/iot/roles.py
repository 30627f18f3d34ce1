from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms

APP = "iot"
WATCH = perms(APP, "deviceprofile", VIEW) | perms(APP, "device", VIEW) | perms(APP, "alarm", VIEW, CHANGE)

ROLE_PERMISSIONS = {
    Role.COUNTY: perms(APP, "deviceprofile", *CRUD)
    | perms(APP, "device", *CRUD)
    | perms(APP, "alarm", VIEW, CHANGE)
    | perms(APP, "deadletter", VIEW),
    Role.TOWN: WATCH | perms(APP, "device", ADD, CHANGE, "delete"),
    Role.ENTERPRISE: WATCH | perms(APP, "device", ADD, CHANGE),
    # An agency sees (and handles) only the devices of the enterprises it is contracted to.
    Role.AGENCY: WATCH,
}
