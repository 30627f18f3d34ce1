from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

APP = "hazards"
HANDLE = perms(APP, "hazard", VIEW, ADD, CHANGE) | perms(APP, "remediationplan", VIEW, ADD, CHANGE)
CATALOGUE = perms(APP, "majorhazardcriterion", VIEW)

# Which step each party may take is hazards/transitions.py; these only open the door.
ROLE_PERMISSIONS = {
    Role.COUNTY: HANDLE | perms(APP, "majorhazardcriterion", *CRUD),
    Role.TOWN: HANDLE | CATALOGUE,
    Role.ENTERPRISE: HANDLE | CATALOGUE,
    Role.AGENCY: HANDLE | CATALOGUE,
}

# Which fields each role may write (core.fieldperms). A hazard is written once by hazard_report and
# then only by its transitions (hazards/transitions.py); its plan by whoever may take "plan".
WRITABLE_FIELDS = {
    "majorhazardcriterion": {Role.COUNTY: ALL},
    "hazard": {},
    "remediationplan": {role: Except({"hazard"}) for role in (Role.COUNTY, Role.TOWN, Role.ENTERPRISE, Role.AGENCY)},
}
