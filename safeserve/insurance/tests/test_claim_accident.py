"""A claim's accident as a real link: credit's register read through core.hooks (insurance never
imports credit); the accident must be the insured's and visible to the insurer; the claim, policy and
file pages show it, linked for whoever may open the accident's page."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safeserve.core import hooks
from safeserve.credit.models import Accident
from safeserve.insurance import actions
from safeserve.insurance.models import Claim
from safeserve_dev.insurance_fixtures import extend_world, make_policy

TODAY = timezone.localdate()


@pytest.fixture
def iw(world):
    extend_world(world)
    o = world.objs
    o["accident_a"] = Accident.objects.create(
        title="甲车间冲床伤手", enterprise=world["ent_a"], occurred_on=TODAY - timedelta(days=200), level="general"
    )
    o["accident_b"] = Accident.objects.create(
        title="乙仓库货架倒塌", enterprise=world["ent_b"], occurred_on=TODAY - timedelta(days=200), level="general"
    )
    return world


def _claim(world, **kw):
    data = {
        "policy": world["policy_a"],
        "occurred_on": TODAY - timedelta(days=200),
        "reported_on": TODAY - timedelta(days=190),
        "paid_amount": 0,
        **kw,
    }
    return actions.claim_save(actor=world.user("insurer_a"), claim=None, data=data)


def test_the_insurer_links_an_accident_of_its_insured(iw):
    claim = _claim(iw, accident_id=iw["accident_a"].pk)
    assert Claim.objects.get(pk=claim.pk).accident_id == iw["accident_a"].pk
    ref = claim.accident_for(iw.user("insurer_a"))
    assert "甲车间冲床伤手" in ref.label and ref.url == ""  # the insurer sees the label, not credit's page
    county = claim.accident_for(iw.user("county"))
    assert county.url == iw["accident_a"].get_absolute_url()
    assert claim.accident_for(iw.user("town_b")) is None
    # The insurer sees the accidents of its insureds only; the other personas credit's scope.
    insurer = iw.user("insurer_a")
    assert [a.id for a in hooks.accidents_of(insurer, [iw["ent_a"].pk, iw["ent_b"].pk])] == [iw["accident_a"].pk]
    assert hooks.accident(insurer, iw["accident_b"].pk) is None
    assert hooks.accidents_of(iw.user("agency_a"), [iw["ent_a"].pk]) == []
    assert [a.id for a in hooks.accidents_of(iw.user("ent_a"), [iw["ent_a"].pk, iw["ent_b"].pk])] == [
        iw["accident_a"].pk
    ]


def test_an_accident_the_insurer_does_not_see_or_of_another_insured_is_refused(iw):
    # ent_b is not insured by insurer A: its accident is not visible to A at all.
    with pytest.raises(ValidationError) as exc:
        _claim(iw, accident_id=iw["accident_b"].pk)
    assert "权限范围" in exc.value.message_dict["accident_id"][0]
    # Once A insures ent_b too, it sees ent_b's accident, which is still not policy_a's insured's.
    make_policy(iw, enterprise="ent_b", number="PA-B-0001")
    with pytest.raises(ValidationError) as exc:
        _claim(iw, accident_id=iw["accident_b"].pk)
    assert "投保企业" in exc.value.message_dict["accident_id"][0]
    with pytest.raises(ValidationError):
        _claim(iw, accident_id=987654321)  # no such accident
    # Changing the policy of a linked claim re-checks the accident.
    claim = _claim(iw, accident_id=iw["accident_a"].pk)
    other = make_policy(iw, enterprise="ent_b", number="PA-B-0002")
    with pytest.raises(ValidationError):
        actions.claim_save(actor=iw.user("insurer_a"), claim=claim, data={"policy": other})
    assert not Claim.objects.filter(accident_id=iw["accident_b"].pk).exists()


def test_no_credit_provider_no_accident(iw, monkeypatch):
    monkeypatch.setattr(hooks, "ACCIDENT_PROVIDERS", {})
    assert hooks.accidents_of(iw.user("county"), [iw["ent_a"].pk]) == []
    with pytest.raises(ValidationError):
        _claim(iw, accident_id=iw["accident_a"].pk)
    assert _claim(iw, accident_ref="未入库的事故").accident_id is None  # free text still works


def test_the_form_offers_the_insureds_accidents_and_the_pages_show_the_link(iw, client_for):
    c = client_for("insurer_a")
    form = c.get("/insurance/claims/add/").content.decode()
    assert "甲车间冲床伤手" in form and "乙仓库货架倒塌" not in form
    resp = c.post(
        "/insurance/claims/add/",
        {
            "policy": iw["policy_a"].pk,
            "occurred_on": (TODAY - timedelta(days=200)).isoformat(),
            "reported_on": (TODAY - timedelta(days=190)).isoformat(),
            "accident_id": iw["accident_a"].pk,
            "accident_ref": "",
            "paid_amount": "0",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    claim = Claim.objects.get(accident_id=iw["accident_a"].pk)
    # A forged id of another insured's accident is refused by the form (not among the choices).
    resp = c.post(
        f"/insurance/claims/{claim.pk}/edit/",
        {
            "policy": iw["policy_a"].pk,
            "occurred_on": claim.occurred_on.isoformat(),
            "reported_on": claim.reported_on.isoformat(),
            "accident_id": iw["accident_b"].pk,
            "paid_amount": "0",
        },
    )
    assert resp.status_code == 200 and Claim.objects.get(pk=claim.pk).accident_id == iw["accident_a"].pk
    url = iw["accident_a"].get_absolute_url()
    insurer_page = c.get(claim.get_absolute_url()).content.decode()
    assert "甲车间冲床伤手" in insurer_page and url not in insurer_page  # label only: no credit access
    county = client_for("county")
    for page in (claim.get_absolute_url(), iw["policy_a"].get_absolute_url(), f"/insurance/insured/{iw['ent_a'].pk}/"):
        html = county.get(page).content.decode()
        assert f'href="{url}"' in html, page
    assert county.get(url).status_code == 200
    ent_page = client_for("ent_a").get(f"/insurance/insured/{iw['ent_a'].pk}/").content.decode()
    assert f'href="{url}"' in ent_page  # the insured opens its own accident
