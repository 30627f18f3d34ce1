from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

APP = "hazards"
HANDLE = (
    perms(APP, "hazard", VIEW, ADD, CHANGE)
    | perms(APP, "remediationplan", VIEW, ADD, CHANGE)
    | perms(APP, "hazardextension", VIEW, ADD, CHANGE)
    | perms(APP, "issuednotice", VIEW, ADD)
)
CATALOGUE = perms(APP, "majorhazardcriterion", VIEW)

# Which step each party may take is hazards/transitions.py; these only open the door.
ROLE_PERMISSIONS = {
    Role.COUNTY: HANDLE | perms(APP, "majorhazardcriterion", *CRUD),
    Role.TOWN: HANDLE | CATALOGUE,
    Role.ENTERPRISE: HANDLE | CATALOGUE,
    Role.AGENCY: HANDLE | CATALOGUE,
    # An industry association reads its member enterprises' hazards (互查 and help among members);
    # it takes no step (hazards/transitions.py names no association party).
    Role.ASSOCIATION: perms(APP, "hazard", VIEW),
}

# Which fields each role may write (core.fieldperms). A hazard is written once by hazard_report and
# then only by its transitions (hazards/transitions.py); its plan by whoever may take "plan".
WRITABLE_FIELDS = {
    "majorhazardcriterion": {Role.COUNTY: ALL},
    "hazard": {},
    # Written only by their actions (hazard_request_extension / hazard_decide_extension,
    # hazard_issue_notice): no role writes a field of them through a form or the API.
    "hazardextension": {},
    "issuednotice": {},
    "remediationplan": {role: Except({"hazard"}) for role in (Role.COUNTY, Role.TOWN, Role.ENTERPRISE, Role.AGENCY)},
}
