"""The yearly agency grading (年度服务机构考评) on the assessment engine: each indicator's input moves
the agency's score, grade and total and is listed (frozen ids) behind it; a veto item forces 差; the
county ranks every agency while an agency sees only its own sheet; the finalised grade is published
through one hook to the agency file and the public directory. docs/decisions/0043-agency-grading.md"""

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from safeserve.assessment import actions, scoring
from safeserve.assessment.choices import Grade
from safeserve.assessment.defaults import AGENCY_INDICATORS
from safeserve.assessment.models import Assessment, Score, Sheet
from safeserve.core import hooks
from safeserve.registry.models import AgencyStaff
from safeserve.services.models import ServiceVisit, VisitRating
from safeserve.supervision import actions as supervision_actions
from safeserve.supervision.models import MisconductFinding, PracticeNotice, ReCheck, SampledItem, SamplingRound
from safeserve.tipoffs.models import Tipoff
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import extend_world
from safeserve_dev.testkit import make_id_number

pytestmark = pytest.mark.django_db
world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

YEARS = count(2040)


def _open(world, *, finalise=False, cut_off=None):
    """A fresh grading of every agency in the register on the default scheme (a new year label each
    time, the same period: the last 300 days up to today, or up to two days ago for one finalised
    at once — its objection window must have closed)."""
    county = world.user("county")
    today = timezone.localdate()
    cut_off = cut_off or (today - timedelta(days=2) if finalise else today)
    scheme = actions.agency_scheme_default(actor=county, year=next(YEARS))
    a = actions.assessment_open(actor=county, scheme=scheme, cut_off=cut_off, period_start=today - timedelta(days=300))
    if finalise:
        Assessment.objects.filter(pk=a.pk).update(objection_deadline=today - timedelta(days=1))
        a = actions.assessment_finalise(actor=county, assessment=Assessment.objects.get(pk=a.pk))
    return a


def _score(assessment, agency, source) -> Score:
    return Score.objects.select_related("sheet", "indicator").get(
        sheet__assessment=assessment, sheet__subject_id=agency.pk, indicator__source=source
    )


def _recheck(world, outcome, agency="agency_a", visit="visit_a"):
    rnd, _ = SamplingRound.objects.get_or_create(
        year=2003, half=1, defaults={"share": Decimal("0.15"), "created_by": world.user("county")}
    )
    item = SampledItem.objects.create(
        round=rnd, agency=world[agency], visit=world[visit], rank=SampledItem.objects.count() + 1
    )
    return ReCheck.objects.create(
        item=item,
        checked_on=timezone.localdate(),
        checker_kind="officer",
        checker_name="县局复核员",
        outcome=outcome,
        findings="现场核对",
        recorded_by=world.user("county"),
    )


def _verified_report(world, agency="agency_a"):
    return Tipoff.objects.create(
        code=f"T{Tipoff.objects.count() + 1:06d}",
        password="-",
        subject_kind="agency",
        agency=world[agency],
        category="fraud",
        description="服务记录造假",
        state="closed",
        finding="substantiated",
        closed_at=timezone.now(),
    )


def _five_certified_staff(world, agency="agency_a"):
    today = timezone.localdate()
    staff = [
        AgencyStaff.objects.create(
            agency=world[agency],
            name=f"持证{n}",
            id_number=make_id_number(40 + n),
            phone=f"1390000{n:04d}",
            is_registered_engineer=True,
            engineer_certificate_no=f"ZA-{n}",
            certificate_verified=True,
        )
        for n in range(5)
    ]
    notice = PracticeNotice.objects.create(
        agency=world[agency],
        services=["consulting"],
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=300),
        status="recorded",
    )
    notice.staff.set(staff)
    return staff


def test_the_default_scheme_adds_up_to_100_and_every_source_is_registered():
    assert sum(r["weight"] for r in AGENCY_INDICATORS) == 100
    for row in AGENCY_INDICATORS:
        assert "agency" in hooks.INDICATOR_SOURCES[row["source"]].subjects, row["source"]
    assert any(r["veto"] for r in AGENCY_INDICATORS if "veto" in r)


def test_the_default_scheme_is_created_once_per_year(world):
    county = world.user("county")
    actions.agency_scheme_default(actor=county, year=2039)
    with pytest.raises(ValidationError):
        actions.agency_scheme_default(actor=county, year=2039)
    with pytest.raises(PermissionDenied):
        actions.agency_scheme_default(actor=world.user("agency_a"), year=2038)


def test_only_agencies_in_the_register_are_graded(world):
    type(world["agency_b"]).objects.filter(pk=world["agency_b"].pk).update(is_active=False)
    a = _open(world)
    assert set(a.sheets.values_list("subject_id", flat=True)) == {world["agency_a"].pk}


# Each indicator: the input that moves it, and what the score is before and after.
def _sampling(world):
    return _recheck(world, "missed_hazards").pk


def _rating(world):
    VisitRating.objects.filter(pk=world["rating_a"].pk).update(score=3)
    return world["rating_a"].pk


def _reports(world):
    return _verified_report(world).pk


