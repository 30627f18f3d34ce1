from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CRUD, VIEW, perms

ROLE_PERMISSIONS = {
    Role.COUNTY: perms("market", "agencyprofile", VIEW, "change")
    | perms("market", "priceitem", VIEW)
    | perms("market", "casestory", *CRUD),
    Role.TOWN: perms("market", "casestory", VIEW, "add", "change"),
    Role.AGENCY: perms("market", "agencyprofile", VIEW, "change") | perms("market", "priceitem", *CRUD),
}

# The agency writes its own public profile and prices; hiding is the county's action (not a field).
# Case stories: towns and the county write them; status and publication go through the actions.
WRITABLE_FIELDS = {
    "agencyprofile": {Role.AGENCY: {"intro", "towns_served", "public_phone", "public_email"}},
    "priceitem": {Role.AGENCY: {"agency", "service_type", "item", "unit", "price_min", "price_max", "included"}},
    "casestory": {
        Role.COUNTY: {"title", "town", "summary", "text"},
        Role.TOWN: {"title", "summary", "text"},
    },
}
