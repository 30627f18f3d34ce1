from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms

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
