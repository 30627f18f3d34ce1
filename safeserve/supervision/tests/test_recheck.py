"""Re-checks of sampled visits: each outcome becomes the right credit fact; photos are required and
checked; only the county or the visit's town re-checks; a false or copied record can be proposed for
listing (a MisconductFinding the credit app picks up); the indicator sources for agency grading."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.core import hooks
from safeserve.supervision import actions
from safeserve.supervision.models import MisconductFinding, SampledItem, SamplingRound
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import extend_world, png
from safeserve_dev.supervision_fixtures import make_notice

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root


def _item(world, visit="visit_a", agency="agency_a", year=2002, half=1):
    rnd, _ = SamplingRound.objects.get_or_create(
        year=year, half=half, defaults={"share": Decimal("0.15"), "created_by": world.user("county")}
    )
    return SampledItem.objects.create(round=rnd, agency=world[agency], visit=world[visit], rank=1)


def _recheck(world, item, outcome, actor="county", photos=None, **kw):
    return actions.recheck_record(
        actor=world.user(actor),
        item=item,
        checked_on=timezone.localdate(),
        checker_kind=kw.pop("checker_kind", "officer"),
        checker_name="复核员",
        outcome=outcome,
        findings="现场核对",
        photos=[png()] if photos is None else photos,
        **kw,
    )


def _facts(world, agency="agency_a"):
    return [
        (f.kind, f.source)
        for f in hooks.credit_facts("agency", [world[agency].pk], timezone.localdate())
        if f.kind != "agency.no_notice"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("outcome", "kind"),
    [
        ("confirmed", "sampling.passed"),
        ("missed_hazards", "sampling.missed_hazards"),
        ("not_matching", "sampling.false_record"),
        ("copied", "sampling.copied_record"),
    ],
)
def test_each_outcome_becomes_its_credit_fact(world, outcome, kind):
    item = _item(world)
    r = _recheck(world, item, outcome)
    assert _facts(world) == [(kind, f"supervision.recheck:{r.pk}")]
    assert _facts(world, "agency_b") == []
    assert r.photos.count() == 1
    # Before its date the fact does not exist yet.
    assert not [
        f
        for f in hooks.credit_facts("agency", None, timezone.localdate() - timedelta(days=1))
        if f.kind.startswith("sampling.")
    ]


@pytest.mark.django_db
def test_a_recheck_needs_a_photo_and_is_recorded_once_by_the_county_or_the_visits_town(world):
    item = _item(world)
    with pytest.raises(ValidationError) as exc:
        _recheck(world, item, "confirmed", photos=[])
    assert "现场照片" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        _recheck(world, item, "confirmed", photos=[png("x.png").__class__("x.png", b"<html>", "image/png")])
    assert "photos" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        _recheck(world, item, "confirmed", actor="town_b")  # another town's enterprise
    with pytest.raises(PermissionDenied):
        _recheck(world, item, "confirmed", actor="agency_a")
    with pytest.raises(ValidationError) as exc:
        _recheck(world, item, "confirmed", checker_kind="expert")
    assert "expert" in exc.value.message_dict
    _recheck(world, item, "confirmed", actor="town_a", checker_kind="expert", expert=world["expert_a"])
    with pytest.raises(ValidationError):
        _recheck(world, item, "copied")
    assert _facts(world) == [("sampling.passed", f"supervision.recheck:{item.recheck.pk}")]


@pytest.mark.django_db
def test_a_copied_record_is_proposed_for_listing_with_the_staff_responsible(world):
    item = _item(world)
    passed = _recheck(world, _item(world, year=2002, half=2), "confirmed")
    with pytest.raises(ValidationError):
        actions.misconduct_propose(actor=world.user("county"), recheck=passed, staff=[], finding="无")
    r = _recheck(world, item, "copied")
    with pytest.raises(PermissionDenied):
        actions.misconduct_propose(actor=world.user("town_a"), recheck=r, staff=[], finding="复制")
    with pytest.raises(ValidationError) as exc:
        actions.misconduct_propose(actor=world.user("county"), recheck=r, staff=[world["staff_b"]], finding="复制")
    assert "责任人员" in str(exc.value)
    f = actions.misconduct_propose(
        actor=world.user("county"), recheck=r, staff=[world["staff_a"]], finding="记录系复制他企记录"
    )
    # The credit app is installed: the proposal went to its listing workflow (test_misconduct_listing).
    assert (f.agency, list(f.staff.all()), f.status) == (world["agency_a"], [world["staff_a"]], "taken_up")
    facts = {f.kind: f for f in hooks.credit_facts("agency", [world["agency_a"].pk], timezone.localdate())}
    assert facts["supervision.misconduct"].source == f"supervision.misconductfinding:{f.pk}"
    assert facts["supervision.misconduct"].detail["staff"] == [world["staff_a"].pk]
    with pytest.raises(ValidationError):
        actions.misconduct_propose(actor=world.user("county"), recheck=r, staff=[], finding="再次")
    assert MisconductFinding.objects.count() == 1


@pytest.mark.django_db
def test_the_indicator_sources_for_agency_grading(world):
    a = world["agency_a"].pk
    _recheck(world, _item(world, year=2003, half=1), "confirmed")
    _recheck(world, _item(world, year=2003, half=2), "copied")
    _recheck(world, _item(world, year=2004, half=1), "confirmed")
    today = timezone.localdate()
    rate = hooks.INDICATOR_SOURCES["supervision.sampling_pass_rate"].compute("agency", [a], today, today)[a]
    assert (rate.value, rate.numerator, rate.denominator, len(rate.records["supervision.recheck"])) == (
        Decimal("66.7"),
        2,
        3,
        3,
    )
    staff = hooks.INDICATOR_SOURCES["supervision.staff_sufficiency"].compute("agency", [a], today, today)[a]
    assert staff.value == 0  # no valid notice declares anyone full-time here
    make_notice(world, staff=("staff_a",))
    staff = hooks.INDICATOR_SOURCES["supervision.staff_sufficiency"].compute("agency", [a], today, today)[a]
    assert (staff.value, staff.denominator, staff.records) == (1, 5, {"registry.agencystaff": [world["staff_a"].pk]})


@pytest.mark.django_db
def test_the_expert_the_county_assigns_records_the_recheck_as_the_expert(world):
    item = _item(world)
    with pytest.raises(PermissionDenied):
        _recheck(world, item, "confirmed", actor="expert_a")  # not assigned yet
    with pytest.raises(PermissionDenied):
        actions.item_assign_expert(actor=world.user("town_a"), item=item, expert=world["expert_a"])
    actions.item_assign_expert(actor=world.user("county"), item=item, expert=world["expert_a"])
    r = _recheck(world, item, "missed_hazards", actor="expert_a")
    assert (r.checker_kind, r.expert, r.recorded_by) == ("expert", world["expert_a"], world.user("expert_a"))
    with pytest.raises(ValidationError):
        actions.item_assign_expert(actor=world.user("county"), item=item, expert=world["expert_b"])
