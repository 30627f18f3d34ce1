"""Permission checks for the platform shell: the home page (the inbox is notifications')."""

from safeserve_dev import permsuite
from safeserve_dev.permsuite import RouteCheck, route_tests

LOGGED_IN = ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")

world = permsuite.shared_world()

ROUTE_CHECKS = [
    # The home page: each role's own numbers. Which numbers is each app's business (their
    # home_summary tests); here: every logged-in user has one, the anonymous one logs in first.
    RouteCheck("home", dict.fromkeys(LOGGED_IN, ""), no_rows="cards of counts and charts, no rows of records"),
]

test_routes = route_tests(ROUTE_CHECKS)
