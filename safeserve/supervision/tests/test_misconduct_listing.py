"""Misconduct → the serious-default list (issue 13 §5, §3): a finding of a false or copied record (or
a rented qualification) proposes listing the agency and each staff member responsible through the
credit app's hook (core.hooks.propose_listing; supervision never imports credit). The listing carries
the finding as its source and links back to it; the finding shows the listing's state. Only the
county proposes; an agency never sees another agency's findings."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from safeserve.accounts.models import User
from safeserve.core import hooks
from safeserve.credit import actions as credit_actions
from safeserve.credit.models import Listing
from safeserve.supervision import actions
from safeserve.supervision.choices import MisconductKind, MisconductStatus
from safeserve.supervision.models import MisconductFinding
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import extend_world
from safeserve_dev.supervision_fixtures import extend_world as extend_supervision

pytestmark = pytest.mark.django_db
world = permsuite.shared_world(extend_world, extend_supervision)
media_root = permsuite.shared_media_root


def _propose(world, side="a", staff=("staff_a",), actor="county"):
    return actions.misconduct_propose(
        actor=world.user(actor),
        recheck=world[f"recheck_{side}"],
        staff=[world[s] for s in staff],
        finding="服务记录系复制其他企业记录",
    )


def test_a_finding_proposes_the_agency_and_each_staff_member(world):
    f = _propose(world)
    listings = Listing.objects.filter(source=f.source_key).order_by("subject")
    assert [(li.subject, li.agency_id, li.staff_id) for li in listings] == [
        ("agency", world["agency_a"].pk, None),
        ("staff", world["agency_a"].pk, world["staff_a"].pk),
    ]
    for li in listings:
        assert li.state == "proposed" and li.situation == "false_report"
        assert li.source_url == f.get_absolute_url()
        assert f.finding in li.facts and str(MisconductKind.COPIED_RECORD.label) in li.facts
    f.refresh_from_db()
    assert f.kind == MisconductKind.COPIED_RECORD and f.status == MisconductStatus.TAKEN_UP


def test_the_listing_links_back_and_the_finding_shows_its_state(client, world):
    f = _propose(world)
    agency_listing = Listing.objects.get(source=f.source_key, subject="agency")
    client.force_login(world.user("county"))
    page = client.get(agency_listing.get_absolute_url()).content.decode()
    assert f'href="{f.get_absolute_url()}"' in page and 'data-testid="listing-source-link"' in page
    item_page = client.get(f.get_absolute_url()).content.decode()
    assert item_page.count('data-testid="listing-state"') == 2 and "拟列入" in item_page
    # The listing moves on: the finding's page and the agency file show the new state.
    credit_actions.listing_transition(actor=world.user("county"), listing=agency_listing, action="notify")
    item_page = client.get(f.get_absolute_url()).content.decode()
    assert "已告知（异议期）" in item_page
    file_page = client.get(reverse("supervision:agency_file", args=[world["agency_a"].pk])).content.decode()
    assert "已告知（异议期）" in file_page
    assert hooks.listings_of_source(world.user("county"), f.source_key)[0].state in ("noticed", "proposed")


def test_a_town_officer_cannot_propose(client, world):
    with pytest.raises(PermissionDenied):
        _propose(world, actor="town_a")
    client.force_login(world.user("town_a"))
    resp = client.post(
        reverse("supervision:item_propose", args=[world["old_a"].pk]), {"finding": "复制记录"}, follow=False
    )
    assert resp.status_code == 403
    resp = client.post(reverse("supervision:agency_misconduct", args=[world["agency_a"].pk]), {"finding": "出借资质"})
    assert resp.status_code == 403
    assert not MisconductFinding.objects.exists() and not Listing.objects.filter(source__startswith="supervision.")


def test_agencies_never_see_another_agencys_findings(client, world):
    f = _propose(world, side="b", staff=("staff_b",))
    agency_a = world.user("agency_a")
    assert not MisconductFinding.objects.visible_to(agency_a).filter(pk=f.pk).exists()
    assert hooks.listings_of_source(agency_a, f.source_key) == []
    client.force_login(agency_a)
    assert client.get(reverse("supervision:item_detail", args=[world["old_b"].pk])).status_code == 404
    assert client.get(reverse("supervision:agency_file", args=[world["agency_b"].pk])).status_code == 404
    own = client.get(reverse("supervision:agency_file", args=[world["agency_a"].pk])).content.decode()
    assert f.finding not in own
    # Agency B sees its own listings once told (the credit app's rule), not before.
    agency_b = User.objects.get(username="agency_b_staff")
    assert hooks.listings_of_source(agency_b, f.source_key) == []
    li = Listing.objects.get(source=f.source_key, subject="agency")
    credit_actions.listing_transition(actor=world.user("county"), listing=li, action="notify")
    assert [r.id for r in hooks.listings_of_source(agency_b, f.source_key)] == [li.pk]
    # A town officer reads the finding from its own town's visit but not the agency's listing.
    assert hooks.listings_of_source(world.user("town_b"), f.source_key) == []


def test_a_staff_member_of_another_agency_is_refused_and_nothing_is_saved(world):
    with pytest.raises(ValidationError):
        _propose(world, staff=("staff_b",))
    assert not MisconductFinding.objects.exists() and not Listing.objects.exists()


def test_the_same_source_cannot_be_proposed_twice_through_the_hook(world):
    f = _propose(world, staff=())
    with pytest.raises(ValidationError):
        hooks.propose_listing(
            actor=world.user("county"),
            party="agency",
            party_id=world["agency_a"].pk,
            situation="false_report",
            facts="再次提议",
            source=f.source_key,
        )


def test_without_the_credit_app_the_finding_waits(world, monkeypatch):
    monkeypatch.setattr(hooks, "LISTING_PROVIDERS", {})
    f = _propose(world)
    assert f.status == MisconductStatus.PROPOSED and not Listing.objects.exists()


def test_a_rented_qualification_is_recorded_on_the_file_and_proposed(client, world):
    client.force_login(world.user("county"))
    resp = client.post(
        reverse("supervision:agency_misconduct", args=[world["agency_a"].pk]),
        {"finding": "将资质证书出借给无资质单位", "staff": [world["staff_a"].pk]},
    )
    assert resp.status_code == 302
    f = MisconductFinding.objects.get()
    assert f.kind == MisconductKind.RENTED_QUALIFICATION and f.recheck is None
    assert Listing.objects.filter(source=f.source_key).count() == 2
    resp = client.post(reverse("supervision:agency_misconduct", args=[world["agency_a"].pk]), {"finding": ""})
    assert resp.status_code == 400 and MisconductFinding.objects.count() == 1


def test_the_staff_listing_on_the_public_page_shows_the_employer_not_an_id(client, world):
    f = _propose(world)
    county = world.user("county")
    li = Listing.objects.get(source=f.source_key, subject="staff")
    for step in ("notify",):
        li = credit_actions.listing_transition(actor=county, listing=li, action=step)
    li = credit_actions.listing_transition(actor=county, listing=li, action="object", reason="代为提出异议")
    li = credit_actions.listing_transition(actor=county, listing=li, action="uphold", reason="异议不成立")
    li = credit_actions.listing_transition(actor=county, listing=li, action="decide")
    li = credit_actions.listing_transition(actor=county, listing=li, action="publish")
    page = client.get(reverse("credit:public_listings")).content.decode()
    assert world["staff_a"].name in page and world["agency_a"].name in page
    assert world["staff_a"].id_number not in page
    assert world["staff_a"].pk in hooks.listed_ids("staff", [world["staff_a"].pk], li.published_on)


def test_supervision_refuses_a_town_officer_by_itself(world, monkeypatch):
    """Not only the credit app's own permission: without it, supervision still refuses the town."""
    monkeypatch.setattr(hooks, "LISTING_PROVIDERS", {})
    with pytest.raises(PermissionDenied):
        _propose(world, actor="town_a")
    with pytest.raises(PermissionDenied):
        actions.misconduct_record_rented(actor=world.user("town_a"), agency=world["agency_a"], staff=[], finding="x")
    assert not MisconductFinding.objects.exists()
