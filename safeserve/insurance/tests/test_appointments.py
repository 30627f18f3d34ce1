"""Appointments of prevention visits (AQ 9010-2019: confirmed with the insured in advance): the state
machine generated from its table, who may take each step, reasons, the visit that fulfils an
appointment, the 未提前确认 flag on both sides of the confirmation date, missed appointments, the
home cards against their lists, the pages and the notifications to the other side."""

from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from safeserve.insurance import actions, queries, transitions
from safeserve.insurance.choices import AppointmentState as S
from safeserve.insurance.models import Appointment
from safeserve.notifications.models import Notification
from safeserve_dev.appointment_fixtures import extend_appointments, make_visit
from safeserve_dev.insurance_fixtures import extend_world

TODAY = timezone.localdate()
# The persona standing for each party of the table on plan_a (policy_a of insurer A, ent_a, agency_a).
PARTY_PERSONAS = {transitions.INSURED: ("ent_a",), transitions.PROPOSER: ("agency_a", "insurer_a")}
OUTSIDERS = ("town_a", "county")


@pytest.fixture
def w(world):
    return extend_appointments(extend_world(world))


def _make(w, state, *, day=None, plan="plan_a", **kw):
    a = Appointment.objects.create(
        plan=w[plan],
        day=day or TODAY + timedelta(days=4),
        place="一号车间",
        items=list(w[plan].items),
        proposed_by=w.users["agency_a"],
        state=state,
        **kw,
    )
    return a


def _step(w, persona, a, action, **kw):
    if action in transitions.NEEDS_REASON:
        kw.setdefault("reason", "理由")
    if action == "reschedule":
        kw.setdefault(
            "data", {"day": TODAY + timedelta(days=8), "half_day": "pm", "place": "二号车间", "items": ["hazard"]}
        )
    return actions.appointment_act(actor=w.user(persona), appointment=a, action=action, **kw)


CASES = [
    (state, action, persona, party in t.parties)
    for (state, action), t in transitions.TABLE.items()
    for party, personas in PARTY_PERSONAS.items()
    for persona in personas
] + [(state, action, persona, False) for (state, action) in transitions.TABLE for persona in OUTSIDERS]


@pytest.mark.parametrize(("state", "action", "persona", "may"), CASES, ids=lambda v: str(v))
def test_the_table_decides_who_takes_each_step(w, state, action, persona, may):
    a = _make(w, state)
    if not may:
        with pytest.raises(PermissionDenied):
            _step(w, persona, a, action)
        assert Appointment.objects.get(pk=a.pk).state == state
        return
    result = _step(w, persona, a, action)
    a.refresh_from_db()
    assert a.state == transitions.TABLE[(state, action)].target
    if action == "reschedule":
        assert result.replaces == a and result.state == S.PROPOSED  # a new proposal, the old one kept
    # The page offers exactly the steps the table gives the persona in the new state.
    parties = {p for p, personas in PARTY_PERSONAS.items() if persona in personas}
    offered = [act for (st, act), t in transitions.TABLE.items() if st == a.state and parties & t.parties]
    assert transitions.available_actions(w.user(persona), a) == offered


@pytest.mark.parametrize("state", list(S.values))
@pytest.mark.parametrize("action", list(transitions.ACTIONS))
def test_a_step_outside_the_table_is_refused(w, state, action):
    if (state, action) in transitions.TABLE:
        return
    a = _make(w, state)
    for persona in ("ent_a", "agency_a"):
        with pytest.raises(ValidationError):
            _step(w, persona, a, action)
    assert Appointment.objects.get(pk=a.pk).state == state