def _confirmed(world):
    v = world["visit_a"]
    ServiceVisit.objects.filter(pk=v.pk).update(signed_at=v.visited_at + timedelta(hours=1), signed_by="张三")
    return v.pk


def _staff(world):
    return _five_certified_staff(world)[0].pk


INPUTS = {
    # source: (make the input -> id of a record it adds, model label, points before, points after)
    "supervision.sampling_pass_rate": (_sampling, "supervision.recheck", "20.00", "0.00"),
    "services.agency_rating": (_rating, "services.visitrating", "15.00", "0.00"),
    "tipoffs.agency_verified_reports": (_reports, "tipoffs.tipoff", "15.00", "10.00"),
    "services.visits_confirmed_on_time": (_confirmed, "services.servicevisit", "0.00", "10.00"),
    "supervision.staff_sufficiency": (_staff, "registry.agencystaff", "0.00", "15.00"),
}


@pytest.mark.parametrize("source", sorted(INPUTS))
def test_each_indicator_moves_the_grade_and_lists_its_inputs(world, source):
    make, label, before_points, after_points = INPUTS[source]
    agency = world["agency_a"]
    before = _open(world)
    s0 = _score(before, agency, source)
    assert s0.computed == Decimal(before_points)
    record_id = make(world)
    after = _open(world)
    s1 = _score(after, agency, source)
    assert s1.computed == Decimal(after_points)
    # The explanation: the frozen ids of the records behind the figure include the new input.
    assert record_id in s1.records.get(label, [])
    delta = s1.computed - s0.computed
    total0 = before.sheets.get(subject_id=agency.pk).total
    total1 = after.sheets.get(subject_id=agency.pk).total
    assert total1 - total0 == delta
    sheet = after.sheets.get(subject_id=agency.pk)
    assert sheet.grade == scoring.grade(sheet.total, sheet.vetoed, actions.grade_thresholds())
    # The other agency's sheet is untouched by agency A's input.
    b0, b1 = (_score(x, world["agency_b"], source).computed for x in (before, after))
    assert b0 == b1


@pytest.mark.parametrize("kind", ["copied", "not_matching", "rented"])
def test_a_veto_item_forces_poor_whatever_the_points(world, kind):
    agency = world["agency_a"]
    _five_certified_staff(world)
    clean = _open(world)
    assert not clean.sheets.get(subject_id=agency.pk).vetoed
    if kind == "rented":
        f = supervision_actions.misconduct_record_rented(
            actor=world.user("county"), agency=agency, staff=[], finding="出借资质证书给他人"
        )
        label, record_id = "supervision.misconductfinding", f.pk
    else:
        label, record_id = "supervision.recheck", _recheck(world, kind).pk
    vetoed = _open(world)
    sheet = vetoed.sheets.get(subject_id=agency.pk)
    assert sheet.vetoed and sheet.total == 0 and sheet.grade == Grade.POOR
    score = _score(vetoed, agency, "supervision.misconduct")
    assert score.vetoes and score.records[label] == [record_id]
    assert sheet.rank == vetoed.sheets.count()  # a vetoed sheet ranks last
    assert not vetoed.sheets.get(subject_id=world["agency_b"].pk).vetoed


def test_grade_thresholds():
    limits = (90, 75, 60)
    assert scoring.grade(Decimal("90.00"), False, limits) == Grade.EXCELLENT
    assert scoring.grade(Decimal("89.99"), False, limits) == Grade.GOOD
    assert scoring.grade(Decimal("75"), False, limits) == Grade.GOOD
    assert scoring.grade(Decimal("74.99"), False, limits) == Grade.FAIR
    assert scoring.grade(Decimal("60"), False, limits) == Grade.FAIR
    assert scoring.grade(Decimal("59.99"), False, limits) == Grade.POOR
    assert scoring.grade(Decimal("100"), True, limits) == Grade.POOR


def test_verify_recomputes_the_grade(world):
    a = _open(world, finalise=True)
    assert actions.verify_assessment(a) == []
    sheet = a.sheets.first()
    other = Grade.EXCELLENT if sheet.grade != Grade.EXCELLENT else Grade.POOR
    Sheet.objects.filter(pk=sheet.pk).update(grade=other)
    assert any("应评为" in p for p in actions.verify_assessment(a))


def test_the_agency_objects_within_the_window_and_the_county_rules_and_finalises(world):
    county, agency_user = world.user("county"), world.user("agency_a")
    a = _open(world, cut_off=timezone.localdate() - timedelta(days=2))
    own = _score(a, world["agency_a"], "supervision.sampling_pass_rate")
    other = _score(a, world["agency_b"], "supervision.sampling_pass_rate")
    with pytest.raises(PermissionDenied):
        actions.objection_raise(actor=agency_user, score=other, note="替乙机构提异议")
    objection = actions.objection_raise(actor=agency_user, score=own, note="复核结论有误")
    with pytest.raises(ValidationError):
        actions.assessment_finalise(actor=county, assessment=a)  # the window is still open
    actions.objection_rule(actor=county, objection=objection, upheld=True, reason="核实后调整", points="18")
    Assessment.objects.filter(pk=a.pk).update(objection_deadline=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError):
        actions.objection_raise(actor=agency_user, score=own, note="期满后再提")
    final = actions.assessment_finalise(actor=county, assessment=Assessment.objects.get(pk=a.pk))
    assert final.is_final and actions.verify_assessment(final) == []


