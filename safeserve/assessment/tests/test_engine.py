"""The engine with real records: open → freeze → object → rule → finalise, and what never changes after."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from safeserve.assessment import actions
from safeserve.assessment.choices import AssessmentState, ObjectionState
from safeserve.assessment.models import Assessment, Indicator, Scheme, Score
from safeserve.core import hooks
from safeserve.core.models import AuditLog
from safeserve.hazards.models import Hazard
from safeserve.notifications.models import Notification
from safeserve_dev.assessment_fixtures import INDICATORS, make_scheme
from safeserve_dev.services_fixtures import pdf

TODAY = timezone.localdate()
CUT = TODAY - timedelta(days=2)  # the cut-off: in the past, so the objection deadline may be too


def at(day: date, hour=10):
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()).replace(hour=hour))


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


@pytest.fixture
def records(world):
    """Town A: 4 hazards found this year, 3 closed (75 %); one 重大 hazard open past its deadline.
    Town B: 2 found, 2 closed (100 %)."""
    start = date(TODAY.year, 1, 1)
    day = max(start, TODAY - timedelta(days=40))
    h = {}
    h["a1"] = hazard(world, "a", reported=day, closed=day + timedelta(days=10))
    h["a2"] = hazard(world, "a", reported=day, closed=day + timedelta(days=20))
    h["a3"] = hazard(world, "a", reported=day, closed=day + timedelta(days=30))
    h["a4"] = hazard(world, "a", reported=day, level="major", deadline=day + timedelta(days=5))
    h["b1"] = hazard(world, "b", reported=day, closed=day + timedelta(days=3))
    h["b2"] = hazard(world, "b", reported=day, closed=day + timedelta(days=5))
    if day + timedelta(days=30) > TODAY:  # early January: keep the closures in the past
        pytest.skip("needs 40 days of this year behind today")
    return h


def score_of(assessment, town, name) -> Score:
    return Score.objects.get(sheet__assessment=assessment, sheet__subject_id=town.pk, indicator__name=name)


def open_assessment(world, year=None):
    county = world.user("county")
    scheme = make_scheme(county, year=year or TODAY.year)
    return actions.assessment_open(actor=county, scheme=scheme, cut_off=CUT)


# ---------------------------------------------------------------- schemes


def test_weights_that_do_not_add_up_to_100_are_refused_and_nothing_is_saved(world):
    rows = [dict(r) for r in INDICATORS]
    rows[0]["weight"] = D(30)  # 90 in all
    with pytest.raises(ValidationError) as exc:
        make_scheme(world.user("county"), year=TODAY.year, indicators=rows)
    assert "各指标分值合计须为 100 分，现为 90 分" in str(exc.value)
    assert not Scheme.objects.exists() and not Indicator.objects.exists()


def test_a_bad_indicator_row_saves_nothing(world):
    rows = [dict(r) for r in INDICATORS]
    rows[1] = {**rows[1], "per_event": None}  # deduction without its points per event
    with pytest.raises(ValidationError) as exc:
        make_scheme(world.user("county"), year=TODAY.year, indicators=rows)
    assert "重大隐患逾期未整改" in str(exc.value) and "每次扣分" in str(exc.value)
    assert not Scheme.objects.exists() and not Indicator.objects.exists()


def test_the_form_names_the_wrong_total_in_chinese(world, client_for):
    c = client_for("county")
    data = {"subject": "town", "year": TODAY.year, "name": "方案", "ind-TOTAL_FORMS": 2, "ind-INITIAL_FORMS": 0}
    data.update({"ind-0-name": "甲", "ind-0-weight": "50", "ind-0-source": "manual", "ind-0-rule": "manual"})
    data.update({"ind-1-name": "乙", "ind-1-weight": "30", "ind-1-source": "manual", "ind-1-rule": "manual"})
    resp = c.post("/assessment/schemes/new/", data)
    assert resp.status_code == 400
    assert "各指标分值合计须为 100 分，现为 80 分" in resp.content.decode()
    assert not Scheme.objects.exists()
    data["ind-1-weight"] = "50"
    assert c.post("/assessment/schemes/new/", data).status_code == 302
    assert Scheme.objects.get().indicators.count() == 2


def test_changing_a_scheme_in_use_makes_a_new_version_and_leaves_the_result_alone(world):
    a = open_assessment(world)
    old = a.scheme
    rows = [dict(r) for r in INDICATORS]
    rows[0]["weight"], rows[1]["weight"] = D(30), D(30)
    new = actions.scheme_save(actor=world.user("county"), scheme=old, data={"name": old.name}, indicators=rows)
    assert new.pk != old.pk and (new.version, new.supersedes_id) == (2, old.pk)
    assert [i.weight for i in old.indicators.all()][:2] == [D(40), D(20)]
    assert Assessment.objects.get(pk=a.pk).scheme_id == old.pk
    assert actions.verify_assessment(a) == []


def test_a_scheme_not_yet_used_is_changed_in_place(world):
    scheme = make_scheme(world.user("county"), year=TODAY.year)
    rows = [dict(r) for r in INDICATORS]
    rows[0]["weight"], rows[1]["weight"] = D(30), D(30)
    same = actions.scheme_save(actor=world.user("county"), scheme=scheme, data={"name": "改名"}, indicators=rows)
    assert same.pk == scheme.pk and same.version == 1 and same.name == "改名"
    assert same.indicators.get(order=1).weight == D(30)


def test_only_the_county_writes_schemes(world):
    with pytest.raises(PermissionDenied):
        make_scheme(world.user("town_a"), year=TODAY.year)


# ---------------------------------------------------------------- opening and freezing


def test_opening_freezes_each_figure_with_the_records_behind_it(world, records):
    a = open_assessment(world)
    rate_a = score_of(a, world["town_a"], "隐患整改率")
    assert (rate_a.value, rate_a.numerator, rate_a.denominator) == (D("75.00"), 3, 4)
    assert rate_a.records == {"hazards.hazard": sorted(records[k].pk for k in ("a1", "a2", "a3", "a4"))}
    assert rate_a.computed == D("15.00")  # 40 × (75 − 60) / 40
    overdue_a = score_of(a, world["town_a"], "重大隐患逾期未整改")
    assert (overdue_a.value, overdue_a.computed, overdue_a.records) == (
        1,
        D("15.00"),
        {"hazards.hazard": [records["a4"].pk]},
    )
    days_a = score_of(a, world["town_a"], "隐患平均整改天数")
    assert days_a.value == D("20.0") and days_a.computed == D("8.89")  # 10 × (60 − 20) / 45
    rate_b = score_of(a, world["town_b"], "隐患整改率")
    assert (rate_b.value, rate_b.computed) == (D("100.00"), D("40.00"))
    sheet_a, sheet_b = a.sheets.get(subject_id=world["town_a"].pk), a.sheets.get(subject_id=world["town_b"].pk)
    # B: 40 + 20 + 10 × (60 − 4) / 45 capped at 10 + 10 (no visits due) + 10 (no alarms) + 0 (manual).
    assert sheet_b.total == D("90.00") and sheet_b.rank == 1
    assert sheet_a.total == D("15.00") + D("15.00") + D("8.89") + D(10) + D(10) and sheet_a.rank == 2
    assert len(a.inputs_hash) == 64 and actions.verify_assessment(a) == []
    entry = AuditLog.objects.filter(object_id=str(a.pk), content_type__model="assessment").get()
    assert entry.changes["inputs_hash"] == [None, a.inputs_hash]


def test_a_finalised_assessment_does_not_change_when_the_records_change_later(world, records, settings):
    a = open_assessment(world)
    county = world.user("county")
    for town in ("town_a", "town_b"):
        actions.score_adjust(
            actor=county, score=score_of(a, world[town], "社会化服务工作台账"), points=D(8), reason="台账齐全"
        )
    Assessment.objects.filter(pk=a.pk).update(objection_deadline=TODAY - timedelta(days=1))
    a = actions.assessment_finalise(actor=county, assessment=Assessment.objects.get(pk=a.pk))
    assert a.state == AssessmentState.FINAL and len(a.result_hash) == 64
    stored = {(s.subject_id, s.total, s.rank) for s in a.sheets.all()}
    scores = sorted(Score.objects.filter(sheet__assessment=a).values_list("pk", "value", "computed", "adjusted"))

    # Later: the open 重大 hazard is closed, a late closure and new hazards appear before the cut-off.
    Hazard.objects.filter(pk=records["a4"].pk).update(state="closed", closed_at=at(TODAY - timedelta(days=1)))
    hazard(world, "b", reported=TODAY - timedelta(days=2))
    hazard(world, "b", reported=TODAY - timedelta(days=2))
    source = hooks.INDICATOR_SOURCES["hazards.closure_rate"]
    now = source.compute("town", [world["town_a"].pk, world["town_b"].pk], date(TODAY.year, 1, 1), TODAY)
    assert now[world["town_a"].pk].value == D("100.00") and now[world["town_b"].pk].value == D("50.00")

    a = Assessment.objects.get(pk=a.pk)
    assert {(s.subject_id, s.total, s.rank) for s in a.sheets.all()} == stored
    assert (
        sorted(Score.objects.filter(sheet__assessment=a).values_list("pk", "value", "computed", "adjusted")) == scores
    )
    assert actions.verify_assessment(a) == []
    # And the result is locked: no step is allowed on it any more.
    with pytest.raises(ValidationError, match="已定稿"):
        actions.score_adjust(actor=county, score=score_of(a, world["town_a"], "隐患整改率"), points=1, reason="改")
    with pytest.raises(ValidationError, match="已定稿"):
        actions.assessment_finalise(actor=county, assessment=a)


def test_verification_reports_a_stored_result_that_no_longer_matches_its_inputs(world, records):
    a = open_assessment(world)
    assert actions.verify_assessment(a) == []
    call_command("verify_assessment", a.pk)  # prints 一致, raises nothing
    s = score_of(a, world["town_a"], "隐患整改率")
    Score.objects.filter(pk=s.pk).update(computed=D("40.00"))  # tampered score
    problems = actions.verify_assessment(a)
    assert any("隐患整改率" in p and "15.00" in p for p in problems), problems
    with pytest.raises(CommandError):
        call_command("verify_assessment", a.pk)
    Score.objects.filter(pk=s.pk).update(computed=D("15.00"), value=D("80"))  # tampered frozen figure
    assert any("冻结数据" in p for p in actions.verify_assessment(a))


def test_one_assessment_per_year_and_the_cut_off_is_in_the_past(world):
    county = world.user("county")
    scheme = make_scheme(county, year=TODAY.year)
    with pytest.raises(ValidationError, match="数据截止日不能晚于今天"):
        actions.assessment_open(actor=county, scheme=scheme, cut_off=TODAY + timedelta(days=1))
    assert not Assessment.objects.exists()
    actions.assessment_open(actor=county, scheme=scheme, cut_off=TODAY)
    with pytest.raises(ValidationError, match="已经发起"):
        actions.assessment_open(actor=county, scheme=scheme, cut_off=TODAY)


# ---------------------------------------------------------------- objections and rulings


def test_a_town_objects_within_the_deadline_and_the_county_rules(world, records):
    a = open_assessment(world)
    s = score_of(a, world["town_a"], "隐患整改率")
    o = actions.objection_raise(actor=world.user("town_a"), score=s, note="a4 已整改未销号", files=[pdf()])
    assert o.files.count() == 1 and o.state == ObjectionState.PENDING
    assert Notification.objects.filter(recipient=world.user("county"), kind="assessment_objection").exists()
    with pytest.raises(ValidationError, match="理由"):
        actions.objection_rule(actor=world.user("county"), objection=o, upheld=True, reason=" ")
    actions.objection_rule(actor=world.user("county"), objection=o, upheld=True, reason="核实属实", points=D(25))
    s.refresh_from_db()
    assert (s.computed, s.adjusted, s.final, s.adjust_reason) == (D("15.00"), D("25.00"), D("25.00"), "核实属实")
    assert a.sheets.get(subject_id=world["town_a"].pk).total == D("15.00") + D("25.00") + D("8.89") + D(20)
    assert Notification.objects.filter(recipient=world.user("town_a"), kind="assessment_ruling").exists()
    assert actions.verify_assessment(a) == []  # an adjustment with its reason is part of the result
    with pytest.raises(ValidationError, match="已经裁定"):
        actions.objection_rule(actor=world.user("county"), objection=o, upheld=False, reason="再议")


def test_an_objection_after_the_deadline_is_refused(world):
    a = open_assessment(world)
    Assessment.objects.filter(pk=a.pk).update(objection_deadline=TODAY - timedelta(days=1))
    s = score_of(a, world["town_a"], "隐患整改率")
    with pytest.raises(ValidationError, match=r"异议期已于 .* 截止"):
        actions.objection_raise(actor=world.user("town_a"), score=s, note="迟到的异议")
    assert not s.objections.exists()


def test_a_town_objects_only_on_its_own_sheet(world):
    a = open_assessment(world)
    with pytest.raises(PermissionDenied):
        actions.objection_raise(
            actor=world.user("town_a"), score=score_of(a, world["town_b"], "隐患整改率"), note="替别人提"
        )
    with pytest.raises(PermissionDenied):
        actions.objection_raise(actor=world.user("county"), score=score_of(a, world["town_a"], "隐患整改率"), note="x")


def test_finalising_waits_for_the_deadline_rulings_and_manual_scores(world):
    a = open_assessment(world)
    county = world.user("county")
    with pytest.raises(ValidationError, match="截止后才能定稿"):
        actions.assessment_finalise(actor=county, assessment=a)
    o = actions.objection_raise(actor=world.user("town_a"), score=score_of(a, world["town_a"], "隐患整改率"), note="x")
    Assessment.objects.filter(pk=a.pk).update(objection_deadline=TODAY - timedelta(days=1))
    with pytest.raises(ValidationError, match="未裁定的异议"):
        actions.assessment_finalise(actor=county, assessment=a)
    actions.objection_rule(actor=county, objection=o, upheld=False, reason="数据无误")
    with pytest.raises(ValidationError, match="人工评分指标尚未评分"):
        actions.assessment_finalise(actor=county, assessment=a)
    for town in ("town_a", "town_b"):
        actions.score_adjust(
            actor=county, score=score_of(a, world[town], "社会化服务工作台账"), points=10, reason="齐全"
        )
    with pytest.raises(ValidationError, match="0 至 10"):
        actions.score_adjust(
            actor=county, score=score_of(a, world["town_a"], "社会化服务工作台账"), points=11, reason="x"
        )
    assert actions.assessment_finalise(actor=county, assessment=a).state == AssessmentState.FINAL


def test_a_veto_indicator_zeroes_the_total_and_ranks_last(world, records):
    rows = [dict(r) for r in INDICATORS]
    rows[1] = {**rows[1], "veto": True}  # any overdue 重大 hazard vetoes (town A has one)
    county = world.user("county")
    a = actions.assessment_open(actor=county, scheme=make_scheme(county, year=TODAY.year, indicators=rows), cut_off=CUT)
    sheet_a = a.sheets.get(subject_id=world["town_a"].pk)
    assert (sheet_a.vetoed, sheet_a.total, sheet_a.rank) == (True, D("0.00"), 2)
    assert actions.verify_assessment(a) == []


# ---------------------------------------------------------------- notifications


def test_towns_are_told_when_opened_and_before_the_deadline(world, settings):
    a = open_assessment(world)
    opened = Notification.objects.filter(kind="assessment_opened")
    assert {n.recipient.username for n in opened} == {"town_a", "town_b"}
    assert actions.remind_objection_deadline(TODAY) == 0  # ten days ahead: too early
    deadline = a.objection_deadline
    assert actions.remind_objection_deadline(deadline - timedelta(days=2)) == 2
    assert actions.remind_objection_deadline(deadline - timedelta(days=1)) == 0  # once only
    n = Notification.objects.get(kind="assessment_deadline", recipient=world.user("town_a"))
    assert deadline.isoformat() in n.title


def test_the_objection_period_is_a_setting(world, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "ASSESSMENT_OBJECTION_DAYS": 3}
    assert open_assessment(world).objection_deadline == TODAY + timedelta(days=3)


def test_a_bad_attachment_refuses_the_whole_objection(world, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from safeserve.assessment.models import Objection, ObjectionFile

    a = open_assessment(world)
    s = score_of(a, world["town_a"], "隐患整改率")
    fake = SimpleUploadedFile("说明.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        actions.objection_raise(actor=world.user("town_a"), score=s, note="见附件", files=[pdf("好.pdf"), fake])
    assert "说明.pdf" in str(exc.value)
    assert not Objection.objects.exists() and not ObjectionFile.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]  # the good file is not left behind
