from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL

APP = "credit"
FACTS = perms(APP, "accident", *CRUD) | perms(APP, "penalty", *CRUD) | perms(APP, "commitment", *CRUD)

# Who reads which rows is each model's scope_q; who takes which step of a listing is transitions.py.
ROLE_PERMISSIONS = {
    Role.COUNTY: FACTS
    | perms(APP, "ruletable", *CRUD)
    | perms(APP, "creditgrade", VIEW)
    | perms(APP, "listing", VIEW, "add", "change"),
    # A town records accidents, penalties and commitment checks of its own enterprises and reads their
    # grades and listings; the rule tables are the county's, read by towns.
    Role.TOWN: FACTS | perms(APP, "ruletable", VIEW) | perms(APP, "creditgrade", VIEW) | perms(APP, "listing", VIEW),
    # An enterprise reads its own facts, grade and listing; it objects and asks for credit repair
    # through the listing's steps (transitions.PARTY).
    Role.ENTERPRISE: perms(APP, "accident", VIEW)
    | perms(APP, "penalty", VIEW)
    | perms(APP, "commitment", VIEW)
    | perms(APP, "creditgrade", VIEW)
    | perms(APP, "listing", VIEW),
    Role.AGENCY: perms(APP, "penalty", VIEW) | perms(APP, "creditgrade", VIEW) | perms(APP, "listing", VIEW),
}

# Which fields each role may write (core.fieldperms). A commitment's outcome only by its check
# (commitment_check); a listing's state, dates and documents only by its steps; grades by nobody.
FACT_WRITERS = {Role.COUNTY: ALL, Role.TOWN: ALL}
WRITABLE_FIELDS = {
    "accident": FACT_WRITERS,
    "penalty": {Role.COUNTY: ALL, Role.TOWN: ALL},
    "commitment": {
        Role.COUNTY: {"enterprise", "year", "content", "signed_on"},
        Role.TOWN: {"enterprise", "year", "content", "signed_on"},
    },
    "ruletable": {Role.COUNTY: ALL},
    "creditgrade": {},
    "listing": {
        Role.COUNTY: {
            "add": {"subject", "enterprise", "agency", "situation", "accident", "penalty", "facts"},
            "change": {"situation", "accident", "penalty", "facts"},
        }
    },
}
