from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, DELETE, VIEW, perms
from safeserve.core.fieldperms import Except

APP = "supervision"
FILE = {f"{APP}.view_agencyfile"}

ROLE_PERMISSIONS = {
    # The county records notices, runs the sampling rounds, re-checks and proposes listings.
    Role.COUNTY: FILE
    | perms(APP, "practicenotice", *CRUD)
    | {f"{APP}.record_practicenotice"}
    | perms(APP, "samplinground", VIEW, ADD)
    | perms(APP, "samplingdraw", VIEW)
    | perms(APP, "sampleditem", VIEW, "recheck", CHANGE)
    | perms(APP, "recheck", VIEW, ADD)
    | perms(APP, "misconductfinding", VIEW, ADD),
    # A town officer sees the notices and the sampled visits of its own town and may re-check them.
    Role.TOWN: FILE
    | perms(APP, "practicenotice", VIEW)
    | perms(APP, "samplinground", VIEW)
    | perms(APP, "sampleditem", VIEW, "recheck")
    | perms(APP, "recheck", VIEW, ADD)
    | perms(APP, "misconductfinding", VIEW),
    # The agency files its own notices and sees its own file and sampling results.
    Role.AGENCY: FILE
    | perms(APP, "practicenotice", VIEW, ADD, CHANGE, DELETE)
    | perms(APP, "samplinground", VIEW)
    | perms(APP, "samplingdraw", VIEW)
    | perms(APP, "sampleditem", VIEW)
    | perms(APP, "recheck", VIEW),
    # An expert the county assigns to a sampled visit records its re-check.
    Role.EXPERT: perms(APP, "samplinground", VIEW)
    | perms(APP, "sampleditem", VIEW, "recheck")
    | perms(APP, "recheck", VIEW, ADD),
}

# The generic form writes a notice's content; its status and the county's registration only move
# through actions.notice_decide. Rounds, draws, items, re-checks and findings have their own actions.
WRITABLE_FIELDS = {
    "practicenotice": {
        Role.COUNTY: Except({"status", "recorded_by", "recorded_at", "return_reason"}),
        Role.AGENCY: Except({"status", "recorded_by", "recorded_at", "return_reason"}),
    },
    "samplinground": {},
    "samplingdraw": {},
    "sampleditem": {},
    "recheck": {},
    "misconductfinding": {},
}
