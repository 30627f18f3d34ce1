"""Each role's home (工作台) and the enterprise 360° page, walked as each persona would.

- every figure on a home (cards and panel figures) links to a list that shows exactly that many rows;
- no navigation entry and no link on a home answers 403, 404 or 500;
- the town's "enterprises without a service contract" card and filter agree;
- the 360° page is scoped (another scope's enterprise is a 404, panels show only what the viewer may
  see) and runs the same number of queries whatever the data size.
"""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeserve_dev import permsuite
from safeserve_dev.full_world import extend_full
from safeserve_dev.testkit import PERSONAS

world = permsuite.shared_world(extend_full)
LOGGED_IN = [p for p in PERSONAS if p not in ("anon", "norole")]


def client(world, persona):
    c = Client()
    c.force_login(world.user(persona))
    return c


def home_figures(resp) -> list[tuple[str, int, str]]:
    """(name, number, url) for every linked whole-number figure of a home: cards and panel figures."""
    summary = resp.context["summary"]
    out = [(c["key"], c["value"], c["url"]) for c in summary["cards"]]
    for panel in summary["panels"]:
        out += [(f"{panel['key']}.{f['key']}", f["value"], f.get("url")) for f in panel["figures"]]
    return [(k, v, u) for k, v, u in out if isinstance(v, int) and u]


def row_count(resp) -> int:
    """The number of rows a list shows: its paginator's total, or the rows of an unpaginated page."""
    ctx = resp.context
    if "page" in ctx and hasattr(ctx["page"], "paginator"):
        return ctx["page"].paginator.count
    if "rows" in ctx:
        return len(ctx["rows"])
    raise AssertionError(f"{resp.request['PATH_INFO']}: no row count in the page's context")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", LOGGED_IN)
def test_every_home_figure_lists_exactly_that_many_rows(world, persona):
    c = client(world, persona)
    resp = c.get(reverse("home"))
    assert resp.status_code == 200
    figures = home_figures(resp)
    assert figures or persona == "expert_a", f"{persona}: no figure on the home page"
    wrong = []
    for key, value, url in figures:
        listed = c.get(url)
        if listed.status_code != 200:
            wrong.append(f"{key} -> {url}: {listed.status_code}")
        elif row_count(listed) != value:
            wrong.append(f"{key} = {value}, but {url} lists {row_count(listed)}")
    assert not wrong, f"{persona}:\n  " + "\n  ".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["county", "town_a", "ent_a", "agency_a"])
def test_every_figure_of_the_360_page_lists_exactly_that_many_rows(world, persona):
    c = client(world, persona)
    resp = c.get(world["ent_a"].get_absolute_url())
    assert resp.status_code == 200
    wrong = []
    for panel in resp.context["panels"]:
        for f in panel["figures"]:
            if f.get("url") and isinstance(f["value"], int):
                n = row_count(c.get(f["url"]))
                if n != f["value"]:
                    wrong.append(f"{panel['key']}.{f['key']} = {f['value']}, but {f['url']} lists {n}")
    assert not wrong, "\n".join(wrong)