def test_an_enterprise_of_another_policy_cannot_confirm(w, client_for):
    b = w["appointment_b"]  # policy_b of ent_b
    resp = client_for("ent_a").post(reverse("insurance:appointment_act", args=[b.pk, "confirm"]))
    assert resp.status_code == 404
    with pytest.raises(PermissionDenied):
        actions.appointment_act(actor=w.user("ent_a"), appointment=b, action="confirm")
    assert Appointment.objects.get(pk=b.pk).state == S.PROPOSED
    # Its own, it confirms.
    a = w["appointment_a"]
    resp = client_for("ent_a").post(reverse("insurance:appointment_act", args=[a.pk, "confirm"]))
    assert resp.status_code == 302
    a.refresh_from_db()
    assert a.state == S.CONFIRMED and a.answered_by == w.user("ent_a") and a.answered_at is not None


def test_decline_and_cancel_need_a_reason(w, client_for):
    a = w["appointment_a"]
    for blank in ("", "   "):
        with pytest.raises(ValidationError):
            actions.appointment_act(actor=w.user("ent_a"), appointment=a, action="decline", reason=blank)
    c = client_for("ent_a")
    c.post(reverse("insurance:appointment_act", args=[a.pk, "decline"]), {"reason": ""})
    assert Appointment.objects.get(pk=a.pk).state == S.PROPOSED
    later = TODAY + timedelta(days=10)
    c.post(
        reverse("insurance:appointment_act", args=[a.pk, "decline"]),
        {"reason": "当天停产检修", "suggested_day": later.isoformat()},
    )
    a.refresh_from_db()
    assert (a.state, a.reason, a.suggested_day) == (S.DECLINED, "当天停产检修", later)
    with pytest.raises(ValidationError):
        actions.appointment_act(actor=w.user("agency_a"), appointment=a, action="cancel", reason="")


def test_a_proposal_takes_staff_and_items_of_the_plan_and_a_day_ahead(w):
    plan = w["plan_a"]
    agency = w.user("agency_a")
    good = {"day": TODAY + timedelta(days=3), "half_day": "am", "place": "车间", "items": ["hazard"]}
    with pytest.raises(ValidationError):
        actions.appointment_propose(actor=agency, plan=plan, data=good, staff=[w["staff_b"]])
    with pytest.raises(ValidationError):
        actions.appointment_propose(actor=agency, plan=plan, data={**good, "items": ["training"]})
    with pytest.raises(ValidationError):
        actions.appointment_propose(actor=agency, plan=plan, data={**good, "day": TODAY - timedelta(days=1)})
    with pytest.raises(PermissionDenied):
        actions.appointment_propose(actor=w.user("ent_a"), plan=plan, data=good)
    with pytest.raises(PermissionDenied):  # agency_a does not serve plan_b
        actions.appointment_propose(actor=agency, plan=w["plan_b"], data={**good, "items": ["training"]})
    a = actions.appointment_propose(actor=agency, plan=plan, data=good, staff=[w["staff_a"]])
    assert a.state == S.PROPOSED and list(a.staff.all()) == [w["staff_a"]] and a.proposed_by == agency


def test_the_other_side_is_notified_on_commit(w, django_capture_on_commit_callbacks):
    ent = w.user("ent_a")
    good = {"day": TODAY + timedelta(days=3), "half_day": "am", "place": "车间", "items": ["hazard"]}
    with django_capture_on_commit_callbacks(execute=True):
        a = actions.appointment_propose(actor=w.user("agency_a"), plan=w["plan_a"], data=good)
    assert Notification.objects.filter(recipient=ent, kind="insurance.appointment").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        actions.appointment_act(actor=ent, appointment=a, action="confirm")
    # The proposer is told; nobody is told of their own step.
    assert Notification.objects.filter(recipient=w.user("agency_a"), kind="insurance.appointment").count() == 1
    assert Notification.objects.filter(recipient=ent, kind="insurance.appointment").count() == 1


def _confirm(a, on_day):
    Appointment.objects.filter(pk=a.pk).update(
        state=S.CONFIRMED, answered_at=timezone.make_aware(datetime.combine(on_day, time(18, 0)))
    )


