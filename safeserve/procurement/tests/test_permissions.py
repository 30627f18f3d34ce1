"""Every procurement route × every persona: rows, scope and forged writes, with expectations
written from the policy: the county sees every project, a town its own (another town's project is
a 404 on every route, the API and the exports), a supplier the projects it bid on; only the buyer
(the town of a town's project) takes its steps; the county may cancel any project."""

from django.utils import timezone

from safeserve.procurement.actions import active_scheme
from safeserve.procurement.models import Project
from safeserve_dev import permsuite
from safeserve_dev.permsuite import RouteCheck, route_tests, widening_tests
from safeserve_dev.procurement_fixtures import extend_world

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

SEE = {"county": "ab", "town_a": "a", "town_b": "b", "agency_a": "a"}
BUYER = {"town_a": "a", "town_b": "b"}
TOWNS = {"town_a": "", "town_b": ""}


def _pk(obj):
    return [obj.pk]


def _body(**over):
    today = timezone.localdate()
    d = {
        "name": "信息化建设项目",
        "year": today.year,
        "budget": "50000",
        "service_type": "other",
        "subject": "informatization",
        "target_mode": "none",
        "method": "inquiry",
        "start_date": today.isoformat(),
        "term_months": "12",
        "visits_per_year": "1",
    }
    d.update(over)
    return d


def _scores(world):
    return {f"score_{i.key}": str(i.max_points) for i in active_scheme().indicators.all()} | {"accepted": "on"}


ROUTE_CHECKS = [
    RouteCheck("procurement:project_list", SEE, "perf_a", "perf_b"),
    RouteCheck("procurement:project_export", SEE, "perf_a", "perf_b", kind="xlsx"),
    RouteCheck("procurement:project_detail", SEE, "perf_a", "perf_b", args=_pk),
    RouteCheck("procurement:project_detail", SEE, "proc_a", "proc_b", args=_pk, name="detail of a procuring project"),
    # Drafts: a supplier has not bid on them, so it does not see them.
    RouteCheck(
        "procurement:project_detail",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "draft_a",
        "draft_b",
        args=_pk,
        name="detail of a draft",
    ),
    RouteCheck("procurement:project_add", {"county": "", **TOWNS}, no_rows="the form of a new project"),
    # A body without a buyer is a form error for the county (200, nothing written); a town's own
    # buyer is set by the action, so a town may not post one (200 with "您无权修改").
    RouteCheck(
        "procurement:project_add",
        TOWNS,
        method="post",
        data=_body(),
        ok=(302,),
        visible={"county": ""},
        denied=(200,),
    ),
    RouteCheck(
        "procurement:project_add",
        {"county": ""},
        method="post",
        data=_body(buyer_kind="county"),
        ok=(302,),
        visible=dict(TOWNS),
        denied=(200,),
        name="the county buys for the county",
    ),
    # Only the buyer edits its draft; the county sees a town's draft but it is not the county's.
    RouteCheck("procurement:project_edit", BUYER, "draft_a", "draft_b", args=_pk),
    RouteCheck(
        "procurement:project_edit",
        BUYER,
        "draft_a",
        "draft_b",
        args=_pk,
        method="post",
        data=_body(name="改过的名称"),
        ok=(302,),
        visible={"county": "ab"},
        denied=(403,),
    ),
    RouteCheck(
        "procurement:project_step",
        BUYER,
        "draft_a",
        "draft_b",
        args=lambda o: [o.pk, "approve"],
        method="post",
        ok=(302,),
        visible={"county": "ab"},
        denied=(403,),
    ),
    RouteCheck(
        "procurement:project_step",
        {"county": "ab", **BUYER},
        "proc_a",
        "proc_b",
        args=lambda o: [o.pk, "cancel"],
        method="post",
        ok=(302,),
        visible={"agency_a": "a"},
        denied=(403,),
        name="cancel",
    ),
    RouteCheck(
        "procurement:bid_add",
        BUYER,
        "proc_a",
        "proc_b",
        args=_pk,
        method="post",
        data=lambda w: {
            "agency": w["agency_c"].pk,
            "amount": "70000",
            "submitted_on": timezone.localdate().isoformat(),
        },
        ok=(302,),
        visible={"county": "ab", "agency_a": "a"},
        denied=(403,),
    ),
    # The award of another project's bid is refused on the page (200 with the reason); the award
    # itself is tested in test_rules.py and the browser test.
    RouteCheck(
        "procurement:award",
        BUYER,
        "proc_a",
        "proc_b",
        args=_pk,
        method="post",
        data=lambda w: {"bid": w["bid_a"].pk, "reason": "最低价"},
        ok=(200, 302),
        visible={"county": "ab", "agency_a": "a"},
        denied=(403,),
    ),
    RouteCheck("procurement:evaluate", BUYER, "perf_a", "perf_b", args=_pk),
    RouteCheck(
        "procurement:evaluate",
        BUYER,
        "perf_a",
        "perf_b",
        args=_pk,
        method="post",
        data=_scores,
        ok=(302,),
        visible={"county": "ab", "agency_a": "a"},
        denied=(403,),
    ),
    RouteCheck(
        "procurement:payment_add",
        BUYER,
        "perf_a",
        "perf_b",
        args=_pk,
        method="post",
        data=lambda w: {"kind": "progress", "amount": "1000", "paid_on": timezone.localdate().isoformat()},
        ok=(302,),
        visible={"county": "ab", "agency_a": "a"},
        denied=(403,),
    ),
    # The budget view: the county every buyer, a town its own (rows named by the buying town).
    RouteCheck("procurement:budget", {"county": "ab", "town_a": "a", "town_b": "b"}, "town_a", "town_b"),
    RouteCheck(
        "procurement:budget_export", {"county": "ab", "town_a": "a", "town_b": "b"}, "town_a", "town_b", kind="xlsx"
    ),
    RouteCheck("project-list", SEE, "perf_a", "perf_b", path="/api/v1/procurement/projects/", kind="json", label="id"),
    RouteCheck("project-detail", SEE, "perf_a", "perf_b", args=_pk, kind="file"),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/procurement/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = widening_tests([Project], [], ROUTE_CHECKS)
