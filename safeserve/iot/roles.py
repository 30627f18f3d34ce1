from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL

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

# Which fields each role may write (core.fieldperms). Alarm thresholds, the reporting interval, the
# rated current (the over-current threshold), the profile and whether a device is monitored at all
# are the officers': an enterprise must not silence its own alarms. It registers its devices and keeps
# their names and places. Alarms move only through their actions.
DEVICE_BASICS = {"name", "place", "circuit", "device_model"}
WRITABLE_FIELDS = {
    "deviceprofile": {Role.COUNTY: ALL},
    "device": {
        Role.COUNTY: ALL,
        Role.TOWN: ALL,
        Role.ENTERPRISE: {"add": DEVICE_BASICS | {"enterprise", "code", "rated_current_a"}, "change": DEVICE_BASICS},
    },
    "alarm": {},
}