def test_unconfirmed_flag_on_both_sides_of_the_confirmation_date(w):
    insurer = w.user("insurer_a")
    day = TODAY - timedelta(days=5)
    visit = make_visit(w, w["plan_a"], day)
    a = _make(w, S.PROPOSED, day=day)
    flagged = lambda: set(queries.unconfirmed_visits(insurer).values_list("pk", flat=True))  # noqa: E731
    assert visit.pk in flagged()  # proposed, never confirmed
    _confirm(a, day - timedelta(days=1))
    assert visit.pk not in flagged()  # confirmed the day before
    _confirm(a, day)
    assert visit.pk not in flagged()  # confirmed on the day itself (before the visit, or at least that day)
    _confirm(a, day + timedelta(days=1))
    assert visit.pk in flagged()  # confirmed only after the visit: not in advance
    assert queries.unconfirmed_visit_ids([visit.pk]) == {visit.pk}
    # An appointment confirmed in advance for another day does not cover the visit.
    _confirm(a, day - timedelta(days=1))
    Appointment.objects.filter(pk=a.pk).update(day=day + timedelta(days=1))
    assert visit.pk in flagged()


def test_a_visit_on_the_day_fulfils_a_confirmed_appointment_else_it_is_missed(w):
    ent = w.user("ent_a")
    past = TODAY - timedelta(days=3)
    kept = _make(w, S.CONFIRMED, day=past)
    missed = _make(w, S.CONFIRMED, day=past - timedelta(days=1))
    make_visit(w, w["plan_a"], past)
    rows = {a.pk: queries.appointment_outcome(a, TODAY)[0] for a in queries.appointments(ent)}
    assert rows[kept.pk] == "已上门"
    assert rows[missed.pk] == "爽约/未上门"
    assert rows[w["appointment_a"].pk] == "待企业确认"


def _cards(resp):
    return {c["key"]: (c["value"], c["url"]) for c in resp.context["summary"]["cards"]}


def test_home_cards_list_exactly_their_numbers(w, client_for):
    _make(w, S.PROPOSED)
    _make(w, S.CONFIRMED)
    _make(w, S.PROPOSED, plan="plan_b")  # ent_b's: not ent_a's
    make_visit(w, w["plan_a"], TODAY - timedelta(days=1))
    for persona, key, expected in (("insurer_a", "visits-unconfirmed", 2), ("ent_a", "appointments-awaiting", 2)):
        c = client_for(persona)
        value, url = _cards(c.get(reverse("home")))[key]
        assert value == expected, persona
        assert c.get(url).context["page"].paginator.count == value, persona
    assert "visits-unconfirmed" not in _cards(client_for("county").get(reverse("home")))


def test_the_plan_page_and_the_insured_file_show_appointments_and_the_flag(w, client_for):
    c = client_for("insurer_a")
    page = c.get(reverse("insurance:preventionplan_detail", args=[w["plan_a"].pk])).content.decode()
    assert "甲厂区一号车间" in page and "未提前确认" in page
    assert reverse("insurance:appointment_propose", args=[w["plan_a"].pk]) in page
    # The insurer is a proposer: it may cancel or reschedule, never confirm.
    assert reverse("insurance:appointment_act", args=[w["appointment_a"].pk, "cancel"]) in page
    assert reverse("insurance:appointment_act", args=[w["appointment_a"].pk, "confirm"]) not in page
    ent_page = client_for("ent_a").get(reverse("insurance:preventionplan_detail", args=[w["plan_a"].pk]))
    text = ent_page.content.decode()
    assert reverse("insurance:appointment_act", args=[w["appointment_a"].pk, "confirm"]) in text
    assert reverse("insurance:appointment_propose", args=[w["plan_a"].pk]) not in text
    town = client_for("town_a").get(reverse("insurance:preventionplan_detail", args=[w["plan_a"].pk]))
    assert "/do/" not in town.content.decode()  # officers read, take no step
    f = c.get(reverse("insurance:insured_file", args=[w["ent_a"].pk])).content.decode()
    assert "服务预约" in f and "未提前确认的服务记录" in f and "甲厂区一号车间" in f


