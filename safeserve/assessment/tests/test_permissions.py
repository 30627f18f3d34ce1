"""Every assessment route × every persona: rows, scope and forged writes, from expectations written
from the policy: the county sees and decides everything; a town sees the schemes and assessments, but
of the results only its own sheet and rank, and objects only on its own sheet; nobody else gets in."""

from safeserve.assessment.models import ObjectionFile, Score, Sheet
from safeserve_dev import permsuite
from safeserve_dev.assessment_fixtures import extend_world
from safeserve_dev.permsuite import RouteCheck, route_tests

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

BOTH = {"county": "ab", "town_a": "ab", "town_b": "ab"}  # schemes and assessments: county-wide rules
# Agency staff use the engine for their own grading (test_agency_permissions): of the town
# assessment's lists they see the page and no row.
EMPTY_FOR_AGENCY = {"agency_a": ""}
OWN = {"county": "ab", "town_a": "a", "town_b": "b"}  # results: a town its own only
COUNTY = {"county": "ab"}


def _pk(obj):
    return [obj.pk]


def _assessment(w):
    return [w["assessment"].pk]


def _town(sheet):
    return sheet.subject_label


def _score_town(score):
    return score.sheet.subject_label


ROUTE_CHECKS = [
    RouteCheck("assessment:scheme_list", BOTH | EMPTY_FOR_AGENCY, "scheme", "scheme_other"),
    RouteCheck("assessment:scheme_detail", BOTH, "scheme", "scheme_other", args=_pk),
    RouteCheck("assessment:scheme_add", {"county": ""}, no_rows="the empty scheme form"),
    RouteCheck("assessment:scheme_add", {"county": ""}, method="post", data={"name": "篡改"}, ok=(400,)),
    RouteCheck("assessment:scheme_edit", COUNTY, "scheme", "scheme_other", args=_pk),
    RouteCheck(
        "assessment:scheme_edit",
        COUNTY,
        "scheme",
        "scheme_other",
        args=_pk,
        method="post",
        data={"name": "篡改"},
        ok=(400,),
    ),
    RouteCheck("assessment:assessment_list", BOTH | EMPTY_FOR_AGENCY, "assessment", "assessment_old", label="title"),
    RouteCheck("assessment:assessment_open", {"county": ""}, no_rows="the form opening an assessment"),
    RouteCheck("assessment:assessment_open", {"county": ""}, method="post", data={"title": "篡改"}, ok=(400,)),
    # The ranking: the county every town (table and chart); a town its own row and rank only.
    RouteCheck("assessment:assessment_detail", OWN, "sheet_a", "sheet_b", label=_town, url_args=_assessment),
    RouteCheck(
        "assessment:assessment_export", OWN, "sheet_a", "sheet_b", label=_town, url_args=_assessment, kind="xlsx"
    ),
    RouteCheck(
        "assessment:assessment_report", OWN, "sheet_a", "sheet_b", label=_town, url_args=_assessment, kind="pdf"
    ),
    RouteCheck("assessment:assessment_verify", COUNTY, "assessment", "assessment_old", label="title", args=_pk),
    # 定稿: the county only (here refused with a message: the objection period is not over);
    # the towns see the assessment but may not finalise it.
    RouteCheck(
        "assessment:assessment_finalise",
        COUNTY,
        "assessment",
        "assessment_old",
        args=_pk,
        method="post",
        data={},
        ok=(302,),
        visible={"town_a": "ab", "town_b": "ab"},
    ),
    RouteCheck("assessment:sheet_detail", OWN, "sheet_a", "sheet_b", label=_town, args=_pk),
    RouteCheck("assessment:evidence", OWN, "score_a", "score_b", label=_score_town, args=_pk),
    # 异议: a town on its own sheet; the county sees the sheet but does not object to itself.
    RouteCheck(
        "assessment:objection_raise",
        {"town_a": "a", "town_b": "b"},
        "score_a",
        "score_b",
        args=_pk,
        method="post",
        data={"note": "篡改"},
        ok=(302,),
        visible={"county": "ab"},
    ),
    RouteCheck(
        "assessment:score_adjust",
        COUNTY,
        "score_a",
        "score_b",
        args=_pk,
        method="post",
        data={"points": "1", "reason": "篡改"},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b"},
    ),
    RouteCheck(
        "assessment:objection_rule",
        COUNTY,
        "objection_a",
        "objection_b",
        args=_pk,
        method="post",
        data={"decision": "dismissed", "reason": "篡改"},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b"},
    ),
    RouteCheck("assessment:objection_file", OWN, "file_a", "file_b", args=_pk, kind="file"),
    # The read-only API: the same sheets as the pages.
    RouteCheck("assessment-sheet-list", OWN | EMPTY_FOR_AGENCY, "sheet_a", "sheet_b", kind="json"),
    RouteCheck("assessment-sheet-detail", OWN, "sheet_a", "sheet_b", args=_pk, kind="json"),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/assessment/",
        no_rows="the API index: links to the endpoints, no rows",
        name="assessment api-root",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# Schemes and assessments are county-wide (every town reads them): widening their scope changes nothing
# a town sees. The results are each town's own.
test_a_widened_scope_is_reported = permsuite.widening_tests([Sheet, Score, ObjectionFile], [], ROUTE_CHECKS)
