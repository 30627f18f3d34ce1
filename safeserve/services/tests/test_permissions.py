"""Every services route × every persona: rows, scope and forged writes, from expectations written
from the policy (roles.py, the contract transition table, ServiceVisit's rules)."""

from datetime import timedelta

from django.utils import timezone

from safeserve.services import models as m
from safeserve.services import queries
from safeserve.services import views as v
from safeserve.services.choices import ContractStatus
from safeserve.services.models import ServiceVisit
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests
from safeserve_dev.services_fixtures import extend_world, make_contract, pdf, png

API = "/api/v1/services/"
# Visits, ratings and contracts: the county all; a town its own; the enterprise its own; the agency
# the ones it made (agency A serves enterprise A). Experts, insurers and associations: none.
SIDE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"}
# Enterprises: the county all, a town its own, the enterprise and its association itself, agency A
# the one it serves.
ENTERPRISES = {**SIDE, "assoc_a": "a"}
# Checklists are reference data: everyone who records or reads inspections, associations too (their
# members' mutual inspections use the same checklists, associations/roles.py).
REFERENCE = dict.fromkeys(("county", "town_a", "town_b", "ent_a", "agency_a", "assoc_a"), "ab")


def _due_contracts(world):
    """One overdue (contract, enterprise) pair on each side: monthly visits, started 60 days ago, none made."""
    start = timezone.localdate() - timedelta(days=60)
    o = world.objs
    o["contract_due_a"] = make_contract(world, number="HT-DUE-A", start=start, visits_per_year=12)
    o["contract_due_b"] = make_contract(
        world, number="HT-DUE-B", start=start, visits_per_year=12, agency="agency_b", enterprises=("ent_b",)
    )
    # A draft of agency B for one enterprise in each town: both towns see it, each its own enterprise.
    o["contract_ab"] = make_contract(
        world, number="HT-2TOWNS", agency="agency_b", enterprises=("ent_a", "ent_b"), status=ContractStatus.DRAFT
    )
    return world


world = permsuite.shared_world(extend_world, _due_contracts)
media_root = permsuite.shared_media_root


