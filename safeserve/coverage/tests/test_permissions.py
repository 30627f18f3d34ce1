"""Every coverage route × every persona: rows and forged writes, from expectations written from the
policy: the county sees the whole county, a town officer only the own town; no other role."""

from decimal import Decimal

from django.utils import timezone

from safeserve.coverage import views as v
from safeserve.coverage.models import CoverageTarget
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests, widening_tests

OFFICERS = {"county": "ab", "town_a": "a", "town_b": "b"}


def _targets(world):
    year = timezone.localdate().year
    o = world.objs
    o["target_a"] = CoverageTarget.objects.create(
        year=year, town=world["town_a"], kind="custom", code="hazchem", name="罗星危化目标", share=Decimal("80")
    )
    o["target_b"] = CoverageTarget.objects.create(
        year=year, town=world["town_b"], kind="custom", code="hazchem", name="西塘危化目标", share=Decimal("60")
    )
    return world


# No contract and no device in this world: both enterprises are on the work list of their town.
world = permsuite.shared_world(_targets)
media_root = permsuite.shared_media_root

CASES = [
    PermissionCase(
        v.TARGET,
        "target_a",
        "target_b",
        api_prefix="/api/v1/coverage/targets/",
        view=OFFICERS,
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)

ROUTE_CHECKS = [
    # The drill-down names the towns it shows (the county both; a town officer starts at, and stays in, its own).
    RouteCheck("coverage:overview", OFFICERS, "town_a", "town_b"),
    RouteCheck("coverage-figures-list", OFFICERS, "town_a", "town_b", name="coverage API figures"),
    RouteCheck("coverage:work_list", OFFICERS, "ent_a", "ent_b"),
    RouteCheck(
        "coverage:work_list", OFFICERS, "ent_a", "ent_b", query={"download": "1"}, kind="xlsx", name="work list export"
    ),
    RouteCheck("coverage-worklist-list", OFFICERS, "ent_a", "ent_b", kind="json", name="coverage API work list"),
    RouteCheck(
        "coverage:trend",
        dict.fromkeys(OFFICERS, ""),
        no_rows="aggregates of the user's area only; another town's trend is a 404 (test_coverage.py)",
    ),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/coverage/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_widened_scope = widening_tests([CoverageTarget], CASES, ROUTE_CHECKS)
