"""Every hazards route × every persona, from expectations written from the policy."""

import pytest

from safeserve.core.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests
from safeserve.hazards import views as v
from safeserve.services.testing import extend_world


@pytest.fixture
def world(world):
    return extend_world(world)


CASES = [
    # The catalogue of 重大事故隐患判定标准: reference data every working role reads; the county maintains it.
    PermissionCase(
        v.CRITERION,
        "criterion_a",
        "criterion_b",
        api_prefix="/api/v1/hazards/criteria/",
        label="code",
        view=dict.fromkeys(("county", "town_a", "town_b", "ent_a", "agency_a"), "ab"),
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)


def _pk(key):
    return lambda w: [w[key].pk]


WORKING = {"county", "town_a", "town_b", "ent_a", "agency_a"}  # hold the hazard permissions
PARTIES = {"county", "town_a", "ent_a", "agency_a"}  # see ent_a's hazards (agency_a serves ent_a)
ROUTE_CHECKS = [
    RouteCheck("hazards:hazard_list", WORKING),
    RouteCheck("hazards:hazard_add", WORKING),
    RouteCheck("hazards:ledger", WORKING),
    RouteCheck("hazards:statistics", WORKING),
    RouteCheck("hazards:hazard_detail", PARTIES, _pk("hazard_a")),
    RouteCheck("hazards:hazard_notice", PARTIES, _pk("hazard_a")),
    RouteCheck("hazards:hazard_photo", PARTIES, _pk("hazard_photo")),
    # Every party may write the 治理方案 of a reported major hazard (hazards/transitions.py).
    RouteCheck("hazards:hazard_plan", PARTIES, _pk("hazard_major")),
    RouteCheck("hazards:hazard_action", PARTIES, lambda w: [w["hazard_a"].pk, "start"], method="post", ok=(302,)),
    RouteCheck("hazard-list", WORKING),
    RouteCheck("hazard-detail", PARTIES, _pk("hazard_a")),
    RouteCheck("hazard-step", PARTIES, _pk("hazard_a"), method="post", ok=(400,)),
    RouteCheck("hazard-plan", PARTIES, _pk("hazard_major"), method="put", ok=(400,)),
    RouteCheck("hazard-evidence", PARTIES, _pk("hazard_a"), method="post", ok=(400,)),
]
test_routes = route_tests(ROUTE_CHECKS)