CASES = [
    # Drafts: the parties and their town officers may see them; only drafts are edited or deleted,
    # and only by their owner (the payer or the county; contract_a/b are enterprise-paid, so their
    # town officers only read them); the agency only reads.
    PermissionCase(
        v.CONTRACT,
        "contract_a",
        "contract_b",
        api_prefix=f"{API}contracts/",
        label="number",
        view=SIDE,
        change={"county": "ab", "ent_a": "a"},
        delete={"county": "ab", "ent_a": "a"},
        add={"county", "town_a", "town_b", "ent_a"},
    ),
    PermissionCase(
        v.TEMPLATE,
        "template_a",
        "template_b",
        api_prefix=f"{API}checklist-templates/",
        view=REFERENCE,
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.ITEM,
        "item_a",
        "item_b",
        api_prefix=f"{API}checklist-items/",
        label="text",
        view=REFERENCE,
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _enterprise_name(obj):
    return obj.enterprise.name


def _new_visit(world):
    return {
        "contract": world["contract_live"].pk,
        "enterprise": world["ent_a"].pk,
        "visited_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "staff": [world["staff_a"].pk],
        "findings": "伪造记录",
    }


# Only the enterprise served rates a visit; the others who see it get the page back with a message.
RATE = {"see": {"ent_a": "a"}, "visible": {"county": "ab", "town_a": "a", "town_b": "b", "agency_a": "a"}}
# A draft is activated by its agency or the county; the enterprise and the town officers see it but may not.
# (A contract belongs to its payer: contract_a/b are enterprise-paid, so their town officers only read them.)
ACTIVATE = {"see": {"county": "ab", "agency_a": "a"}, "visible": {"ent_a": "a", "town_a": "a", "town_b": "b"}}
# The signed scan: downloaded by whoever sees the contract; attached by its owner (the payer or the county).
SCAN_OWNERS = {"see": {"county": "ab", "ent_a": "a"}, "visible": {"town_a": "a", "town_b": "b", "agency_a": "a"}}
CONTRACT_MAKERS = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"}
ROUTE_CHECKS_SCAN = [
    # The contract form's helpers: enterprises by name (those the user may name on a contract) and the
    # chosen agency's staff (every persona who may add a contract sees agency A's staff, as on the form).
    RouteCheck("services:contract_enterprise_search", CONTRACT_MAKERS, "ent_a", "ent_b", kind="json"),
    RouteCheck(
        "services:contract_staff_options",
        dict.fromkeys(CONTRACT_MAKERS, ""),
        query={"agency": "1"},
        no_rows="the staff checkboxes of the agency asked for, read through AgencyStaff.visible_to",
    ),
    RouteCheck("services:contract_scan", SIDE, "contract_a", "contract_b", args=_pk, kind="file"),
    RouteCheck(
        "services:contract_scan",
        a="contract_a",
        b="contract_b",
        args=_pk,
        method="post",
        data=lambda w: {"scan": pdf("forged.pdf")},
        ok=(302,),
        **SCAN_OWNERS,
    ),
]
ROUTE_CHECKS = [
    RouteCheck("services:visit_list", SIDE, "visit_a", "visit_b", label=_enterprise_name),
    RouteCheck("services:visit_export", SIDE, "visit_a", "visit_b", label=_enterprise_name, kind="xlsx"),
    # Related rows on a visible record: a contract spanning two towns names, to each town and to
    # the enterprise, only what they may see.
    RouteCheck(
        "services:servicecontract_detail",
        {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        "ent_a",
        "ent_b",
        url_args=lambda w: [w["contract_ab"].pk],
        name="contract detail: its enterprises",
    ),
    RouteCheck(
        "servicecontract-detail",
        {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        "ent_a",
        "ent_b",
        url_args=lambda w: [w["contract_ab"].pk],
        kind="json:enterprises",
        name="contract API: its enterprises",
    ),
    RouteCheck("services:visit_due", SIDE, "contract_due_a", "contract_due_b", label="number"),
    RouteCheck(
        "services:visit_due",
        SIDE,
        "contract_due_a",
        "contract_due_b",
        label="number",
        query={"download": "1"},
        kind="xlsx",
        name="visit_due export",
    ),
    # Filters choose a contract by its number (core.views.AutocompleteView): the contracts the list shows.
    RouteCheck(
        "autocomplete",
        SIDE,
        "contract_a",
        "contract_b",
        url_args=["contract"],
        kind="json",
        name="autocomplete:contract",
    ),
    # The form offers the enterprises the agency serves, and only an agency records visits.
    RouteCheck("services:visit_add", {"agency_a": "a"}, "ent_a", "ent_b"),
    RouteCheck("services:visit_add", {"agency_a": ""}, method="post", data={"findings": "伪造"}, ok=(200, 302)),
    RouteCheck("services:visit_detail", SIDE, "visit_a", "visit_b", label=_enterprise_name, args=_pk),
    # Issuing the rectification document of a visit's hazards (hazards app): every party of them.
    RouteCheck("hazards:visit_notice", SIDE, "visit_a", "visit_b", args=_pk, method="post", data={}, ok=(302,)),
    RouteCheck("services:visit_photo", SIDE, "visit_photo", "visit_photo_b", args=_pk, kind="file"),
    # Photos chosen on the visit form before the visit exists: only their uploader sees them (agency
    # B's staff member uploaded pending_b; no persona but agency_a's own user reaches pending_a).
    RouteCheck("services:pending_photo", {"agency_a": "a"}, "pending_a", "pending_b", args=_pk, kind="file"),
    RouteCheck(
        "services:pending_photo_add",
        {"agency_a": ""},
        method="post",
        data=lambda w: {"photo": png("forged.png")},
        ok=(201,),
    ),
    # The one-time code is shown by the agency that recorded the visit; the enterprise served
    # confirms on its own login. The others who see the visit are refused (403).
    RouteCheck(
        "services:visit_confirm_code",
        a="visit_a",
        b="visit_b",
        args=_pk,
        method="post",
        see={"agency_a": "a"},
        visible={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
    ),
    RouteCheck(
        "services:visit_confirm",
        a="visit_a",
        b="visit_b",
        args=_pk,
        method="post",
        ok=(302,),
        see={"ent_a": "a"},
        visible={"county": "ab", "town_a": "a", "town_b": "b", "agency_a": "a"},
    ),
    RouteCheck(
        "services:visit_rate",
        a="visit_a",
        b="visit_b",
        args=_pk,
        method="post",
        data={"score": 1, "comment": "篡改"},
        ok=(302,),
        **RATE,
    ),
    RouteCheck(
        "services:contract_transition",
        a="contract_a",
        b="contract_b",
        args=lambda c: [c.pk, "activate"],
        method="post",
        ok=(302,),
        **ACTIVATE,
    ),
    # Agency ratings: every role that reads the agency register; an agency sees only itself.
    RouteCheck(
        "services:ratings",
        {**REFERENCE, "agency_a": "a", "insurer_a": "ab", "assoc_a": "ab"},
        "agency_a",
        "agency_b",
    ),
    RouteCheck(
        "services:ratings",
        {**REFERENCE, "agency_a": "a", "insurer_a": "ab", "assoc_a": "ab"},
        "agency_a",
        "agency_b",
        query={"download": "1"},
        kind="xlsx",
        name="ratings export",
    ),
    RouteCheck("servicevisit-list", SIDE, "visit_a", "visit_b", kind="json"),
    RouteCheck("servicevisit-list", {"agency_a": ""}, method="post", data=_new_visit, api=True, ok=(201,)),
    RouteCheck("servicevisit-detail", SIDE, "visit_a", "visit_b", args=_pk, kind="json"),
    RouteCheck(
        "servicevisit-rate",
        a="visit_a",
        b="visit_b",
        args=_pk,
        method="post",
        api=True,
        data={"score": 1},
        denied=(400, 403),
        **RATE,
    ),
    RouteCheck("visitrating-list", SIDE, "rating_a", "rating_b", kind="json"),
    RouteCheck(
        "servicecontract-transition",
        a="contract_a",
        b="contract_b",
        args=_pk,
        method="post",
        api=True,
        data={"action": "activate"},
        denied=(400, 403),
        **ACTIVATE,
    ),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path=API,
        no_rows="the API index: links to the endpoints, no rows",
    ),
    *ROUTE_CHECKS_SCAN,
    # The enterprise 360° page (一企一档) with the services panels, and the enterprise list filtered to
    # those with a contract in force (both sides have one here): whoever sees an enterprise sees it.
    RouteCheck(
        "registry:enterprise_detail", ENTERPRISES, "ent_a", "ent_b", args=lambda o: [o.pk], name="enterprise_360"
    ),
    RouteCheck(
        "registry:enterprise_list",
        ENTERPRISES,
        "ent_a",
        "ent_b",
        query={"service_contract": "true"},
        name="enterprise_list:service_contract",
    ),
    RouteCheck(
        "registry:enterprise_list",
        dict.fromkeys(ENTERPRISES, ""),
        "ent_a",
        "ent_b",
        query={"service_contract": "false"},
        name="enterprise_list:no_service_contract",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# Left out: ChecklistTemplate and ChecklistItem (reference data, already every row).
test_a_widened_scope_is_reported = permsuite.widening_tests(
    [m.ServiceContract, m.ServiceVisit, m.VisitRating, m.PendingPhoto], CASES, ROUTE_CHECKS
)


# ---------------------------------------------------------------- the suite can fail


def test_the_suite_reports_visits_for_widened_to_every_visit(world, db, monkeypatch):
    """``visits_for`` returning every visit (measured: the old suite stayed green) turns it red."""
    monkeypatch.setattr(queries, "visits_for", lambda user: ServiceVisit.objects.all())
    failures = permsuite.failures_of(permsuite.check_route, ROUTE_CHECKS[0], "town_a", world)
    assert any("b (" in f and "shown" in f for f in failures), failures


def test_the_suite_reports_a_widened_visit_scope_everywhere(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(ServiceVisit, "scope_q", classmethod(lambda cls, user, action: ALL))
    reported = {
        rc.id: permsuite.failures_of(permsuite.check_route, rc, "town_b", world)
        for rc in ROUTE_CHECKS
        if rc.method == "get"
        and rc.route in ("services:visit_list", "services:visit_detail", "services:visit_photo", "servicevisit-list")
    }
    assert all(reported.values()), reported
