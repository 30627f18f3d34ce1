"""The yearly agency grading (年度服务机构考评) × every persona: the county sees and decides
everything; an agency sees the agency schemes and gradings but of the results only its own sheet
(page, ranking, .xlsx, PDF, API) and objects only on it; towns and everybody else see no agency sheet."""

from safeserve.assessment.models import Score, Sheet
from safeserve_dev import permsuite
from safeserve_dev.assessment_fixtures import extend_world
from safeserve_dev.permsuite import RouteCheck, route_tests

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

OWN = {"county": "ab", "agency_a": "a"}
COUNTY = {"county": "ab"}


def _pk(obj):
    return [obj.pk]


def _grading(w):
    return [w["agency_assessment"].pk]


def _label(sheet):
    return sheet.subject_label


def _score_label(score):
    return score.sheet.subject_label


ROUTE_CHECKS = [
    # The list of gradings: the agency grading (a) — never the town assessment (b) on this page.
    RouteCheck(
        "assessment:agency_list",
        {"county": "a", "agency_a": "a", "town_a": "", "town_b": ""},
        "agency_assessment",
        "assessment",
        label="title",
    ),
    RouteCheck("assessment:agency_scheme_default", {"county": ""}, method="post", data={}, ok=(302,)),
    # Schemes: an agency reads the agency scheme (a), not the town scheme (b); towns the reverse.
    RouteCheck(
        "assessment:scheme_detail",
        {"county": "ab", "agency_a": "a", "town_a": "b", "town_b": "b"},
        "agency_scheme",
        "scheme",
        args=_pk,
    ),
    RouteCheck("assessment:assessment_detail", OWN, "agsheet_a", "agsheet_b", label=_label, url_args=_grading),
    RouteCheck(
        "assessment:assessment_export", OWN, "agsheet_a", "agsheet_b", label=_label, url_args=_grading, kind="xlsx"
    ),
    RouteCheck(
        "assessment:assessment_report", OWN, "agsheet_a", "agsheet_b", label=_label, url_args=_grading, kind="pdf"
    ),
    RouteCheck("assessment:sheet_detail", OWN, "agsheet_a", "agsheet_b", label=_label, args=_pk),
    RouteCheck("assessment:evidence", OWN, "agscore_a", "agscore_b", label=_score_label, args=_pk),
    RouteCheck(
        "assessment:objection_raise",
        {"agency_a": "a"},
        "agscore_a",
        "agscore_b",
        args=_pk,
        method="post",
        data={"note": "篡改"},
        ok=(302,),
        visible={"county": "ab"},
    ),
    RouteCheck(
        "assessment:score_adjust",
        COUNTY,
        "agscore_a",
        "agscore_b",
        args=_pk,
        method="post",
        data={"points": "1", "reason": "篡改"},
        ok=(302,),
        visible={"agency_a": "a"},
    ),
    RouteCheck(
        "assessment:objection_rule",
        COUNTY,
        "agobjection_a",
        "agobjection_b",
        args=_pk,
        method="post",
        data={"decision": "dismissed", "reason": "篡改"},
        ok=(302,),
        visible={"agency_a": "a"},
    ),
    RouteCheck(
        "assessment-sheet-list",
        {"county": "ab", "agency_a": "a", "town_a": "", "town_b": ""},
        "agsheet_a",
        "agsheet_b",
        kind="json",
    ),
    RouteCheck("assessment-sheet-detail", OWN, "agsheet_a", "agsheet_b", args=_pk, kind="json"),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = permsuite.widening_tests([Sheet, Score], [], ROUTE_CHECKS)
