"""Permission checks for the platform shell: the home page and the autocomplete endpoints (the inbox
is notifications')."""

from safeserve_dev import permsuite
from safeserve_dev.permsuite import RouteCheck, route_tests

LOGGED_IN = ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")

world = permsuite.shared_world()

ROUTE_CHECKS = [
    # The home page: each role's own numbers. Which numbers is each app's business (their
    # home_summary tests); here: every logged-in user has one, the anonymous one logs in first.
    RouteCheck("home", dict.fromkeys(LOGGED_IN, ""), no_rows="cards of counts and charts, no rows of records"),
]

# Autocomplete (filters choose records by name): exactly the records the persona may see in the
# register itself (registry/services test_permissions), never another town's names. JSON by id.
ROUTE_CHECKS += [
    RouteCheck(
        "autocomplete",
        {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "assoc_a": "a", "agency_a": ""},
        "ent_a",
        "ent_b",
        url_args=["enterprise"],
        kind="json",
        name="autocomplete:enterprise",
    ),
    RouteCheck(
        "autocomplete",
        {
            "county": "ab",
            "town_a": "ab",
            "town_b": "ab",
            "ent_a": "ab",
            "insurer_a": "ab",
            "assoc_a": "ab",
            "agency_a": "a",
        },
        "agency_a",
        "agency_b",
        url_args=["agency"],
        kind="json",
        name="autocomplete:agency",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
