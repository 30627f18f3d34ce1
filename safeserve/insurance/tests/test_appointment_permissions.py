"""Every appointment route × every persona (AQ 9010 advance confirmation). Scoped like the plans
(insurer A its own policies', towns their enterprises', the insured its own, the county all) and the
plan's agency its own plans'; the insured alone confirms, declines; the plan's agency and the insurer
propose and cancel."""

from datetime import timedelta

from django.utils import timezone

from safeserve.insurance.models import Appointment
from safeserve_dev import permsuite
from safeserve_dev.appointment_fixtures import extend_appointments
from safeserve_dev.insurance_fixtures import extend_world
from safeserve_dev.permsuite import RouteCheck, route_tests, widening_tests

world = permsuite.shared_world(extend_world, extend_appointments)
media_root = permsuite.shared_media_root

SEE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "insurer_a": "a", "agency_a": "a"}
PROPOSERS = {"insurer_a": "a", "agency_a": "a"}


def _pk(obj):
    return [obj.pk]


def _proposal(world):
    return {
        "day": (timezone.localdate() + timedelta(days=7)).isoformat(),
        "half_day": "am",
        "place": "甲厂区二号车间",
        "items": ["hazard"],
        "staff": [world["staff_a"].pk],
    }


ROUTE_CHECKS = [
    RouteCheck("insurance:appointment_list", SEE, "appointment_a", "appointment_b", label="place"),
    RouteCheck(
        "insurance:appointment_list",
        SEE,
        "appointment_a",
        "appointment_b",
        label="place",
        query={"state": "proposed"},
        name="appointments awaiting confirmation",
    ),
    RouteCheck(
        "insurance:appointment_unconfirmed",
        SEE,
        "visit_a",
        "visit_b",
        label=lambda v: v.enterprise.name,
    ),
    RouteCheck(
        "insurance:appointment_act",
        {"ent_a": "a"},
        "appointment_a",
        "appointment_b",
        args=lambda a: [a.pk, "confirm"],
        method="post",
        data={},
        ok=(302,),
        visible={k: v for k, v in SEE.items() if k != "ent_a"},
        denied=(403,),
    ),
    RouteCheck(
        "insurance:appointment_act",
        PROPOSERS,
        "appointment_a",
        "appointment_b",
        args=lambda a: [a.pk, "cancel"],
        method="post",
        data={"reason": "人员调整"},
        ok=(302,),
        visible={k: v for k, v in SEE.items() if k not in PROPOSERS},
        denied=(403,),
        name="appointment cancel",
    ),
    RouteCheck(
        "insurance:appointment_propose",
        PROPOSERS,
        "plan_a",
        "plan_b",
        args=_pk,
        label=lambda p: p.policy.number,
    ),
    RouteCheck(
        "insurance:appointment_propose",
        PROPOSERS,
        "plan_a",
        "plan_b",
        args=_pk,
        method="post",
        data=_proposal,
        ok=(302,),
        visible={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        denied=(403,),
    ),
    RouteCheck(
        "insurance-appointment-list",
        SEE,
        "appointment_a",
        "appointment_b",
        path="/api/v1/insurance/appointments/",
        kind="json",
    ),
    RouteCheck(
        "insurance-appointment-detail",
        SEE,
        "appointment_a",
        "appointment_b",
        args=lambda a: [a.pk],
        kind="json",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = widening_tests([Appointment], [], ROUTE_CHECKS)
