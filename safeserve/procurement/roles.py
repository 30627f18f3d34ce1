from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, VIEW, perms

APP = "procurement"

BUYER = (
    perms(APP, "project", VIEW, ADD, CHANGE)
    | perms(APP, "bid", VIEW, ADD)
    | perms(APP, "evaluation", VIEW, ADD)
    | perms(APP, "payment", VIEW, ADD)
    | perms(APP, "scheme", VIEW)
)

ROLE_PERMISSIONS = {
    # The county buys for the county and oversees every town's purchases; a town buys for itself.
    Role.COUNTY: BUYER,
    Role.TOWN: BUYER,
    # A supplier reads the projects it bid on (its own bid) and, once it won, the evaluation and payments.
    Role.AGENCY: perms(APP, "project", VIEW)
    | perms(APP, "bid", VIEW)
    | perms(APP, "evaluation", VIEW)
    | perms(APP, "payment", VIEW)
    | perms(APP, "scheme", VIEW),
}

# Which fields each role may write (core.fieldperms). Projects are written only through
# actions.project_save (its own form, draft only) and their steps; bids, the award, the evaluation
# and payments only through their actions. No generic door writes any of them.
PROJECT_FORM = {
    "name",
    "buyer_kind",
    "buyer_town",
    "year",
    "budget",
    "service_type",
    "subject",
    "description",
    "target_mode",
    "target_codes",
    "target_town",
    "target_industry",
    "target_sizes",
    "method",
    "start_date",
    "term_months",
    "stable_justification",
    "visits_per_year",
}
WRITABLE_FIELDS = {
    "project": {Role.COUNTY: PROJECT_FORM, Role.TOWN: PROJECT_FORM - {"buyer_kind", "buyer_town", "target_town"}},
    "bid": {},
    "evaluation": {},
    "payment": {},
    "scheme": {},
}
