"""Every insurance route × every persona: rows, scope and forged writes, with expectations written
from the policy (roles.py, models.policy_scope): insurer A sees and writes only its own policies and
their records; towns read their enterprises'; the insured reads its own; the county reads all and
writes none (the platform records policies, it never assigns an insurer)."""

from datetime import timedelta

from django.utils import timezone

from safeserve.insurance import views as v
from safeserve.insurance.models import Claim, Complaint, Evaluation, Policy, PreventionExpense, PreventionPlan
from safeserve_dev import permsuite
from safeserve_dev.insurance_fixtures import extend_world
from safeserve_dev.permsuite import (
    PermissionCase,
    RouteCheck,
    body_tests,
    permission_tests,
    route_tests,
    widening_tests,
)

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

SIDE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "insurer_a": "a"}
OWN = {"insurer_a": "a"}

CASES = [
    PermissionCase(
        v.POLICY,
        "policy_a",
        "policy_b",
        label="number",
        api_prefix="/api/v1/insurance/policies/",
        api_methods=(),
        view=SIDE,
        change=OWN,
        delete=OWN,
        add={"insurer_a"},
    ),
    PermissionCase(
        v.RULETABLE,
        "rates_a",
        "rates_b",
        label="note",
        view={"county": "ab", "town_a": "ab", "town_b": "ab", "insurer_a": "ab"},
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(v.PLAN, "plan_a", "plan_b", label="goals", view=SIDE, change=OWN, delete=OWN, add={"insurer_a"}),
    PermissionCase(
        v.EXPENSE,
        "expense_a",
        "expense_b",
        label="description",
        view=SIDE,
        change=OWN,
        delete=OWN,
        add={"insurer_a"},
    ),
    # A complaint is filed by the insured or recorded by the insurer; its handling has its own route.
    PermissionCase(
        v.COMPLAINT,
        "complaint_a",
        "complaint_b",
        label="complainant",
        api_prefix="/api/v1/insurance/complaints/",
        api_methods=("post",),
        view=SIDE,
        add={"insurer_a", "ent_a"},
    ),
    PermissionCase(
        v.CLAIM, "claim_a", "claim_b", label="accident_ref", view=SIDE, change=OWN, delete=OWN, add={"insurer_a"}
    ),
    PermissionCase(
        v.EVALUATION,
        "evaluation_a",
        "evaluation_b",
        label="evaluator",
        view=SIDE,
        change=OWN,
        delete=OWN,
        add={"insurer_a"},
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests([c for c in CASES if c.change])


def _pk(obj):
    return [obj.pk]


def _insurer_name(policy):
    return policy.insurer.name


def _bulk(world):
    p = world["policy_a"]
    return {
        "policies": [
            {
                "number": "PA-API-0009",
                "credit_code": world["ent_a"].credit_code,
                "start_date": p.start_date.isoformat(),
                "end_date": p.end_date.isoformat(),
                "premium": "8000",
                "premium_collected": "8000",
                "limit_per_person": "500000",
                "limit_per_accident": "3000000",
                "employees_covered": "12",
            }
        ]
    }


ROUTE_CHECKS = [
    RouteCheck("insurance:policy_import", {"insurer_a": ""}, no_rows="the upload form"),
    RouteCheck("insurance:policy_import", {"insurer_a": ""}, method="post", data={}, ok=(400,)),
    RouteCheck("insurance:policy_template", {"insurer_a": ""}, kind="file", no_rows="an empty template"),
    # 应保未保 on a day before both policies began: both enterprises (a mandatory industry) show.
    RouteCheck(
        "insurance:uninsured",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "ent_a",
        "ent_b",
        query={"on": (timezone.localdate() - timedelta(days=60)).isoformat()},
    ),
    RouteCheck(
        "insurance:uninsured",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "ent_a",
        "ent_b",
        kind="xlsx",
        query={"on": (timezone.localdate() - timedelta(days=60)).isoformat(), "download": "1"},
        name="uninsured-export",
    ),
    # The ledger: one row per insurer whose policies the persona sees.
    RouteCheck(
        "insurance:ledger",
        {"county": "ab", "town_a": "a", "town_b": "b", "insurer_a": "a"},
        "policy_a",
        "policy_b",
        label=_insurer_name,
        query={"year": str((timezone.localdate() - timedelta(days=30)).year)},
    ),
    RouteCheck(
        "insurance:ledger",
        {"county": "ab", "town_a": "a", "town_b": "b", "insurer_a": "a"},
        "policy_a",
        "policy_b",
        label=_insurer_name,
        kind="xlsx",
        query={"year": str((timezone.localdate() - timedelta(days=30)).year), "download": "1"},
        name="ledger-export",
    ),
    RouteCheck("insurance:insured_file", SIDE, "ent_a", "ent_b", args=_pk),
    RouteCheck("insurance:insured_file_export", SIDE, "ent_a", "ent_b", args=_pk, kind="file"),
    RouteCheck("insurance:insured_file_pdf", SIDE, "ent_a", "ent_b", args=_pk, kind="file"),
    RouteCheck(
        "insurance:complaint_act",
        {"insurer_a": "a"},
        "complaint_a",
        "complaint_b",
        args=lambda c: [c.pk, "answer"],
        method="post",
        data={"answer": "已安排复查"},
        ok=(302,),
        visible={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        denied=(403,),
    ),
    RouteCheck(
        "insurance-bulk",
        {"insurer_a": ""},
        path="/api/v1/insurance/policies/bulk/",
        method="post",
        api=True,
        data=_bulk,
        ok=(200,),
    ),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/insurance/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = widening_tests(
    [Policy, PreventionPlan, PreventionExpense, Complaint, Claim, Evaluation], CASES, ROUTE_CHECKS
)
