"""Every inspections route × every persona: rows, scope and forged writes, from expectations written
from the policy (roles.py): the county plans and draws; a town sees its own plan, targets and records
and records its own town's inspections; an enterprise reads and confirms its own records."""

from safeserve.inspections import views as v
from safeserve.inspections.models import Inspection, InspectionPlan, OfficerConflict, PlanTarget, TargetDraw
from safeserve_dev import permsuite
from safeserve_dev.inspections_fixtures import extend_world
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

SIDES = {"county": "ab", "town_a": "a", "town_b": "b"}
OFFICERS = dict.fromkeys(("county", "town_a", "town_b"), "")
COUNTY = {"county": "ab"}
RECORDS = {**SIDES, "ent_a": "a"}  # who reads a record: county, its town, the enterprise itself

CASES = [
    PermissionCase(v.PLAN, "plan_a", "plan_b", view=SIDES, change=COUNTY, delete=COUNTY, add={"county"}, label="name"),
    # Frequency rules: county data every officer reads (they explain the plan); the county edits them.
    PermissionCase(
        v.RULE,
        "rule_a",
        "rule_b",
        view={"county": "ab", "town_a": "ab", "town_b": "ab"},
        change=COUNTY,
        delete=COUNTY,
        add={"county"},
    ),
    # 回避 declarations: a town declares and edits its own town's; the county all.
    PermissionCase(
        v.CONFLICT,
        "conflict_a",
        "conflict_b",
        view=SIDES,
        change=SIDES,
        delete=COUNTY,
        add={"county", "town_a", "town_b"},
        label="reason",
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _ent(obj):
    return obj.enterprise.name


def _code(obj):
    return obj.enterprise.credit_code


ROUTE_CHECKS = [
    # Records: list, export, detail, PDF, support file, API.
    RouteCheck("inspections:inspection_list", RECORDS, "insp_a", "insp_b", label=_ent),
    RouteCheck("inspections:inspection_export", RECORDS, "insp_a", "insp_b", label=_ent, kind="xlsx"),
    RouteCheck("inspections:inspection_detail", RECORDS, "insp_a", "insp_b", label=_ent, args=_pk),
    RouteCheck("inspections:inspection_pdf", RECORDS, "insp_a", "insp_b", label=_code, args=_pk, kind="pdf"),
    RouteCheck("inspections:inspection_support", RECORDS, "insp_a", "insp_b", args=_pk, kind="file"),
    RouteCheck("inspection-list", RECORDS, "insp_a", "insp_b", path="/api/v1/inspections/records/", kind="json"),
    RouteCheck("inspection-detail", RECORDS, "insp_a", "insp_b", args=_pk, kind="file"),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/inspections/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
    # Recording: special/case inspections (a form), and from a planned target of one's own scope.
    RouteCheck("inspections:inspection_add", OFFICERS, no_rows="an empty form"),
    RouteCheck("inspections:inspection_add", OFFICERS, method="post", data={}, ok=(200,)),
    RouteCheck("inspections:target_record", SIDES, "target_a", "target_b", label=_ent, args=_pk),
    RouteCheck("inspections:target_record", SIDES, "random_a", "random_b", args=_pk, method="post", data={}, ok=(200,)),
    # The enterprise confirms its own record; officers see it but may not confirm for it.
    RouteCheck(
        "inspections:inspection_confirm",
        {"ent_a": "a"},
        "insp_a",
        "insp_b",
        args=_pk,
        method="post",
        data={"note": "无异议"},
        ok=(302,),
        visible=SIDES,
    ),
    # 一公开: the county or the record's town publishes; the enterprise sees it but may not.
    RouteCheck(
        "inspections:inspection_publish",
        SIDES,
        "insp_a",
        "insp_b",
        args=_pk,
        method="post",
        data={},
        ok=(302,),
        visible={"ent_a": "a"},
    ),
    # Planning and drawing: the county only; a town reads its plan and its draws.
    RouteCheck("inspections:plan_preview", COUNTY, "plan_a", "plan_b", args=_pk),
    RouteCheck("inspections:plan_preview", COUNTY, "plan_a", "plan_b", args=_pk, method="post", data={}, ok=(302,)),
    RouteCheck(
        "inspections:plan_draw",
        COUNTY,
        "plan_a",
        "plan_b",
        args=_pk,
        method="post",
        data={"month": 12, "places": 1, "reserves": 0},
        ok=(302,),
    ),
    RouteCheck("inspections:targetdraw_detail", SIDES, "td_a", "td_b", label=lambda td: td.draw.number, args=_pk),
    RouteCheck(
        "inspections:targetdraw_value",
        COUNTY,
        "td_a",
        "td_b",
        args=_pk,
        method="post",
        data={"source": "server"},
        ok=(302,),
    ),
    RouteCheck(
        "inspections:targetdraw_inspectors",
        COUNTY,
        "td_a",
        "td_b",
        args=_pk,
        method="post",
        data={"source": "server"},
        ok=(302,),
    ),
    RouteCheck(
        "inspections:targetdraw_redraw",
        COUNTY,
        "td_a",
        "td_b",
        args=_pk,
        method="post",
        data={"reason": "企业停产"},
        ok=(302,),
    ),
    RouteCheck(
        "inspections:target_inspectors",
        COUNTY,
        "random_a",
        "random_b",
        args=_pk,
        method="post",
        data={"reason": "人员病假"},
        ok=(302,),
    ),
    # The task list: the random unit of each town was drawn to the county persona and that town's
    # officer (every other officer declared a conflict with it: inspections_fixtures).
    RouteCheck("inspections:tasks", SIDES, "random_a", "random_b", label=_ent),
    # Progress by month and town: the county every town, a town its own.
    RouteCheck("inspections:progress", SIDES, "town_a", "town_b"),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = permsuite.widening_tests(
    [InspectionPlan, OfficerConflict, Inspection, PlanTarget, TargetDraw], CASES, ROUTE_CHECKS
)
