"""The built-in indicator sources, computed from the records' own dates as of the cut-off.

Each source belongs to the app that owns its records (hazards, services, iot) and is registered in
that app's ready(); these tests compute each through the registry, as the engine does."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from safeserve.core import hooks
from safeserve.hazards.models import Hazard
from safeserve.iot import actions as iot_actions
from safeserve.iot.models import Alarm
from safeserve.services.models import ServiceVisit
from safeserve_dev.services_fixtures import make_contract

Y = 2025
START, END = date(Y, 1, 1), date(Y, 12, 31)


def at(day, hour=10, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def compute(key, world, start=START, end=END):
    ids = [world["town_a"].pk, world["town_b"].pk]
    out = hooks.INDICATOR_SOURCES[key].compute("town", ids, start, end)
    return out[world["town_a"].pk], out[world["town_b"].pk]


def test_the_built_in_sources_are_registered_by_their_apps():
    keys = set(hooks.INDICATOR_SOURCES)
    assert {
        "services.visits_on_time",
        "hazards.closure_rate",
        "hazards.major_overdue",
        "hazards.closure_days",
        "iot.alarms_handled",
    } <= keys
    # Every source names the subjects it measures; the town assessment's own are all town figures.
    assert all(hooks.INDICATOR_SOURCES[k].subjects for k in keys)
    assert {k for k in keys if "agency" in hooks.INDICATOR_SOURCES[k].subjects} >= {
        "supervision.sampling_pass_rate",
        "supervision.staff_sufficiency",
    }


def visit(world, contract, day, seq):
    return ServiceVisit.objects.create(
        agency=contract.agency,
        contract=contract,
        enterprise=world["ent_a"],
        visited_at=at(day),
        seq=seq,
        content_hash="x",
    )


def test_visits_on_time_counts_the_windows_of_each_contract(world):
    # 4 visits a year: windows of 92 days from 1 January; the fourth ends after the contract does.
    c = make_contract(world, number="HT-2025", start=START, end=END, visits_per_year=4)
    v1 = visit(world, c, date(Y, 2, 10), 1)  # window 1 (1 Jan – 2 Apr)
    visit(world, c, date(Y, 3, 1), 2)  # a second visit in window 1 counts once
    v3 = visit(world, c, date(Y, 5, 1), 3)  # window 2 (3 Apr – 3 Jul)
    # window 3 (4 Jul – 3 Oct): no visit
    a, b = compute("services.visits_on_time", world)
    assert (a.value, a.numerator, a.denominator) == (D("66.67"), 2, 3)
    assert a.records == {"services.servicevisit": [v1.pk, v3.pk], "services.servicecontract": [c.pk]}
    assert (b.value, b.denominator) == (None, 0)  # town B owes no visit: nothing to measure
    # As of 1 August only windows 1 and 2 were due, and both were visited.
    a, _b = compute("services.visits_on_time", world, end=date(Y, 8, 1))
    assert (a.value, a.numerator, a.denominator) == (D("100.00"), 2, 2)
    # A visit after the cut-off does not count, even inside a due window.
    visit(world, c, date(Y, 9, 1), 4)
    assert compute("services.visits_on_time", world, end=date(Y, 8, 1))[0].numerator == 2
    assert compute("services.visits_on_time", world)[0].numerator == 3


def test_a_terminated_contract_owes_no_window_after_its_termination(world):
    c = make_contract(world, number="HT-T", start=START, end=END, visits_per_year=4, status="terminated")
    type(c).objects.filter(pk=c.pk).update(terminated_on=date(Y, 5, 1))
    a, _b = compute("services.visits_on_time", world)
    assert a.denominator == 1  # only window 1 ended while it was in force


def hazard(world, side, *, reported, closed=None, level="general", deadline=None):
    return Hazard.objects.create(
        enterprise=world[f"ent_{side}"],
        town=world[f"town_{side}"],
        source="self",
        level=level,
        location="车间",
        description="隐患",
        responsible_person="张三",
        deadline=deadline or reported + timedelta(days=15),
        state="closed" if closed else "reported",
        reported_at=at(reported),
        closed_at=at(closed) if closed else None,
    )


def test_hazard_closure_rate_and_days_as_of_the_cut_off(world):
    h1 = hazard(world, "a", reported=date(Y, 3, 1), closed=date(Y, 3, 11))  # 10 days
    h2 = hazard(world, "a", reported=date(Y, 3, 1), closed=date(Y, 4, 10))  # 40 days
    h3 = hazard(world, "a", reported=date(Y, 6, 1), closed=date(Y + 1, 1, 5))  # closed after the cut-off
    hazard(world, "a", reported=date(Y - 1, 12, 1), closed=date(Y - 1, 12, 5))  # last year: not counted
    a, b = compute("hazards.closure_rate", world)
    assert (a.value, a.numerator, a.denominator) == (D("66.67"), 2, 3)
    assert a.records == {"hazards.hazard": sorted([h1.pk, h2.pk, h3.pk])}
    assert (b.value, b.denominator) == (None, 0)
    days, _ = compute("hazards.closure_days", world)
    assert (days.value, days.numerator, days.denominator) == (D("25.0"), 50, 2)
    # As of 31 March only h1 had been closed.
    a, _ = compute("hazards.closure_rate", world, end=date(Y, 3, 31))
    assert (a.numerator, a.denominator) == (1, 2)


def test_major_overdue_counts_late_closures_in_the_period_and_open_ones_past_their_deadline(world):
    on_time = hazard(world, "a", level="major", reported=date(Y, 2, 1), deadline=date(Y, 3, 1), closed=date(Y, 2, 20))
    late = hazard(world, "a", level="major", reported=date(Y, 2, 1), deadline=date(Y, 3, 1), closed=date(Y, 3, 20))
    still_open = hazard(world, "a", level="major", reported=date(Y, 5, 1), deadline=date(Y, 6, 1))
    not_due = hazard(world, "a", level="major", reported=date(Y, 12, 1), deadline=date(Y + 1, 1, 30))
    general = hazard(world, "a", reported=date(Y, 2, 1), deadline=date(Y, 3, 1))  # 一般: not this indicator
    a, b = compute("hazards.major_overdue", world)
    assert (a.value, a.records) == (2, {"hazards.hazard": sorted([late.pk, still_open.pk])})
    assert b.value == 0
    assert {on_time.pk, not_due.pk, general.pk}.isdisjoint(a.records["hazards.hazard"])
    # Closed after the cut-off: still open (and overdue) as of the cut-off.
    Hazard.objects.filter(pk=still_open.pk).update(state="closed", closed_at=at(date(Y + 1, 1, 2)))
    assert compute("hazards.major_overdue", world)[0].value == 2


def test_alarms_handled_within_the_deadline(world, settings):
    device, _secret = iot_actions.device_create(
        actor=None,
        data={"enterprise": world["ent_a"], "code": "JS-A-9", "name": "配电箱", "place": "一车间", "circuit": "动力",
              "rated_current_a": 32, "interval_s": 60},
    )  # fmt: skip

    def alarm(raised, acked_after_minutes=None, **kw):
        raised_at = at(raised)
        return Alarm.objects.create(
            device=device,
            enterprise=world["ent_a"],
            type="residual",
            severity="critical",
            state="cleared_ack" if acked_after_minutes is not None else "cleared_unack",
            active=False,
            started_ts=0,
            last_ts=0,
            raised_at=raised_at,
            acknowledged_at=raised_at + timedelta(minutes=acked_after_minutes)
            if acked_after_minutes is not None
            else None,
            **kw,
        )

    fast = alarm(date(Y, 4, 1), 5)
    slow = alarm(date(Y, 4, 2), 30)  # past the 10-minute handling deadline
    never = alarm(date(Y, 4, 3))
    a, b = compute("iot.alarms_handled", world)
    assert (a.value, a.numerator, a.denominator) == (D("33.33"), 1, 3)
    assert a.records == {"iot.alarm": sorted([fast.pk, slow.pk, never.pk])}
    assert b.value is None
    settings.SAFESERVE_IOT = {"ESCALATE_CRITICAL_MINUTES": 60}
    assert compute("iot.alarms_handled", world)[0].numerator == 2


@pytest.mark.parametrize("key", ["hazards.closure_rate", "hazards.major_overdue", "hazards.closure_days"])
def test_hazard_sources_also_measure_agencies(world, key):
    h = hazard(world, "a", reported=date(Y, 3, 1), closed=date(Y, 3, 5))
    Hazard.objects.filter(pk=h.pk).update(agency=world["agency_a"])
    out = hooks.INDICATOR_SOURCES[key].compute("agency", [world["agency_a"].pk], START, END)
    assert set(out) == {world["agency_a"].pk}
