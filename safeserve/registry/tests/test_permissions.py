"""Every registry route × every persona, from the expectations below (written from the policy)."""

from safeserve.core.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests
from safeserve.registry import views as v

API = "/api/v1/registry/"
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

ROUTE_CHECKS = [
    RouteCheck("registry:enterprise_import", {"county", "town_a", "town_b"}),
    RouteCheck("registry:agency_import", {"county"}),
    RouteCheck("registry:expert_import", {"county"}),
    RouteCheck("registry:import_template", {"county", "town_a", "town_b"}, args=lambda w: ["enterprise"]),
    # Leaving and county confirmation (relscope): the page posts go back with a message for whoever may
    # change the record (the agency's own confirmation is refused there); the API refuses it with 403.
    RouteCheck("registry:agencystaff_deactivate", {"county", "agency_a"}, lambda w: [w["staff_a"].pk], "post", (302,)),
    RouteCheck(
        "registry:certificate_confirm",
        {"county", "agency_a"},
        lambda w: ["agencystaff", w["staff_a"].pk],
        "post",
        (302,),
    ),
    RouteCheck("agencystaff-deactivate", {"county", "agency_a"}, lambda w: [w["staff_a"].pk], "post"),
    RouteCheck("agencystaff-confirm", {"county"}, lambda w: [w["staff_a"].pk], "post"),
    RouteCheck("agencyqualification-confirm", {"county"}, lambda w: [w["qual_a"].pk], "post"),
]

test_routes = route_tests(ROUTE_CHECKS)
