"""Every credit route × every persona: rows, scope and forged writes, from expectations written from
the policy (roles.py, each model's scope and the listing table in transitions.py)."""

from safeserve.credit import views as v
from safeserve_dev import permsuite
from safeserve_dev.credit_fixtures import extend_world
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

OFFICERS = {"county": "ab", "town_a": "a", "town_b": "b"}
# Facts of an enterprise: the county all, a town its own, the enterprise reads its own.
FACT_VIEW = {**OFFICERS, "ent_a": "a"}
OFFICER_ADD = {"county", "town_a", "town_b"}

EDITABLE = [
    PermissionCase(
        v.ACCIDENT,
        "accident_a",
        "accident_b",
        label="title",
        view=FACT_VIEW,
        change=OFFICERS,
        delete=OFFICERS,
        add=OFFICER_ADD,
    ),
    # An agency reads penalties whose party it is (none of these two).
    PermissionCase(
        v.PENALTY,
        "penalty_a",
        "penalty_b",
        label="decision_number",
        view={**FACT_VIEW, "agency_a": ""},
        change=OFFICERS,
        delete=OFFICERS,
        add=OFFICER_ADD,
    ),
    PermissionCase(
        v.COMMITMENT,
        "commitment_a",
        "commitment_b",
        label="content",
        view=FACT_VIEW,
        change=OFFICERS,
        delete=OFFICERS,
        add=OFFICER_ADD,
    ),
    # Rule tables: the county's; towns read them.
    PermissionCase(
        v.RULETABLE,
        "rules_a",
        "rules_b",
        label="name",
        view={"county": "ab", "town_a": "ab", "town_b": "ab"},
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
    # A proposal is internal until the party is told: the county and the enterprise's town only.
    PermissionCase(
        v.LISTING,
        "listing_a",
        "listing_b",
        label="facts",
        view={**OFFICERS, "ent_a": "", "agency_a": ""},
        change={"county": "ab"},
        add={"county"},
    ),
]
# Grades: an agency reads its own (agency grades: test_grades.py), none of these enterprises'.
GRADES = PermissionCase(v.GRADE, "grade_a", "grade_b", label="subject_name", view={**FACT_VIEW, "agency_a": ""})

CASES = [*EDITABLE, GRADES]

test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(EDITABLE)


def _pk(obj):
    return [obj.pk]


PUB_VIEW = {**OFFICERS, "ent_a": "a"}  # a published listing: its party reads it too

ROUTE_CHECKS = [
    RouteCheck("credit:accident_attachment", FACT_VIEW, "accident_a", "accident_b", args=_pk, kind="file"),
    RouteCheck(
        "credit:accident_upload",
        OFFICERS,
        "accident_a",
        "accident_b",
        args=_pk,
        method="post",
        data={},
        ok=(302,),  # no file: the form's error on the detail page, nothing stored
        visible={"ent_a": "a"},  # it reads its own accident but attaches nothing to it
    ),
    RouteCheck(
        "credit:commitment_check",
        OFFICERS,
        "commitment_a",
        "commitment_b",
        args=_pk,
        method="post",
        data={"kept": "0", "note": "篡改"},
        ok=(302,),
        visible={"ent_a": "a"},  # it reads its own commitment but does not check it
    ),
    RouteCheck("credit:penalty_import", dict.fromkeys(OFFICER_ADD, ""), no_rows="the upload form"),
    RouteCheck(
        "credit:penalty_import",
        dict.fromkeys(OFFICER_ADD, ""),
        method="post",
        data={},
        ok=(400,),  # no file: the form's error, nothing imported (test_import.py imports real files)
    ),
    RouteCheck("credit:penalty_template", dict.fromkeys(OFFICER_ADD, ""), no_rows="an empty template", kind="file"),
    RouteCheck("credit:listing_decision", PUB_VIEW, "pub_a", "pub_b", args=_pk, kind="file"),
    RouteCheck("credit:listing_evidence", PUB_VIEW, "pub_a", "pub_b", args=_pk, kind="file"),
    RouteCheck(
        "credit:listing_transition",
        {"county": "ab"},
        "pub_a",
        "pub_b",
        args=lambda li: [li.pk, "refuse_repair"],
        method="post",
        data={"reason": "篡改"},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b", "ent_a": "a"},  # they read it; the table gives them no step
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
