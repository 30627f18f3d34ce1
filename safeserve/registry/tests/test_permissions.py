"""Every registry route × every persona, from the expectations below (written from the policy)."""

from safeserve.registry import models as m
from safeserve.registry import views as v
from safeserve.registry.models import Enterprise
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests

world = permsuite.shared_world()

API = "/api/v1/registry/"
LOGGED_IN = ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")
OFFICERS_ALL = {"county": "ab", "town_a": "ab", "town_b": "ab"}

CASES = [
    PermissionCase(
        v.TOWN,
        "town_a",
        "town_b",
        api_prefix=f"{API}towns/",
        view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.VILLAGE,
        "village_a",
        "village_b",
        api_prefix=f"{API}villages/",
        view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        change={"county": "ab", "town_a": "a", "town_b": "b"},
        delete={"county": "ab"},
        add={"county", "town_a", "town_b"},
    ),
    PermissionCase(
        v.INDUSTRY,
        "industry",
        "section_c",
        api_prefix=f"{API}industries/",
        view=dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a"), "ab"
        ),
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.ENTERPRISE,
        "ent_a",
        "ent_b",
        api_prefix=f"{API}enterprises/",
        # agency_a may list enterprises but sees only those it serves under a contract: none in this world
        # (services/tests/test_contracts.py covers the served case).
        view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "assoc_a": "a", "agency_a": ""},
        change={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        delete={"county": "ab"},
        add={"county", "town_a", "town_b"},
    ),
    PermissionCase(
        v.AGENCY,
        "agency_a",
        "agency_b",
        api_prefix=f"{API}agencies/",
        view={**OFFICERS_ALL, "ent_a": "ab", "insurer_a": "ab", "assoc_a": "ab", "agency_a": "a"},
        change={"county": "ab", "agency_a": "a"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.QUALIFICATION,
        "qual_a",
        "qual_b",
        api_prefix=f"{API}agency-qualifications/",
        view={**OFFICERS_ALL, "ent_a": "ab", "insurer_a": "ab", "assoc_a": "ab", "agency_a": "a"},
        change={"county": "ab", "agency_a": "a"},
        delete={"county": "ab", "agency_a": "a"},
        add={"county", "agency_a"},
    ),
    PermissionCase(
        v.STAFF,
        "staff_a",
        "staff_b",
        api_prefix=f"{API}agency-staff/",
        # An enterprise sees only the people on its contracts and visits: none in this world.
        view={**OFFICERS_ALL, "agency_a": "a", "ent_a": ""},
        change={"county": "ab", "agency_a": "a"},
        delete={"county": "ab", "agency_a": "a"},
        add={"county", "agency_a"},
    ),
    PermissionCase(
        v.EXPERT,
        "expert_a",
        "expert_b",
        api_prefix=f"{API}experts/",
        view={**OFFICERS_ALL, "expert_a": "a"},
        change={"county": "ab", "expert_a": "a"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.INSURER,
        "insurer_a",
        "insurer_b",
        api_prefix=f"{API}insurers/",
        view={**OFFICERS_ALL, "ent_a": "ab", "insurer_a": "a"},
        change={"county": "ab", "insurer_a": "a"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.ASSOCIATION,
        "assoc_a",
        "assoc_b",
        api_prefix=f"{API}associations/",
        view={**OFFICERS_ALL, "ent_a": "ab", "assoc_a": "a"},
        change={"county": "ab", "assoc_a": "a"},
        delete={"county": "ab"},
        add={"county"},
    ),
]

test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)

OFFICERS = ("county", "town_a", "town_b")


def _pk(obj):
    return [obj.pk]


ROUTE_CHECKS = [
    # Roster imports: whoever may add that kind of record. The page is an upload form.
    RouteCheck("registry:enterprise_import", dict.fromkeys(OFFICERS, ""), no_rows="an upload form"),
    RouteCheck("registry:agency_import", {"county": ""}, no_rows="an upload form"),
    RouteCheck("registry:expert_import", {"county": ""}, no_rows="an upload form"),
    # A POST without a file is answered with the form and its error; the others are refused.
    RouteCheck("registry:enterprise_import", dict.fromkeys(OFFICERS, ""), method="post", data={"action": "upload"}),
    RouteCheck("registry:agency_import", {"county": ""}, method="post", data={"action": "upload"}),
    RouteCheck("registry:expert_import", {"county": ""}, method="post", data={"action": "upload"}),
    # The template lists the towns (and villages) the user may register enterprises in.
    RouteCheck(
        "registry:import_template",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "town_a",
        "town_b",
        kind="xlsx",
        url_args=["enterprise"],
    ),
    RouteCheck(
        "api-root", dict.fromkeys(LOGGED_IN, ""), path=API, no_rows="the API index: links to the endpoints, no rows"
    ),
    # Leaving (deactivation) and county confirmation of certificates: whoever may change the record
    # leaves staff; only the county confirms (the agency's own confirmation is refused, nothing changes).
    RouteCheck(
        "registry:agencystaff_deactivate",
        {"county": "ab", "agency_a": "a"},
        "staff_a",
        "staff_b",
        args=_pk,
        method="post",
        ok=(302,),
    ),
    RouteCheck(
        "registry:certificate_confirm",
        {"county": "ab"},
        "staff_a",
        "staff_b",
        args=lambda o: ["agencystaff", o.pk],
        method="post",
        ok=(302,),
        visible={"agency_a": "a"},
    ),
    RouteCheck(
        "agencystaff-deactivate", {"county": "ab", "agency_a": "a"}, "staff_a", "staff_b", args=_pk, method="post"
    ),
    RouteCheck(
        "agencystaff-confirm",
        {"county": "ab"},
        "staff_a",
        "staff_b",
        args=_pk,
        method="post",
        visible={"agency_a": "a"},
    ),
    RouteCheck(
        "agencyqualification-confirm",
        {"county": "ab"},
        "qual_a",
        "qual_b",
        args=_pk,
        method="post",
        visible={"agency_a": "a"},
    ),
]

# No contract in this world: every enterprise a persona sees is one without a service contract.
ROUTE_CHECKS.append(
    RouteCheck(
        "registry:enterprise_list",
        {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "assoc_a": "a", "agency_a": ""},
        "ent_a",
        "ent_b",
        query={"service_contract": "false"},
        name="enterprise_list:no_service_contract",
    )
)
test_routes = route_tests(ROUTE_CHECKS)
# Left out: Industry (reference data, already every row): widening it changes nothing.
test_a_widened_scope_is_reported = permsuite.widening_tests(
    [
        m.Town,
        m.Village,
        m.Enterprise,
        m.Agency,
        m.AgencyQualification,
        m.AgencyStaff,
        m.Expert,
        m.Insurer,
        m.Association,
    ],
    CASES,
    ROUTE_CHECKS,
)


# ---------------------------------------------------------------- the suite can fail


def test_the_suite_reports_a_widened_enterprise_scope_and_the_forged_writes_it_lets_through(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(Enterprise, "scope_q", classmethod(lambda cls, user, action: ALL))
    enterprise = next(c for c in CASES if c.config is v.ENTERPRISE)
    failures = permsuite.failures_of(permsuite.check_case, enterprise, "town_b", world)
    text = "\n".join(failures)
    for seen in ("list: a", "list (htmx): a", "export: a", "api list: a present", "detail a: expected 404"):
        assert seen in text, text
    # The edit form refuses town B's officer the other town; the API lets the PATCH through.
    assert "forged api PATCH a changed the database: core_auditlog, registry_enterprise" in text, text