def _links(html: str) -> set[str]:
    main = re.search(r"<main\b.*?</main>", html, re.S).group(0)
    return {h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"#]*)"', main)}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", LOGGED_IN)
def test_no_menu_entry_or_home_link_is_a_dead_end(world, persona):
    c = client(world, persona)
    resp = c.get(reverse("home"))
    urls = set()
    for item in resp.context["nav_items"]:
        urls |= {child["url"] for child in item.get("children", [])} or {item["url"]}
    urls |= _links(resp.content.decode())
    bad = []
    for url in sorted(urls):
        code = c.get(url).status_code
        if code in (403, 404) or code >= 500:
            bad.append(f"{url}: {code}")
    assert not bad, f"{persona}:\n  " + "\n  ".join(bad)


@pytest.mark.django_db
def test_roles_without_their_capability_yet_are_told_what_they_can_do(world):
    for persona in ("expert_a", "insurer_a", "assoc_a"):
        resp = client(world, persona).get(reverse("home"))
        assert resp.context["summary"]["notes"], persona
        assert 'data-testid="home-note"' in resp.content.decode()
    assert not client(world, "county").get(reverse("home")).context["summary"]["notes"]


@pytest.mark.django_db
def test_town_card_enterprises_without_a_service_contract(world):
    c = client(world, "town_a")
    cards = {card["key"]: card for card in c.get(reverse("home")).context["summary"]["cards"]}
    card = cards["no-service-contract"]
    assert card["value"] == 1  # ent_c; ent_a has a contract in force (HT-LIVE)
    page = c.get(card["url"]).content.decode()
    assert world["ent_c"].name in page and world["ent_a"].name not in page
    covered = c.get(reverse("registry:enterprise_list") + "?service_contract=true").content.decode()
    assert world["ent_a"].name in covered and world["ent_c"].name not in covered
    # Town figures only: the county-wide directory (agencies, experts) is not a town's figure.
    assert not {"agencies", "experts", "qualification-alerts"} & set(cards)
    county = {k["key"]: k["value"] for k in client(world, "county").get(reverse("home")).context["summary"]["cards"]}
    assert county["no-service-contract"] == 1  # ent_c: ent_a and ent_b have contracts in force
    assert county["alarms-active"] == 2 and county["alarms-unhandled"] == 1


@pytest.mark.django_db
def test_an_association_home_shows_its_members_open_hazards(world):
    cards = {c["key"]: c for c in client(world, "assoc_a").get(reverse("home")).context["summary"]["cards"]}
    assert cards["hazards-open"]["value"] == 2  # enterprise A's two; enterprise B is not a member
    page = client(world, "assoc_a").get(cards["hazards-open"]["url"]).content.decode()
    assert world["hazard_a"].location in page and world["hazard_b"].location not in page


@pytest.mark.django_db
def test_enterprise_home_is_its_own_file_with_its_to_dos(world):
    c = client(world, "ent_a")
    resp = c.get(reverse("home"))
    summary = resp.context["summary"]
    # Its own file: what needs doing first, then its contracts, its key people's training and its own credit grade with the reasons.
    assert [p["key"] for p in summary["panels"]] == [
        "hazards",
        "iot",
        "visits",
        "contracts",
        "training",
        "credit",
        "inspections",
        "insurance",
    ]
    cards = {card["key"]: card["value"] for card in summary["cards"]}
    assert cards["hazards-to-rectify"] == 2 and cards["alarms-active"] == 1 and cards["visits-unrated"] == 0
    html = resp.content.decode()
    assert world["hazard_a"].location in html  # a hazard to rectify, with its deadline
    assert "已逾期 3 天" in html


@pytest.mark.django_db
def test_the_360_page_is_scoped(world):
    from safeserve_dev.services_fixtures import make_contract

    ent_a = world["ent_a"]
    for persona, other in (("town_b", "ent_a"), ("ent_a", "ent_b"), ("agency_a", "ent_b"), ("insurer_a", "ent_a")):
        assert client(world, persona).get(world[other].get_absolute_url()).status_code == 404, persona
    # Another agency's contract for enterprise A: the county sees it on A's page, agency A does not.
    make_contract(world, agency="agency_b", number="HT-OTHER")

    def contracts_total(persona):
        panels = client(world, persona).get(ent_a.get_absolute_url()).context["panels"]
        panel = next(p for p in panels if p["key"] == "contracts")
        return panel["figures"][1]["value"], " ".join(i["text"] for i in panel["items"])

    county_n, county_items = contracts_total("county")
    agency_n, agency_items = contracts_total("agency_a")
    assert county_n == agency_n + 1 and "HT-OTHER" in county_items and "HT-OTHER" not in agency_items
    # An association sees its member's file and hazards, not the panels of what it may not read.
    resp = client(world, "assoc_a").get(ent_a.get_absolute_url())
    assert resp.status_code == 200 and [p["key"] for p in resp.context["panels"]] == ["hazards"]


def _grow(world, n, tag):
    from safeserve.hazards import actions as hazard_actions
    from safeserve_dev.services_fixtures import make_contract

    for i in range(n):
        make_contract(world, number=f"HT-{tag}-{i}")
        hazard_actions.hazard_report(
            actor=world.user("town_a"),
            enterprise=world["ent_a"],
            location=f"车间{tag}{i}",
            description="消防通道堵塞",
            responsible_person="李四",
            deadline=timezone.localdate() + timedelta(days=5),
        )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["town_a", "ent_a", "agency_a"])
def test_the_360_page_and_the_enterprise_home_query_counts_do_not_grow(world, persona, django_assert_max_num_queries):
    c = client(world, persona)
    urls = [world["ent_a"].get_absolute_url(), reverse("home")]

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    for url in urls:
        count(url)  # warm caches
    small = [count(url) for url in urls]
    _grow(world, 8, "x")
    for url, n in zip(urls, small, strict=True):
        with django_assert_max_num_queries(n):
            c.get(url)
        assert count(url) == n, f"{url}: {n} queries before, {count(url)} after growing"
    assert max(small) <= 45


@pytest.mark.django_db
def test_enterprise_names_link_to_the_360_page_on_lists_and_pages(world):
    ent_a = world["ent_a"]
    href = f'href="{ent_a.get_absolute_url()}"'
    c = client(world, "town_a")
    pages = {
        "hazard list": reverse("hazards:hazard_list"),
        "hazard page": world["hazard_a"].get_absolute_url(),
        "visit list": reverse("services:visit_list"),
        "visit page": world["visit_a"].get_absolute_url(),
        "device list": reverse("iot:device_list"),
        "device page": world["device_a"].get_absolute_url(),
        "alarm list": reverse("iot:alarm_list"),
        "alarm page": world["alarm_a"].get_absolute_url(),
        "association page": world["assoc_a"].get_absolute_url(),
    }
    missing = [name for name, url in pages.items() if href not in c.get(url).content.decode()]
    assert not missing, f"no link to {ent_a.name}'s page on: {', '.join(missing)}"
    # An export is data, not a page: the name stays plain text.
    cells = permsuite.response_text(c.get(reverse("iot:device_export")), "xlsx")
    assert ent_a.name in cells and "<a " not in cells


@pytest.mark.django_db
def test_enterprise_home_counts_visits_to_confirm_and_the_count_drops_once_confirmed(world):
    from safeserve.services.actions import visit_confirm_by_login
    from safeserve.services.models import ServiceVisit

    ent_user = world.user("ent_a")
    mine = ServiceVisit.objects.visible_to(ent_user)
    visit = mine.filter(confirmation__isnull=True).first()
    assert visit is not None, "the shared world gives enterprise A a visit to confirm"

    def card():
        cards = client(world, "ent_a").get(reverse("home")).context["summary"]["cards"]
        return next(c for c in cards if c["key"] == "visits-unconfirmed")

    before = card()
    assert before["value"] == mine.exclude(confirmation__confirmed_at__isnull=False).count() > 0
    assert before["url"].endswith("?confirmed=false")
    visit_confirm_by_login(actor=ent_user, visit=visit)
    assert card()["value"] == before["value"] - 1
    listed = client(world, "ent_a").get(before["url"]).content.decode()
    assert visit.get_absolute_url() not in listed
