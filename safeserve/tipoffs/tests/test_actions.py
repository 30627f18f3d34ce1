"""Public reports' rules: deadlines across weekends, rewards, the public doors' limits, the handling table."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from safeserve.core.models import AuditLog
from safeserve.core.workdays import due_date, is_working_day
from safeserve.tipoffs import actions, transitions
from safeserve.tipoffs.choices import TipoffState
from safeserve.tipoffs.models import Tipoff, TipoffAttachment, TipoffReward
from safeserve_dev.testfiles import image_bytes, upload

from .fixtures import file_tipoff, make_handler

pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------- deadlines

# 2026-10-01 (Thursday) .. 10-07 national day holidays; Saturday 10-10 a make-up working day.
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
MAKEUP = [date(2026, 10, 10)]


def test_calendar_deadline_ending_on_a_weekend_moves_to_monday():
    # Accepted Friday 2026-01-02; +60 days = Tuesday 03-03: stays. Accepted Monday 2026-01-05:
    # +60 = Friday 03-06. Accepted Wednesday 2026-01-07: +60 = Sunday 03-08 -> Monday 03-09.
    assert due_date(date(2026, 1, 2), 60, "calendar", frozenset(), frozenset()) == date(2026, 3, 3)
    assert due_date(date(2026, 1, 7), 60, "calendar", frozenset(), frozenset()) == date(2026, 3, 9)
    assert due_date(date(2026, 1, 6), 60, "calendar", frozenset(), frozenset()) == date(2026, 3, 9)  # Saturday


def test_calendar_deadline_ending_in_a_holiday_moves_past_it():
    holidays, workdays = frozenset(NATIONAL_DAY), frozenset(MAKEUP)
    # 2026-08-02 + 60 = 2026-10-01 (holiday) -> rest through 10-07 (Wed) -> Thursday 10-08.
    assert due_date(date(2026, 8, 2), 60, "calendar", holidays, workdays) == date(2026, 10, 8)


def test_working_days_skip_weekends_and_holidays_and_count_makeup_days():
    holidays, workdays = frozenset(NATIONAL_DAY), frozenset(MAKEUP)
    # From Friday 2026-01-02: 5 working days -> Mon 5 .. Fri 9.
    assert due_date(date(2026, 1, 2), 5, "working", frozenset(), frozenset()) == date(2026, 1, 9)
    # From Tuesday 2026-09-29: Wed 30 (1), holidays 1-7 and Sunday 4... skipped, Thu 8 (2), Fri 9 (3),
    # make-up Saturday 10 (4), Mon 12 (5).
    assert due_date(date(2026, 9, 29), 5, "working", holidays, workdays) == date(2026, 10, 12)
    assert is_working_day(date(2026, 10, 10), holidays, workdays)
    assert not is_working_day(date(2026, 10, 5), holidays, workdays)
    # 60 working days from Friday 2026-01-02 (no holidays): 12 full weeks -> Friday 2026-03-27.
    assert due_date(date(2026, 1, 2), 60, "working", frozenset(), frozenset()) == date(2026, 3, 27)


def test_acceptance_sets_the_deadline_and_the_one_extension_moves_it(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=world["town_a"])
    today = timezone.localdate()
    assert t.deadline == due_date(today, 60) and t.deadline >= today + timedelta(days=60)
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="extend", reason="需调取监控")
    assert t.deadline == due_date(today, 90) and t.extension_reason == "需调取监控"
    with pytest.raises(ValidationError, match="只能延期一次"):
        actions.tipoff_transition(actor=handler, tipoff=t, action="extend", reason="再延")


@override_settings(SAFESERVE={"TIPOFF_DEADLINE_UNIT": "working"})
def test_the_unit_is_a_setting(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=None)
    assert t.deadline == due_date(timezone.localdate(), 60, "working")


# ---------------------------------------------------------------- rewards


@pytest.mark.parametrize(
    ("fine", "expected"),
    [
        ("10000", "3000.00"),  # 15% = 1,500 -> the minimum
        ("20000", "3000.00"),  # exactly the minimum
        ("33333", "4999.95"),  # 15%, to the fen
        ("100000", "15000.00"),
        ("2000000", "300000.00"),  # exactly the maximum
        ("5000000", "300000.00"),  # 750,000 -> the maximum
    ],
)
def test_reward_is_15_percent_within_min_and_max(fine, expected):
    amount, basis = actions.compute_reward(fine_amount=Decimal(fine))
    assert amount == Decimal(expected)
    assert "15%" in basis


@pytest.mark.parametrize(
    ("deaths", "level", "expected"),
    [
        (1, "general", "30000"),
        (2, "larger", "80000"),
        (3, "major", "150000"),
        (4, "extraordinary", "240000"),
        (6, "extraordinary", "300000"),
    ],
)
def test_reward_per_concealed_death_by_level(deaths, level, expected):
    assert actions.compute_reward(concealed_deaths=deaths, accident_level=level)[0] == Decimal(expected)


def test_both_bases_give_the_higher_one():
    assert actions.compute_reward(fine_amount=Decimal("100000"), concealed_deaths=1, accident_level="general")[
        0
    ] == Decimal("30000.00")


def _closed(world, handler, **reporter):
    t = file_tipoff(enterprise=world["ent_a"], **reporter)
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=None)
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="verify", verification="现场核实")
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="close", finding="substantiated", result="已立案处罚")
    return actions.tipoff_transition(
        actor=handler, tipoff=t, action="penalty", fine_amount=Decimal("50000"), penalty_number="嘉应急罚〔2026〕1号"
    )


def test_reward_runs_proposed_approved_paid_with_two_people(world):
    h1, h2 = make_handler("h1"), make_handler("h2")
    t = _closed(world, h1, name="张三", phone="13900000009")
    r = actions.reward_transition(actor=h1, tipoff=t, action="propose")
    assert (r.state, r.amount) == ("proposed", Decimal("7500.00"))
    with pytest.raises(ValidationError, match="批准人不能是拟定人"):
        actions.reward_transition(actor=h1, tipoff=t, action="approve")
    assert actions.reward_transition(actor=h2, tipoff=t, action="approve").state == "approved"
    with pytest.raises(ValidationError, match="发放凭证"):
        actions.reward_transition(actor=h1, tipoff=t, action="pay")
    assert actions.reward_transition(actor=h1, tipoff=t, action="pay", payment_note="转账 001").state == "paid"
    with pytest.raises(ValidationError):
        actions.reward_transition(actor=h2, tipoff=t, action="approve")


def test_only_the_first_real_name_reporter_of_a_matter_is_rewarded(world):
    handler = make_handler()
    anonymous = _closed(world, handler)
    with pytest.raises(ValidationError, match="匿名举报不予奖励"):
        actions.reward_transition(actor=handler, tipoff=anonymous, action="propose")
    first = _closed(world, handler, name="张三", phone="13900000009")
    second = file_tipoff(enterprise=world["ent_a"], name="李四", phone="13900000008")
    second = actions.tipoff_transition(actor=handler, tipoff=second, action="accept", town=None, same_matter=first)
    assert second.same_matter == first
    for step, kw in (("verify", {"verification": "同上"}), ("close", {"finding": "substantiated", "result": "并案"})):
        second = actions.tipoff_transition(actor=handler, tipoff=second, action=step, **kw)
    second = actions.tipoff_transition(actor=handler, tipoff=second, action="penalty", fine_amount=Decimal("50000"))
    with pytest.raises(ValidationError, match="第一个实名举报人"):
        actions.reward_transition(actor=handler, tipoff=second, action="propose")
    assert not TipoffReward.objects.filter(tipoff=second).exists()
    assert actions.reward_transition(actor=handler, tipoff=first, action="propose").state == "proposed"


def test_no_reward_without_a_penalty_or_for_an_unfounded_report(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"], name="张三", phone="139")
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=None)
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="verify", verification="无此事")
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="close", finding="unfounded", result="经核查不属实")
    with pytest.raises(ValidationError, match="核查属实"):
        actions.reward_transition(actor=handler, tipoff=t, action="propose")


# ---------------------------------------------------------------- the handling table


@pytest.mark.parametrize(("state", "action"), sorted(transitions.TABLE))
def test_table_parties_and_only_them(world, state, action):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    Tipoff.objects.filter(pk=t.pk).update(state=state, assigned_town=world["town_a"], verification="x")
    t.refresh_from_db()
    step = transitions.TABLE[(state, action)]
    users = {"handler": handler, "town": world.user("town_a")}
    for party, user in users.items():
        assert transitions.allowed(user, t, action) == (party in step.parties), (party, state, action)
    for persona in ("county", "town_b", "ent_a", "agency_a"):
        assert not transitions.allowed(world.user(persona), t, action)
        with pytest.raises(PermissionDenied):
            actions.tipoff_transition(actor=world.user(persona), tipoff=t, action=action, reason="x")


def test_steps_not_in_the_table_are_refused(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    for action in ("extend", "verify", "close", "penalty", "assign"):
        with pytest.raises(PermissionDenied):
            actions.tipoff_transition(actor=handler, tipoff=t, action=action)


def test_close_needs_a_verification_and_reject_a_reason(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    with pytest.raises(ValidationError, match="理由"):
        actions.tipoff_transition(actor=handler, tipoff=t, action="reject", reason=" ")
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=world["town_a"])
    with pytest.raises(ValidationError, match="核查情况"):
        actions.tipoff_transition(actor=handler, tipoff=t, action="close", finding="substantiated", result="x")
    t = actions.tipoff_transition(actor=world.user("town_a"), tipoff=t, action="verify", verification="已到现场")
    assert t.verified_at is not None


def test_overdue_reports_escalate_once_per_deadline(world):
    from safeserve.notifications.models import Notification

    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=world["town_a"])
    later = t.deadline + timedelta(days=1)
    assert actions.escalate_overdue(later) == 2  # the handler and town A's officer
    assert actions.escalate_overdue(later + timedelta(days=1)) == 0
    titles = list(Notification.objects.filter(kind="tipoffs.overdue").values_list("title", flat=True))
    assert titles and all("举报人" not in x for x in titles)
    assert actions.escalate_overdue(t.deadline) == 0  # not yet overdue on the day itself


# ---------------------------------------------------------------- the public doors


def test_filing_stores_a_hash_and_an_unguessable_code(world):
    t = file_tipoff(enterprise=world["ent_a"], name="王五", phone="13911112222")
    assert len(t.code) == 12 and set(t.code) <= set(actions.ALPHABET)
    assert t.password.startswith("pbkdf2_") or "$" in t.password
    assert "secret-pass-1" not in t.password
    assert t.town == world["town_a"]
    entry = AuditLog.objects.get(object_id=str(t.pk), content_type__model="tipoff")
    text = str(entry.changes)
    assert "王五" not in text and "13911112222" not in text and "reporter_name" not in text


def test_lookup_gives_one_answer_and_is_throttled_per_code_and_per_address(world):
    t = file_tipoff(enterprise=world["ent_a"])
    assert actions.tipoff_lookup(code=t.code_display.lower(), password="secret-pass-1", client_ip="1.1.1.1") == t
    messages = set()
    for _i in range(5):
        with pytest.raises(actions.LookupRefused) as wrong:
            actions.tipoff_lookup(code=t.code, password="wrong", client_ip=f"2.2.2.{_i}")
        messages.add(str(wrong.value))
        with pytest.raises(actions.LookupRefused) as missing:
            actions.tipoff_lookup(code="ZZZZZZZZZZZZ", password="wrong", client_ip=f"3.3.3.{_i}")
        messages.add(str(missing.value))
    assert len(messages) == 1  # a missing code and a wrong password read the same
    # Five wrong tries on this code: even the right password is refused now, from any address.
    with pytest.raises(actions.LookupRefused):
        actions.tipoff_lookup(code=t.code, password="secret-pass-1", client_ip="4.4.4.4")
    # Per address: 20 wrong tries on 20 different codes block the address for every code.
    other = file_tipoff(enterprise=world["ent_b"])
    for i in range(20):
        with pytest.raises(actions.LookupRefused):
            actions.tipoff_lookup(code=f"ABCDEFGHJK{i:02d}", password="x", client_ip="5.5.5.5")
    with pytest.raises(actions.LookupRefused):
        actions.tipoff_lookup(code=other.code, password="secret-pass-1", client_ip="5.5.5.5")
    assert actions.tipoff_lookup(code=other.code, password="secret-pass-1", client_ip="6.6.6.6") == other


def test_filing_is_rate_limited_per_address(world):
    for _i in range(5):
        file_tipoff(enterprise=world["ent_a"], ip="7.7.7.7")
    with pytest.raises(ValidationError, match="24 小时内最多提交 5 件"):
        file_tipoff(enterprise=world["ent_a"], ip="7.7.7.7")
    assert Tipoff.objects.count() == 5
    file_tipoff(enterprise=world["ent_a"], ip="7.7.7.8")


def test_a_50_mb_attachment_is_refused_and_nothing_is_saved(world, media_root):
    big = upload("现场.jpg", b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024))
    before = AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        file_tipoff(enterprise=world["ent_a"], files=[big])
    assert "附件：总大小 50.0 MB，超过上限 40 MB" in " ".join(exc.value.messages)
    assert not Tipoff.objects.exists() and not TipoffAttachment.objects.exists()
    assert AuditLog.objects.count() == before
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_a_bad_file_among_good_ones_saves_nothing(world, media_root):
    good = upload("ok.jpg", image_bytes())
    bad = upload("fake.pdf", b"%PDF-1.4 not really", "application/pdf")
    with pytest.raises(ValidationError, match=r"fake\.pdf"):
        file_tipoff(enterprise=world["ent_a"], files=[good, bad])
    assert not Tipoff.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_supplement_only_while_open(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    actions.tipoff_supplement(tipoff=t, text="补充", attachments=[upload("a.jpg", image_bytes())], client_ip="8.8.8.8")
    assert t.attachments.count() == 1
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="reject", reason="不属于安全生产")
    assert t.state == TipoffState.REJECTED
    with pytest.raises(ValidationError, match="不能再补充"):
        actions.tipoff_supplement(tipoff=t, text="再补充", attachments=[], client_ip="8.8.8.8")
