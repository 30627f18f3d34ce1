"""Every marketplace working route × every persona (rows, scope, forged writes). The public portal
routes are open by design and listed in permsuite.EXCLUDED; test_portal.py checks what they show."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from safeserve.market import views
from safeserve.market.models import (
    AgencyProfile,
    Bar,
    CaseStatus,
    CaseStory,
    Need,
    NeedStatus,
    PriceItem,
    Quote,
    QuoteStatus,
)
from safeserve.services.models import ServiceContract
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


def _needs_world(world):
    """need_a (enterprise A, open to all consulting agencies) and need_b (enterprise B, inviting
    agency B only); quote_a / quote_b on them; need_c / need_d awarded, with draft contracts."""
    o = world.objs
    today = timezone.localdate()
    common = {
        "service_types": ["consulting"], "scope": "隐患排查每年4次", "visits_per_year": 4,
        "start_date": today, "end_date": today + timedelta(days=365),
    }  # fmt: skip

    def need(key, ent, **extra):
        o[key] = Need.objects.create(enterprise=ent, town=ent.town, industry=ent.industry,
                                     size_class=ent.size_class, **common, **extra)  # fmt: skip
        return o[key]

    def quote(key, n, agency, staff, **extra):
        o[key] = Quote.objects.create(need=n, agency=agency, price=Decimal("10000"), visits_per_year=4,
                                      items=["hazard"], plan="方案", valid_until=today + timedelta(days=30), **extra)  # fmt: skip
        o[key].staff.set([staff])
        return o[key]

    need("need_a", o["ent_a"])
    need("need_b", o["ent_b"], open_to_all=False).invited.set([o["agency_b"]])
    quote("quote_a", o["need_a"], o["agency_a"], o["staff_a"])
    quote("quote_b", o["need_b"], o["agency_b"], o["staff_b"])
    for key, ent, agency, staff in (("c", o["ent_a"], o["agency_a"], o["staff_a"]),
                                    ("d", o["ent_b"], o["agency_b"], o["staff_b"])):  # fmt: skip
        n = need(f"need_{key}", ent, status=NeedStatus.AWARDED)
        contract = ServiceContract.objects.create(number=f"SC-MKT-{key}", agency=agency, items=["hazard"],
                                                  start_date=today, end_date=today + timedelta(days=365), fee=9000)  # fmt: skip
        contract.enterprises.set([ent])
        contract.staff.set([staff])
        quote(f"quote_{key}", n, agency, staff, status=QuoteStatus.ACCEPTED, contract=contract)
    o["bar_a"] = Bar.objects.create(agency=o["agency_a"], enterprise=o["ent_b"], reason="甲机构利益冲突")
    o["bar_b"] = Bar.objects.create(agency=o["agency_b"], enterprise=o["ent_a"], reason="乙机构利益冲突")
    return world


world = permsuite.shared_world(_market_world, _needs_world)

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
    PermissionCase(
        views.BAR,
        a="bar_a",
        b="bar_b",
        view={"county": "ab"},
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
        label="reason",
    ),
]
test_permissions = permission_tests(CASES)


def _pk(obj):
    return [obj.pk]


NEED = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"}
OFFICERS = {"county": "ab", "town_a": "a", "town_b": "b"}
NEED_FORM = {
    "service_types": ["consulting"], "scope": "应急演练每年1次", "visits_per_year": "2",
    "start_date": "2030-01-01", "end_date": "2030-12-31", "open_to_all": "on",
}  # fmt: skip
QUOTE_FORM = {
    "price": "8000",
    "visits_per_year": "4",
    "items": ["hazard"],
    "plan": "季度排查",
    "valid_until": "2099-01-01",
}
NEED_CHECKS = [
    # Needs: the enterprise its own, the officers their scope, an agency the open needs it may quote for.
    RouteCheck("market:need_list", NEED, "need_a", "need_b", label=str),
    RouteCheck("market:need_add", {"ent_a": ""}, no_rows="the enterprise's form; its own register facts"),
    RouteCheck("market:need_add", {"ent_a": ""}, method="post", data=NEED_FORM, ok=(302,)),
    RouteCheck("market:need_detail", NEED, "need_a", "need_b", args=_pk, label=str),
    RouteCheck(
        "market:need_transition",
        {"ent_a": "a"},
        "need_a",
        "need_b",
        args=lambda n: [n.pk, "withdraw"],
        method="post",
        ok=(302,),
        visible={**OFFICERS, "agency_a": "a"},
    ),
    # An agency quotes for a need it sees; it never sees the other quotes side by side.
    RouteCheck(
        "market:quote_add",
        {"agency_a": "a"},
        "need_a",
        "need_b",
        args=_pk,
        method="post",
        data=QUOTE_FORM,
        ok=(302, 400),
        visible={**OFFICERS, "ent_a": "a"},
    ),
    RouteCheck("market:need_compare", {**OFFICERS, "ent_a": "a"}, "need_a", "need_b", args=_pk, label=str),
    RouteCheck("market:quote_detail", NEED, "quote_a", "quote_b", args=_pk, label=str),
    RouteCheck(
        "market:quote_message",
        {"ent_a": "a", "agency_a": "a"},
        "quote_a",
        "quote_b",
        args=_pk,
        method="post",
        data={"text": "能否每月一次？"},
        ok=(302,),
        visible=OFFICERS,
    ),
    RouteCheck(
        "market:quote_accept",
        {"ent_a": "a"},
        "quote_a",
        "quote_b",
        args=_pk,
        method="post",
        ok=(302,),
        visible={**OFFICERS, "agency_a": "a"},
    ),
    RouteCheck(
        "market:quote_confirm",
        {"ent_a": "a", "agency_a": "a"},
        "quote_c",
        "quote_d",
        args=_pk,
        method="post",
        ok=(302,),
        visible=OFFICERS,
    ),
    RouteCheck(
        "market:quote_withdraw",
        {"agency_a": "a"},
        "quote_a",
        "quote_b",
        args=_pk,
        method="post",
        ok=(302,),
        visible={**OFFICERS, "ent_a": "a"},
    ),
    RouteCheck("market:stats", {"county": "", "town_a": "", "town_b": ""}, no_rows="aggregate figures (test_needs)"),
    # The API: the same rows as the pages, read only, no private field (test_needs checks the schema).
    RouteCheck("market-need-list", NEED, "need_a", "need_b", kind="json"),
    RouteCheck("market-need-detail", NEED, "need_a", "need_b", args=_pk, kind="json"),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/market/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]

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
    # A draft's picture: whoever may change the story (no file posted: the form's error, nothing stored).
    RouteCheck(
        "market:case_photo_upload",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "case_a",
        "case_b",
        args=lambda c: [c.pk],
        method="post",
        data={},
        ok=(302,),
    ),
    *NEED_CHECKS,
]
test_routes = route_tests(ROUTE_CHECKS)
# Bar is left out: only the county holds its permissions, and it sees every row already.
test_a_widened_scope_is_reported = permsuite.widening_tests([CaseStory, PriceItem, Need, Quote], CASES, ROUTE_CHECKS)
