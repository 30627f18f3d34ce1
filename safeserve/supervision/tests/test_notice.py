"""执业告知: a visit by an agency without a recorded notice covering its day is flagged on the
visit page, in the agency's file and as a credit fact (when the setting says so); one covered by
a valid notice is not."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, override_settings
from django.utils import timezone

from safeserve.core import hooks
from safeserve.supervision import actions, queries
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import extend_world
from safeserve_dev.supervision_fixtures import make_notice

world = permsuite.shared_world(extend_world)


def _page(world, persona, url):
    c = Client()
    c.force_login(world.user(persona))
    resp = c.get(url)
    assert resp.status_code == 200
    return resp.content.decode()


def _no_notice_facts(world, agency="agency_a"):
    today = timezone.localdate()
    return [f for f in hooks.credit_facts("agency", [world[agency].pk], today) if f.kind == "agency.no_notice"]


@pytest.mark.django_db
def test_a_visit_without_a_notice_is_flagged_on_the_visit_the_file_and_as_a_credit_fact(world):
    visit = world["visit_a"]
    assert hooks.agencies_with_notice([world["agency_a"].pk], timezone.localdate()) == set()
    page = _page(world, "county", visit.get_absolute_url())
    assert 'data-testid="no-notice-flag"' in page and 'data-testid="no-notice-badge"' in page
    file_page = _page(world, "county", f"/supervision/agencies/{world['agency_a'].pk}/")
    assert "未经执业告知" in file_page
    facts = _no_notice_facts(world)
    assert [(f.source, f.date) for f in facts] == [
        (f"services.servicevisit:{visit.pk}", timezone.localtime(visit.visited_at).date())
    ]
    with override_settings(SAFESERVE_SUPERVISION={"NO_NOTICE_COUNTS": False}):
        assert _no_notice_facts(world) == []  # the setting turns the credit fact off; the flag stays
        assert 'data-testid="no-notice-flag"' in _page(world, "county", visit.get_absolute_url())


@pytest.mark.django_db
def test_a_recorded_notice_covering_the_day_clears_the_flag(world):
    county = world.user("county")
    notice = make_notice(world, status="filed", staff=("staff_a",))
    # Filed but not yet recorded by the county: not valid.
    assert _no_notice_facts(world)
    assert hooks.agencies_with_notice([world["agency_a"].pk], timezone.localdate()) == set()
    assert 'data-testid="no-notice-flag"' in _page(world, "county", world["visit_a"].get_absolute_url())
    actions.notice_decide(actor=county, notice=notice, decision="record")
    assert hooks.agencies_with_notice([world["agency_a"].pk], timezone.localdate()) == {world["agency_a"].pk}
    page = _page(world, "county", world["visit_a"].get_absolute_url())
    assert 'data-testid="no-notice-flag"' not in page and 'data-testid="no-notice-badge"' not in page
    assert _no_notice_facts(world) == []
    # The agency's file shows no flag on its visits any more.
    sections = {s.key: s for s in queries.agency_file(county, world["agency_a"])}
    assert sections["visits"].rows and not any(sections["visits"].flags)


@pytest.mark.django_db
def test_a_notice_whose_period_does_not_cover_the_visit_day_does_not_count(world):
    today = timezone.localdate()
    make_notice(world, start=today + timedelta(days=1), end=today + timedelta(days=90))
    make_notice(world, start=today - timedelta(days=90), end=today - timedelta(days=1))
    assert len(_no_notice_facts(world)) == 1
    assert 'data-testid="no-notice-flag"' in _page(world, "town_a", world["visit_a"].get_absolute_url())


@pytest.mark.django_db
def test_only_the_county_decides_and_a_return_needs_a_reason(world):
    notice = make_notice(world, status="filed")
    with pytest.raises(PermissionDenied):
        actions.notice_decide(actor=world.user("agency_a"), notice=notice, decision="record")
    with pytest.raises(ValidationError) as exc:
        actions.notice_decide(actor=world.user("county"), notice=notice, decision="return", reason=" ")
    assert "退回理由" in str(exc.value)
    notice.refresh_from_db()
    assert notice.status == "filed"
    actions.notice_decide(actor=world.user("county"), notice=notice, decision="return", reason="人员证书不全")
    with pytest.raises(ValidationError):
        actions.notice_decide(actor=world.user("county"), notice=notice, decision="record")


@pytest.mark.django_db
def test_the_agency_files_its_notice_through_the_form_and_staff_of_another_agency_are_refused(world):
    c = Client()
    c.force_login(world.user("agency_a"))
    today = timezone.localdate()
    body = {
        "agency": world["agency_a"].pk,
        "services": ["consulting"],
        "staff": [world["staff_b"].pk],
        "towns": [world["town_a"].pk],
        "start_date": today.isoformat(),
        "end_date": (today + timedelta(days=180)).isoformat(),
        "note": "新告知",
    }
    resp = c.post("/supervision/notices/add/", body)
    assert resp.status_code == 200  # staff_b is not agency A's: not even offered
    from safeserve.supervision.models import PracticeNotice

    assert not PracticeNotice.objects.filter(note="新告知").exists()
    body["staff"] = [world["staff_a"].pk]
    body["enterprise_codes"] = "不存在的代码"
    resp = c.post("/supervision/notices/add/", body)
    assert "未找到以下统一社会信用代码的企业" in resp.content.decode()
    body["enterprise_codes"] = world["ent_a"].credit_code
    resp = c.post("/supervision/notices/add/", body)
    assert resp.status_code == 302
    n = PracticeNotice.objects.get(note="新告知")
    assert (n.status, list(n.enterprises.all()), list(n.staff.all())) == ("filed", [world["ent_a"]], [world["staff_a"]])


@pytest.mark.django_db
def test_the_county_home_counts_the_notices_waiting_for_registration(world):
    make_notice(world, status="filed")
    make_notice(world, status="recorded")
    cards = {c["key"]: c for c in queries.home_summary(world.user("county"))["cards"]}
    assert cards["notices-filed"]["value"] == 1
    page = _page(world, "county", cards["notices-filed"]["url"])
    assert page.count("待县局登记") >= 1
    assert queries.home_summary(world.user("town_a")) == {}
