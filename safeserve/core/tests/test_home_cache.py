"""The home page keeps its figures per login session for a while (ADR 0047), and says so.

What a user must be able to rely on:
- the page says when its figures were counted, and 刷新 counts them again;
- their own change shows at once (any successful write in the session);
- others' changes show within SAFESERVE_HOME_CACHE_SECONDS, and a new login counts afresh;
- figures are never shared between sessions, so they are exactly as scoped as the providers';
- SAFESERVE_HOME_CACHE_SECONDS=0 counts every time.
"""

import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from safeserve.hazards import actions as hazard_actions
from safeserve_dev.services_fixtures import png


@pytest.fixture(autouse=True)
def _cached(settings):
    settings.SAFESERVE_HOME_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def open_hazards(client, query="") -> int:
    resp = client.get(reverse("home") + query)
    assert resp.status_code == 200
    cards = {c["key"]: c["value"] for c in resp.context["summary"]["cards"]}
    return cards["hazards-open"]


def report(world, persona="ent_a", enterprise="ent_a"):
    return hazard_actions.hazard_report(
        actor=world.user(persona),
        enterprise=world[enterprise],
        location="配电房",
        description="配电箱门未关闭",
        responsible_person="张三",
    )


def test_the_page_says_when_it_counted_and_refresh_counts_again(world, client_for):
    town = client_for("town_a")
    before = open_hazards(town)
    page = town.get(reverse("home")).content.decode()
    assert 'data-testid="home-as-of"' in page and "数据统计于" in page
    assert 'href="?refresh=1"' in page
    report(world)  # another user's change, in the officer's town
    assert open_hazards(town) == before, "kept for the session until the setting's seconds pass"
    assert open_hazards(town, "?refresh=1") == before + 1
    assert open_hazards(town) == before + 1, "the refreshed figures are kept"


def test_a_users_own_write_shows_at_once(world, client_for):
    ent = client_for("ent_a")
    before = open_hazards(ent)
    resp = ent.post(
        "/api/v1/hazards/hazards/",
        {
            "enterprise": world["ent_a"].pk,
            "location": "锅炉房",
            "description": "压力表过期",
            "responsible_person": "李四",
            "photos": [png()],
        },
    )
    assert resp.status_code == 201, resp.content
    assert open_hazards(ent) == before + 1


def test_a_refused_write_does_not_count_again(world, client_for):
    ent = client_for("ent_a")
    before = open_hazards(ent)
    report(world)  # through another door, not this session
    resp = ent.post("/api/v1/hazards/hazards/", {"enterprise": world["ent_a"].pk})  # incomplete: 400
    assert resp.status_code == 400
    assert open_hazards(ent) == before


def test_others_changes_show_after_the_setting_and_a_new_login_counts_afresh(world, client_for, settings):
    town = client_for("town_a")
    before = open_hazards(town)
    report(world)
    assert open_hazards(client_for("town_a")) == before + 1, "a new session of the same user counts afresh"
    settings.SAFESERVE_HOME_CACHE_SECONDS = 1
    cache.clear()
    town = client_for("town_a")
    before = open_hazards(town)
    report(world)
    time.sleep(1.2)
    assert open_hazards(town) == before + 1


def test_figures_are_never_shared_between_sessions_or_towns(world, client_for):
    a, b = client_for("town_a"), client_for("town_b")
    county = client_for("county")
    first = {name: open_hazards(c) for name, c in (("a", a), ("b", b), ("county", county))}
    report(world)  # town A's enterprise
    # Every viewer keeps their own figures: B's and the county's were not replaced by A's.
    assert open_hazards(b) == first["b"]
    assert open_hazards(county) == first["county"]
    # Fresh counts, each as scoped as ever: A and the county see the new hazard, B does not.
    assert open_hazards(a, "?refresh=1") == first["a"] + 1
    assert open_hazards(b, "?refresh=1") == first["b"]
    assert open_hazards(county, "?refresh=1") == first["county"] + 1
    # The same user in two sessions does not share either: one session's refresh leaves the other as is.
    same = Client()
    same.force_login(world.users["town_b"])
    assert open_hazards(same) == first["b"]


def test_zero_seconds_counts_every_time(world, client_for, settings):
    settings.SAFESERVE_HOME_CACHE_SECONDS = 0
    town = client_for("town_a")
    before = open_hazards(town)
    report(world)
    assert open_hazards(town) == before + 1
    assert 'href="?refresh=1"' not in town.get(reverse("home")).content.decode()


def test_the_figures_follow_the_language(world, client_for):
    town = client_for("town_a")
    zh = town.get(reverse("home")).content.decode()
    assert "未销号隐患" in zh
    en = town.get(reverse("home"), headers={"accept-language": "en"}).content.decode()
    assert "未销号隐患" not in en and "Figures as of" in en
