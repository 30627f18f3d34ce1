"""Test helpers for the insurance appointments (AQ 9010 advance confirmation), on top of
``insurance_fixtures.extend_world``: both plans get an agency with a commission contract (plan_a:
agency_a with staff_a; plan_b: agency_b), one recorded visit each with no appointment (未提前确认),
and one proposed appointment each."""

from datetime import timedelta

from django.utils import timezone

from safeserve_dev.testkit import on_day


def make_visit(world, plan, day, seq=None):
    """A prevention visit under the plan's contract at its insured, written directly (no chain check)."""
    from safeserve.services.models import ServiceVisit

    agency = plan.agency
    seq = seq or ServiceVisit.objects.filter(agency=agency).count() + 1
    return ServiceVisit.objects.create(
        agency=agency,
        contract=plan.contract,
        enterprise=plan.policy.enterprise,
        visited_at=on_day(day),
        findings="现场检查",
        seq=seq,
        content_hash=f"{seq:064d}",
    )


def extend_appointments(world):
    from safeserve.insurance.actions import _sync_contract
    from safeserve.insurance.models import Appointment, PreventionPlan

    o = world.objs
    today = timezone.localdate()
    o["plan_a"].staff.add(world["staff_a"])
    PreventionPlan.objects.filter(pk=o["plan_b"].pk).update(agency=world["agency_b"])
    o["plan_b"].refresh_from_db()
    for key in ("plan_a", "plan_b"):
        _sync_contract(None, o[key])
        o[key].refresh_from_db()
    o["visit_a"] = make_visit(world, o["plan_a"], today - timedelta(days=2))
    o["visit_b"] = make_visit(world, o["plan_b"], today - timedelta(days=2))
    o["appointment_a"] = Appointment.objects.create(
        plan=o["plan_a"],
        day=today + timedelta(days=5),
        place="甲厂区一号车间",
        items=["hazard"],
        proposed_by=world.users["agency_a"],
    )
    o["appointment_a"].staff.add(world["staff_a"])
    o["appointment_b"] = Appointment.objects.create(
        plan=o["plan_b"],
        day=today + timedelta(days=5),
        place="乙仓库东侧",
        items=["training"],
        proposed_by=world.users["insurer_a"],
    )
    return world
