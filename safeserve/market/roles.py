from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL

ROLE_PERMISSIONS = {
    Role.COUNTY: perms("market", "agencyprofile", VIEW, "change")
    | perms("market", "priceitem", VIEW)
    | perms("market", "casestory", *CRUD)
    | perms("market", "need", VIEW)
    | perms("market", "quote", VIEW)
    | perms("market", "quotemessage", VIEW)
    | perms("market", "bar", *CRUD),
    Role.TOWN: perms("market", "casestory", VIEW, "add", "change")
    | perms("market", "need", VIEW)
    | perms("market", "quote", VIEW)
    | perms("market", "quotemessage", VIEW),
    Role.ENTERPRISE: perms("market", "need", VIEW, "add", "change")
    | perms("market", "quote", VIEW, "change")
    | perms("market", "quotemessage", VIEW, "add"),
    Role.AGENCY: perms("market", "agencyprofile", VIEW, "change")
    | perms("market", "priceitem", *CRUD)
    | perms("market", "need", VIEW)
    | perms("market", "quote", VIEW, "add", "change")
    | perms("market", "quotemessage", VIEW, "add"),
}

# The agency writes its own public profile and prices; hiding is the county's action (not a field).
# Case stories: towns and the county write them; status and publication go through the actions.
# Needs: the enterprise writes what it publishes; its town, industry and size come from the register.
# Quotes: the agency writes its terms; status, acceptance and confirmations go through the actions.
WRITABLE_FIELDS = {
    "agencyprofile": {Role.AGENCY: {"intro", "towns_served", "public_phone", "public_email"}},
    "priceitem": {Role.AGENCY: {"agency", "service_type", "item", "unit", "price_min", "price_max", "included"}},
    "casestory": {
        Role.COUNTY: {"title", "town", "summary", "text"},
        Role.TOWN: {"title", "summary", "text"},
    },
    "need": {
        Role.ENTERPRISE: {
            "service_types",
            "scope",
            "visits_per_year",
            "start_date",
            "end_date",
            "budget_min",
            "budget_max",
            "open_to_all",
            "invited",
            "show_name",
        },
    },
    "quote": {Role.AGENCY: {"price", "visits_per_year", "items", "staff", "plan", "valid_until"}},
    "quotemessage": {Role.ENTERPRISE: {"text"}, Role.AGENCY: {"text"}},
    "bar": {Role.COUNTY: ALL},
}