def test_the_county_ranking_and_the_agency_view(client, world):
    a = _open(world, finalise=True)
    name_a, name_b = world["agency_a"].name, world["agency_b"].name
    client.force_login(world.user("county"))
    page = client.get(reverse("assessment:assessment_detail", args=[a.pk])).content.decode()
    assert name_a in page and name_b in page and 'id="assessment-ranking"' in page  # table and chart data
    for s in a.sheets.all():
        assert s.get_grade_display() in page
    book = client.get(reverse("assessment:assessment_export", args=[a.pk]))
    assert book.status_code == 200 and book["Content-Type"].startswith("application/vnd.openxmlformats")
    client.force_login(world.user("agency_a"))
    page = client.get(reverse("assessment:assessment_detail", args=[a.pk])).content.decode()
    own = a.sheets.get(subject_id=world["agency_a"].pk)
    assert name_a in page and name_b not in page and 'id="assessment-ranking"' not in page
    assert f"（共 {a.sheets.count()} 个）" in page and own.get_grade_display() in page
    other = a.sheets.get(subject_id=world["agency_b"].pk)
    assert client.get(reverse("assessment:sheet_detail", args=[other.pk])).status_code == 404
    api = client.get("/api/v1/assessment/sheets/", {"assessment": a.pk}).json()
    rows = api["results"] if isinstance(api, dict) else api
    assert [r["id"] for r in rows] == [own.pk] and rows[0]["grade"] == own.grade


def test_the_agency_menu_lists_the_grading_under_supervision(client, world):
    client.force_login(world.user("agency_a"))
    page = client.get(reverse("assessment:agency_list")).content.decode()
    assert "机构年度考评" in page and "乡镇考核" not in page
    client.force_login(world.user("county"))
    page = client.get(reverse("assessment:agency_list")).content.decode()
    assert "机构年度考评" in page and "乡镇考核" in page


def test_the_hook_publishes_only_finalised_grades(world):
    ids = [world["agency_a"].pk, world["agency_b"].pk]
    open_one = _open(world)
    assert hooks.agency_yearly_grades(ids) == {}
    final = _open(world, finalise=True)
    grades = hooks.agency_yearly_grades(ids)
    sheet = final.sheets.get(subject_id=world["agency_a"].pk)
    g = grades[world["agency_a"].pk]
    assert (g.year, g.grade, g.total, g.rank, g.count) == (final.year, sheet.grade, sheet.total, sheet.rank, 2)
    assert g.label == sheet.get_grade_display()
    assert hooks.agency_yearly_grades(ids, year=open_one.year) == {}
    assert set(hooks.agency_yearly_grades(ids, year=final.year)) == set(ids)


def test_the_grade_shows_in_the_agency_file_and_the_directory(client, world):
    final = _open(world, finalise=True)
    sheet = final.sheets.get(subject_id=world["agency_a"].pk)
    client.force_login(world.user("agency_a"))
    page = client.get(reverse("supervision:agency_file", args=[world["agency_a"].pk])).content.decode()
    assert 'data-testid="section-yearly_grades"' in page
    assert f"{final.year}年度：{sheet.get_grade_display()}" in page
    assert sheet.get_absolute_url() in page  # its own sheet, linked
    book = client.get(reverse("supervision:agency_file_export", args=[world["agency_a"].pk]))
    assert book.status_code == 200
    # A town officer reads the published grade in the file, without a link to the sheet.
    client.force_login(world.user("town_a"))
    page = client.get(reverse("supervision:agency_file", args=[world["agency_a"].pk])).content.decode()
    assert f"{final.year}年度：{sheet.get_grade_display()}" in page
    assert sheet.get_absolute_url() not in page
    from safeserve.market import queries as market

    (listing,) = market.directory(ids=[world["agency_a"].pk])
    assert listing.yearly.grade == sheet.grade
    client.logout()
    page = client.get(reverse("market:directory")).content.decode()
    assert f"{final.year}年度 {sheet.get_grade_display()}" in page


def test_misconduct_findings_list_on_the_sheet_are_not_shown_to_other_agencies(client, world):
    """The evidence of agency A's veto is A's (and the county's): agency B cannot open A's score."""
    _recheck(world, "copied")
    a = _open(world)
    score = _score(a, world["agency_a"], "supervision.misconduct")
    client.force_login(world.user("county"))
    assert client.get(reverse("assessment:evidence", args=[score.pk])).status_code == 200
    from safeserve.accounts.models import User

    client.force_login(User.objects.get(username="agency_b_staff"))
    assert client.get(reverse("assessment:evidence", args=[score.pk])).status_code == 404
    assert not MisconductFinding.objects.visible_to(User.objects.get(username="agency_b_staff")).exists()
