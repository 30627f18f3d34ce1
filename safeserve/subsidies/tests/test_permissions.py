"""Every subsidies route × every persona: rows, scope and forged writes, with expectations written
from the policy (roles.py, the models' scope rules and transitions.TABLE)."""

from django.utils import timezone

from safeserve.subsidies import views as v
from safeserve.subsidies.models import SubsidyApplication, SubsidyPolicy
from safeserve_dev import permsuite
from safeserve_dev.permsuite import (
    PermissionCase,
    RouteCheck,
    body_tests,
    permission_tests,
    route_tests,
    widening_tests,
)
from safeserve_dev.services_fixtures import pdf
from safeserve_dev.subsidies_fixtures import extend_world

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

# The county every town; a town its own; enterprise A its own applications. Agencies, experts,
# insurers and associations see nothing of subsidies.
TOWNS = {"county": "ab", "town_a": "a", "town_b": "b"}
OWN = {**TOWNS, "ent_a": "a"}
TOWNS_OWN = {"town_a": "a", "town_b": "b"}


class FreshInvoice:
    """An invoice PDF the test client can post more than once."""

    content_type = "application/pdf"

    def __init__(self):
        self.name = "发票.pdf"
        self._bytes = pdf(self.name).read()

    def read(self):
        return self._bytes


CASES = [
    # Draft policies: the county reads them, only their own town edits or deletes them (a published
    # one changes through its steps only), a town adds its own; enterprises see no draft.
    PermissionCase(
        v.POLICY,
        "draft_a",
        "draft_b",
        view={**TOWNS, "ent_a": ""},
        change=TOWNS_OWN,
        delete=TOWNS_OWN,
        add={"town_a", "town_b"},
        api_prefix="/api/v1/subsidies/policies/",
        api_methods=(),
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _town_name(obj):
    return obj.town.name


def _pay(world):
    return {"paid_on": timezone.localdate().isoformat(), "amount": "1000.00", "voucher_number": "PZ-0001"}


def _apply(world):
    return {
        "contract": world["sub_contract_a3"].pk,
        "invoice_number": "FP-NEW-1",
        "invoice_amount": "3000.00",
        "invoice": FreshInvoice(),
    }


ROUTE_CHECKS = [
    # A town publishes its own draft; the county reads it but may not.
    # Published policies: also read by their town's enterprises; nobody edits them any more.
    RouteCheck("subsidies:subsidypolicy_list", OWN, "policy_a", "policy_b", name="published policies"),
    RouteCheck("subsidies:subsidypolicy_detail", OWN, "policy_a", "policy_b", args=_pk, name="a published policy"),
    RouteCheck("subsidies:subsidypolicy_edit", {}, "policy_a", "policy_b", args=_pk, name="edit a published one"),
    RouteCheck("subsidypolicy-list", OWN, "policy_a", "policy_b", kind="json", name="published policies (API)"),
    RouteCheck(
        "subsidies:policy_step",
        TOWNS_OWN,
        "draft_a",
        "draft_b",
        args=lambda o: [o.pk, "publish"],
        method="post",
        ok=(302,),
        visible={"county": "ab"},
        denied=(403,),
    ),
    RouteCheck("subsidies:overview", TOWNS, "policy_a", "policy_b", label=_town_name),
    RouteCheck(
        "subsidies:overview",
        TOWNS,
        "policy_a",
        "policy_b",
        label=_town_name,
        query={"download": "1"},
        kind="xlsx",
        name="overview workbook",
    ),
    RouteCheck("subsidies:subsidyapplication_list", OWN, "app_a", "app_b", label="number"),
    RouteCheck("subsidies:subsidyapplication_export", OWN, "app_a", "app_b", label="number", kind="xlsx"),
    RouteCheck("subsidies:subsidyapplication_detail", OWN, "app_a", "app_b", args=_pk, label="number"),
    RouteCheck("subsidies:application_invoice", OWN, "app_a", "app_b", args=_pk, kind="file"),
    RouteCheck("subsidies:subsidyapplication_add", {"ent_a": ""}, no_rows="the enterprise's apply form"),
    RouteCheck("subsidies:subsidyapplication_add", {"ent_a": ""}, method="post", data=_apply, ok=(302,)),
    # The town decides its own applications; the county and the enterprise see them but may not.
    RouteCheck(
        "subsidies:application_step",
        TOWNS_OWN,
        "app_a",
        "app_b",
        args=lambda o: [o.pk, "approve"],
        method="post",
        data={},
        ok=(302,),
        visible={"county": "ab", "ent_a": "a"},
        denied=(403,),
    ),
    RouteCheck(
        "subsidies:application_step",
        {"ent_a": "a"},
        "app_a",
        "app_b",
        args=lambda o: [o.pk, "withdraw"],
        method="post",
        data={},
        ok=(302,),
        visible={"county": "ab", "town_a": "a", "town_b": "b"},
        denied=(403,),
        name="withdraw",
    ),
    RouteCheck(
        "subsidies:application_pay",
        TOWNS_OWN,
        "ok_a",
        "ok_b",
        args=_pk,
        method="post",
        data=_pay,
        ok=(302,),
        visible={"county": "ab", "ent_a": "a"},
        denied=(403,),
    ),
    RouteCheck("subsidyapplication-list", OWN, "app_a", "app_b", kind="json"),
    RouteCheck("subsidyapplication-detail", OWN, "app_a", "app_b", args=_pk, kind="json"),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/subsidies/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = widening_tests([SubsidyPolicy, SubsidyApplication], CASES, ROUTE_CHECKS)
