from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

APP = "subsidies"
OVERVIEW = {f"{APP}.view_subsidyoverview"}

ROLE_PERMISSIONS = {
    # The county sees every town's policies, applications and the summary; it decides nothing.
    Role.COUNTY: OVERVIEW | perms(APP, "subsidypolicy", VIEW) | perms(APP, "subsidyapplication", VIEW),
    # A town publishes its own policy, decides its applications and records the payments.
    Role.TOWN: OVERVIEW
    | perms(APP, "subsidypolicy", *CRUD)
    | {f"{APP}.publish_subsidypolicy"}
    | perms(APP, "subsidyapplication", VIEW)
    | {f"{APP}.decide_subsidyapplication"},
    # An enterprise reads its town's published policy and applies for its own contracts.
    Role.ENTERPRISE: perms(APP, "subsidypolicy", VIEW) | perms(APP, "subsidyapplication", VIEW, ADD),
}

# A town writes its draft policy (the town only when creating it: it is its own); the status moves
# through actions.policy_step. Applications are written only by their actions.
WRITABLE_FIELDS = {
    "subsidypolicy": {Role.TOWN: {"add": ALL, "change": Except({"town"})}},
    "subsidyapplication": {},
}