def test_reschedule_through_the_form_keeps_the_history(w, client_for):
    a = w["appointment_a"]
    c = client_for("agency_a")
    url = reverse("insurance:appointment_propose", args=[w["plan_a"].pk])
    assert c.get(url, {"replaces": a.pk}).status_code == 200
    day = TODAY + timedelta(days=12)
    resp = c.post(
        url,
        {"replaces": a.pk, "day": day.isoformat(), "half_day": "pm", "place": "二号车间", "items": ["hazard"]},
    )
    assert resp.status_code == 302
    a.refresh_from_db()
    new = Appointment.objects.get(replaces=a)
    assert a.state == S.RESCHEDULED and (new.state, new.day) == (S.PROPOSED, day)
    # The enterprise may not reschedule.
    assert client_for("ent_a").get(url, {"replaces": new.pk}).status_code == 403


def test_the_parties_are_those_of_the_plan_not_any_user_of_the_role(w):
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User

    a = w["appointment_a"]  # plan_a: policy_a of insurer A at ent_a, served by agency_a
    others = [
        User.objects.create(username="ent_b_user", role=Role.ENTERPRISE, enterprise=w["ent_b"]),
        User.objects.create(username="agency_b_user", role=Role.AGENCY, agency=w["agency_b"]),
        User.objects.create(username="insurer_b_user", role=Role.INSURER, insurer=w["insurer_b"]),
    ]
    for user in others:
        assert transitions.relations(user, a) == set(), user.username
        assert transitions.available_actions(user, a) == [], user.username
    assert transitions.relations(w.user("ent_a"), a) == {transitions.INSURED}
    assert transitions.relations(w.user("agency_a"), a) == {transitions.PROPOSER}
    assert transitions.relations(w.user("insurer_a"), a) == {transitions.PROPOSER}


def test_the_demo_seed_has_appointments_in_every_state_and_resets(w):
    import random

    from safeserve_dev.insurance_seed import _appointments, reset_insurance

    n = _appointments(random.Random(1), [w["plan_a"], w["plan_b"]], w.user("agency_a"), TODAY)
    assert n == Appointment.objects.count() - 2  # the two of the fixture
    assert set(Appointment.objects.values_list("state", flat=True)) == set(S.values)
    agency = w.user("agency_a")
    outcomes = {queries.appointment_outcome(a, TODAY)[0] for a in queries.appointments(agency)}
    assert {"已上门", "爽约/未上门", "待企业确认", "企业已拒绝", "已改期", "已取消"} <= outcomes
    assert Appointment.objects.filter(replaces__isnull=False).exists()
    assert not queries.unconfirmed_visits(w.user("insurer_a")).filter(pk=w["visit_a"].pk).exists()
    reset_insurance()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("persona", ["ent_a", "insurer_a", "agency_a"])
def test_the_list_and_the_plan_page_cost_the_same_queries_at_two_sizes(w, client_for, persona):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(persona)
    urls = [reverse("insurance:appointment_list"), reverse("insurance:appointment_unconfirmed")]
    if persona != "agency_a":
        urls.append(reverse("insurance:preventionplan_detail", args=[w["plan_a"].pk]))

    def cost():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            out.append(len(ctx))
        return out

    cost()  # warm the session and the caches
    small = cost()
    for i in range(6):
        a = _make(w, [S.PROPOSED, S.CONFIRMED, S.DECLINED][i % 3], day=TODAY + timedelta(days=3 + i))
        a.staff.add(w["staff_a"])
        make_visit(w, w["plan_a"], TODAY - timedelta(days=10 + i))
    _make(w, S.RESCHEDULED, replaces=a)
    assert cost() == small
