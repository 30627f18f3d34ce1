"""Every training route × every persona, from the policy: a provider (agency) keeps its own courses,
sessions, trainees and certificates; an enterprise sees its own people; a town its enterprises'; the
catalogue of courses and sessions is readable by every role that trains or is trained."""

from safeserve.training import models as m
from safeserve.training import views as v
from safeserve_dev import permsuite
from safeserve_dev.memberwork_fixtures import extend_training
from safeserve_dev.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests

world = permsuite.shared_world(extend_training)

CATALOGUE = dict.fromkeys(("county", "town_a", "town_b", "ent_a", "agency_a"), "ab")
PEOPLE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"}
PROVIDER = {"county": "ab", "agency_a": "a"}

CASES = [
    PermissionCase(
        v.COURSE, "course_a", "course_b", view=CATALOGUE, change=PROVIDER, delete=PROVIDER, add={"county", "agency_a"}
    ),
    PermissionCase(
        v.SESSION,
        "session_a",
        "session_b",
        label="place",
        view=CATALOGUE,
        change=PROVIDER,
        delete=PROVIDER,
        add={"county", "agency_a"},
    ),
    PermissionCase(
        v.ATTENDANCE,
        "attendance_a",
        "attendance_b",
        view=PEOPLE,
        change={"agency_a": "a"},
        delete={"agency_a": "a"},
        add={"agency_a"},
    ),
    PermissionCase(
        v.CERTIFICATE,
        "certificate_a",
        "certificate_b",
        label="holder_name",
        view=PEOPLE,
        change={"agency_a": "a"},
        delete={"agency_a": "a"},
        add={"agency_a"},
    ),
]
test_permissions = permission_tests(CASES)


def _pk(obj):
    return [obj.pk]


OFFICERS = {"county": "ab", "town_a": "a", "town_b": "b"}
ROUTE_CHECKS = [
    RouteCheck("training:status", {**OFFICERS, "ent_a": "a"}, "ent_a", "ent_b", args=_pk),
    # The enterprise's own page; officers are sent on to the overview, a provider to its trainees.
    RouteCheck(
        "training:my_status",
        {"county": "", "town_a": "", "town_b": "", "ent_a": "a", "agency_a": ""},
        "ent_a",
        "ent_b",
        ok=(200, 302),
    ),
    RouteCheck("training:overview", OFFICERS, "ent_a", "ent_b"),
    RouteCheck(
        "training:overview", OFFICERS, "ent_a", "ent_b", query={"download": "1"}, kind="xlsx", name="overview export"
    ),
    # Only the session's provider imports its attendance (the county keeps the catalogue, not the people).
    RouteCheck("training:attendance_import", {"agency_a": "a"}, "session_a", "session_b", args=_pk, label="place"),
    RouteCheck(
        "training:attendance_import",
        {"agency_a": "a"},
        a="session_a",
        b="session_b",
        args=_pk,
        method="post",
        data={},
        ok=(200,),
        visible={"county": "ab"},
        denied=(403,),
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# Course and TrainingSession are a catalogue every permitted role reads (already every row to view).
test_a_widened_scope_is_reported = permsuite.widening_tests([m.Attendance, m.Certificate], CASES, ROUTE_CHECKS)
