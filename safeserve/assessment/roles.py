from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms

APP = "assessment"
READ = (
    perms(APP, "scheme", VIEW)
    | perms(APP, "indicator", VIEW)
    | perms(APP, "assessment", VIEW)
    | perms(APP, "sheet", VIEW)
    | perms(APP, "score", VIEW)
    | perms(APP, "objection", VIEW)
    | perms(APP, "objectionfile", VIEW)
)

# Which step each party may take is assessment/transitions.py; these only open the door. Rows:
# the county every sheet; a town officer its own town's sheet only, agency staff their agency's
# (models.subject_q).
TOWN_MENU = {f"{APP}.view_town_assessment"}

ROLE_PERMISSIONS = {
    Role.COUNTY: READ
    | TOWN_MENU
    | perms(APP, "scheme", *CRUD)
    | perms(APP, "indicator", *CRUD)
    | perms(APP, "assessment", VIEW, ADD, CHANGE)
    | perms(APP, "sheet", VIEW, CHANGE)
    | perms(APP, "score", VIEW, CHANGE)
    | perms(APP, "objection", VIEW, CHANGE),
    Role.TOWN: READ | TOWN_MENU | perms(APP, "objection", ADD),
    # An agency: the agency grading (年度服务机构考评) — its own sheet only, and objects on it.
    Role.AGENCY: READ | perms(APP, "objection", ADD),
}

# Every record here is written by its action only (assessment/actions.py), never through a form of
# its fields or the API: no role writes a field directly.
WRITABLE_FIELDS = {
    "scheme": {},
    "indicator": {},
    "assessment": {},
    "sheet": {},
    "score": {},
    "objection": {},
    "objectionfile": {},
}
