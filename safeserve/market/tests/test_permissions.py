"""Every marketplace working route × every persona (rows, scope, forged writes). The public portal
routes are open by design and listed in permsuite.EXCLUDED; test_portal.py checks what they show."""

from safeserve.market import views
from safeserve.market.models import AgencyProfile, CaseStatus, CaseStory, PriceItem
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests


def _market_world(world):
    o = world.objs
    o["price_a"] = PriceItem.objects.create(
        agency=o["agency_a"], service_type="consulting", item="甲机构隐患排查", unit="家·年", price_min=3000
    )
    o["price_b"] = PriceItem.objects.create(
        agency=o["agency_b"], service_type="consulting", item="乙机构隐患排查", unit="家·年", price_min=2800
    )
    o["case_a"] = CaseStory.objects.create(title="甲镇典型做法", town=o["town_a"], summary="甲", text="正文")
    o["case_b"] = CaseStory.objects.create(title="乙镇典型做法", town=o["town_b"], summary="乙", text="正文")
    o["case_pub_b"] = CaseStory.objects.create(
        title="乙镇已发布做法", town=o["town_b"], summary="乙", text="正文", status=CaseStatus.PUBLISHED
    )
    o["profile_a"] = AgencyProfile.objects.create(agency=o["agency_a"])
    return world


world = permsuite.shared_world(_market_world)

CASES = [
    PermissionCase(
        views.PRICE,
        a="price_a",
        b="price_b",
        view={"county": "ab", "agency_a": "a"},
        change={"agency_a": "a"},
        delete={"agency_a": "a"},
        add={"agency_a"},
        label="item",
    ),
    PermissionCase(
        views.CASE,
        a="case_a",
        b="case_b",
        view={"county": "ab", "town_a": "a", "town_b": "b"},
        change={"county": "ab", "town_a": "a", "town_b": "b"},
        delete={"county": "ab"},
        add={"county", "town_a", "town_b"},
        label="title",
    ),
]
test_permissions = permission_tests(CASES)


def _pk(obj):
    return [obj.pk]


ROUTE_CHECKS = [
    # The agency's own public profile: only an agency user edits it (its own).
    RouteCheck("market:profile_edit", {"agency_a": ""}, no_rows="a form of the user's own agency"),
    RouteCheck("market:profile_edit", {"agency_a": ""}, method="post", data={"intro": "简介"}, ok=(302,)),
    # Hiding an agency from the directory: the county only, with a reason.
    RouteCheck(
        "market:agency_hide",
        {"county": "ab"},
        "agency_a",
        "agency_b",
        args=lambda a: [a.pk, "hide"],
        method="post",
        data={"reason": "资质存疑，待核查"},
        ok=(302,),
        visible={"town_a": "ab", "town_b": "ab", "ent_a": "ab"},
    ),
    # Case stories move through review: a town submits its own, the county publishes.
    RouteCheck(
        "market:case_transition",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "case_a",
        "case_b",
        args=lambda c: [c.pk, "submit"],
        method="post",
        ok=(302,),
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = permsuite.widening_tests([CaseStory, PriceItem], CASES, ROUTE_CHECKS)
