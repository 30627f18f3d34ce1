from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL

APP = "coverage"
# Coverage figures and the work list: the county for the whole county, a town officer for the own
# town (Enterprise.scope_q). Targets: the county sets them; a town reads the county's and its own.
ROLE_PERMISSIONS = {
    Role.COUNTY: {"coverage.view_coverage"}
    | perms(APP, "coveragetarget", *CRUD)
    | perms(APP, "coveragesnapshot", VIEW),
    Role.TOWN: {"coverage.view_coverage"} | perms(APP, "coveragetarget", VIEW) | perms(APP, "coveragesnapshot", VIEW),
}

WRITABLE_FIELDS = {
    "coveragetarget": {Role.COUNTY: ALL},
    "coveragesnapshot": {},  # written only by the snapshot job and command
}
