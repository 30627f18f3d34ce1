"""The half-yearly sampling round: 15% of 13 visits draws 2 (rounded up), with the shared draw,
and the same inputs give the same sample."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safeserve.core import draws
from safeserve.core.models import Draw
from safeserve.services import actions as service_actions
from safeserve.supervision import actions
from safeserve.supervision.models import SampledItem, SamplingDraw
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract


def thirteen_visits(world):
    """Agency A makes 13 visits to enterprise A this half year (and no other agency makes any)."""
    contract = make_contract(world, number="HT-SAMPLE", start=timezone.localdate() - timedelta(days=2))
    t = general_template()
    now = timezone.now()
    world.objs["visits"] = [
        service_actions.visit_record(
            actor=world.user("agency_a"),
            contract=contract,
            enterprise=world["ent_a"],
            visited_at=now - timedelta(minutes=1 + k),
            staff=[world["staff_a"]],
            template=t,
            results=all_ok(t),
        )
        for k in range(13)
    ]
    return world


world = permsuite.shared_world(thirteen_visits)


def _half():
    today = timezone.localdate()
    return today.year, (1 if today.month <= 6 else 2)


@pytest.mark.django_db
def test_fifteen_percent_of_thirteen_draws_two_and_the_same_inputs_give_the_same_sample(world):
    assert draws.sample_size(13, "0.15") == 2
    year, half = _half()
    county = world.user("county")
    rnd = actions.round_create(actor=county, year=year, half=half, share=draws.Decimal("0.15"))
    sd = SamplingDraw.objects.get(round=rnd)
    assert (sd.agency_id, sd.population, sd.places) == (world["agency_a"].pk, 13, 2)
    # The list was frozen with every visit of the half year as "services.servicevisit:<id>", names published.
    ids = sorted(f"services.servicevisit:{v.pk}" for v in world["visits"])
    assert [c["id"] for c in sd.draw.candidates] == ids
    assert sd.draw.publish_labels and sd.draw.purpose == "supervision.sampling"
    assert not SampledItem.objects.filter(round=rnd).exists()  # no value yet: nothing drawn

    actions.round_draw(actor=county, round=rnd, source="lottery", value="2026118 03 11 19 25 30")
    items = list(SampledItem.objects.filter(round=rnd).order_by("rank"))
    assert len(items) == 2
    # Reproducible: the ranking recomputed from the frozen list and the value names the same visits,
    # and the stored draw verifies.
    expected = draws.rank(sd.draw.candidates, "2026118 03 11 19 25 30")[:2]
    assert [f"services.servicevisit:{i.visit_id}" for i in items] == expected
    sd.draw.refresh_from_db()
    assert draws.verify(sd.draw).ok
    # A second, independent draw over the same list with the same value picks the same two.
    again = draws.freeze_draw(
        actor=county, purpose="supervision.sampling", purpose_label="复算", candidates=sd.draw.candidates, places=2
    )
    again = draws.enter_value(actor=county, draw=again, value="2026118 03 11 19 25 30", source="lottery")
    assert draws.chosen(again) == expected
    # The round's page links each agency's draw to its public verification page.
    from django.test import Client

    c = Client()
    c.force_login(county)
    page = c.get(rnd.get_absolute_url()).content.decode()
    assert f"/draws/{sd.draw.number}/" in page and sd.draw.candidates_hash[:16] in page


@pytest.mark.django_db
def test_a_round_is_run_once_per_half_year_and_needs_a_value(world):
    year, half = _half()
    county = world.user("county")
    rnd = actions.round_create(actor=county, year=year, half=half, share=draws.Decimal("0.15"))
    with pytest.raises(ValidationError) as exc:
        actions.round_create(actor=county, year=year, half=half, share=draws.Decimal("0.15"))
    assert "不能重复发起" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        actions.round_draw(actor=county, round=rnd, source="lottery", value="  ")
    assert "随机值" in str(exc.value)
    actions.round_draw(actor=county, round=rnd, source="server")
    with pytest.raises(ValidationError):
        actions.round_draw(actor=county, round=rnd, source="server")
    assert Draw.objects.filter(reference=f"supervision.samplinground:{rnd.pk}").count() == 1


@pytest.mark.django_db
def test_a_half_year_without_visits_is_refused_and_only_the_county_runs_rounds(world):
    county = world.user("county")
    with pytest.raises(ValidationError) as exc:
        actions.round_create(actor=county, year=2001, half=1, share=draws.Decimal("0.15"))
    assert "没有任何服务记录" in str(exc.value)
    year, half = _half()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.round_create(actor=world.user("town_a"), year=year, half=half, share=draws.Decimal("0.15"))


@pytest.mark.django_db
def test_the_county_is_reminded_once_to_run_the_round_of_the_half_year_just_ended(world):
    from datetime import date

    from safeserve.notifications.models import Notification

    assert actions.remind_sampling(date(2031, 1, 5)) == 1
    assert actions.remind_sampling(date(2031, 1, 6)) == 0  # one message per half year
    n = Notification.objects.get(recipient=world.user("county"), kind="supervision.sampling_due")
    assert "2030年下半年" in n.title and "15%" in n.title
    from safeserve.supervision.models import SamplingRound

    SamplingRound.objects.create(year=2031, half=1, share="0.15", created_by=world.user("county"))
    assert actions.remind_sampling(date(2031, 7, 5)) == 0  # already run
