from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CHANGE, VIEW, perms

APP = "tipoffs"

# Reading a report's substance: every county officer, and a town for the reports assigned to it
# (models._tipoff_scope). Handling and the reporter's identity need ``tipoffs.handle_tipoff`` on top,
# granted per county officer (actions.handler_set, the 举报受理人员 page), never by role alone.
ROLE_PERMISSIONS = {
    Role.COUNTY: perms(APP, "tipoff", VIEW, CHANGE)
    | perms(APP, "tipoffattachment", VIEW)
    | perms(APP, "tipoffsupplement", VIEW)
    | perms(APP, "tipoffreward", VIEW, CHANGE)
    | perms(APP, "identityaccess", VIEW),
    Role.TOWN: perms(APP, "tipoff", VIEW, CHANGE)
    | perms(APP, "tipoffattachment", VIEW)
    | perms(APP, "tipoffsupplement", VIEW),
}

# Every write goes through the actions (public doors and the handling table): no field is written
# through a generic form or the API by anyone.
WRITABLE_FIELDS = {
    "tipoff": {},
    "tipoffattachment": {},
    "tipoffsupplement": {},
    "tipoffreward": {},
    "identityaccess": {},
    "trackingattempt": {},
}
