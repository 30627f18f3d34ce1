"""The county summary (by town and year), its workbook and chart data, the town's own list with
filters and export, the enterprise panel and the town's home cards; query counts pinned."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from safeserve.registry.models import Enterprise
from safeserve_dev.subsidies_fixtures import make_application, make_own_contract, make_policy, year
from safeserve_dev.testkit import make_credit_code

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def figures(world):
    pa = make_policy(world, "town_a", budget="50000.00")
    pb = make_policy(world, "town_b", budget="20000.00")
    make_policy(world, "town_a", budget="30000.00", y=year() - 1)
    c = [make_own_contract(world, number=f"O-{i}") for i in range(4)]
    make_application(world, pa, c[0], seq=1, status="approved", approved_amount=D("3000.00"))
    make_application(
        world,
        pa,
        c[1],
        seq=2,
        status="paid",
        approved_amount=D("1000.00"),
        paid_amount=D("900.00"),
        paid_on=timezone.localdate(),
        voucher_number="PZ",
    )
    make_application(world, pa, c[2], seq=3, status="submitted")
    make_application(world, pa, c[3], seq=4, status="withdrawn")
    make_application(world, pb, make_own_contract(world, "ent_b", number="O-B"), "ent_b", status="rejected", reason="x")
    # An ineligible enterprise of town A (危化) and an eligible one.
    common = {"address": "x", "town": world["town_a"], "industry": world["industry"], "legal_representative": "某"}
    Enterprise.objects.create(credit_code=make_credit_code(501), name="危化甲", is_hazchem=True, **common)
    Enterprise.objects.create(credit_code=make_credit_code(502), name="小微乙", size_class="micro", **common)
    return world


def test_county_sees_every_town_with_its_figures(figures, client_for):
    resp = client_for("county").get(reverse("subsidies:overview"), {"year": year()})
    assert resp.status_code == 200
    data = resp.context["data"]
    rows = {r["town"]: r for r in data["town_rows"]}
    a, b = rows["罗星街道"], rows["西塘镇"]
    assert (a["budget"], a["approved"], a["paid"], a["remaining"]) == (
        D("50000.00"),
        D("4000.00"),
        D("900.00"),
        D("46000.00"),
    )
    assert (a["applications"], a["submitted"], a["granted"], a["reached"]) == (3, 1, 2, 1)  # withdrawn not counted
    assert a["eligible"] == 2  # ent_a and 小微乙; not the 危化 unit
    assert (b["applications"], b["rejected"], b["approved"], b["eligible"]) == (1, 1, D("0"), 1)
    assert data["total"]["budget"] == D("70000.00")
    assert data["chart"]["towns"] == ["罗星街道", "西塘镇"] and data["chart"]["approved"] == [4000.0, 0.0]
    years = {r["year"]: r for r in data["year_rows"]}
    assert years[year()]["budget"] == D("70000.00") and years[year()]["approved"] == D("4000.00")
    assert years[year() - 1]["budget"] == D("30000.00") and years[year() - 1]["applications"] == 0
    assert 'data-chart="subsidy-towns"' in resp.content.decode()


def test_a_town_sees_only_its_own_row(figures, client_for):
    data = client_for("town_b").get(reverse("subsidies:overview")).context["data"]
    assert [r["town"] for r in data["town_rows"]] == ["西塘镇"]
    assert [r["year"] for r in data["year_rows"]] == [year()]


def test_the_workbook_has_the_town_and_year_sheets(figures, client_for):
    resp = client_for("county").get(reverse("subsidies:overview"), {"year": year(), "download": "1"})
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    towns = [[c.value for c in row] for row in wb.worksheets[0].iter_rows()]
    row = next(r for r in towns if r[0] == "罗星街道")
    assert row[2:7] == [50000, 4000, 900, 46000, 3]
    assert len(wb.worksheets) == 2


def test_bad_year_is_a_400(client_for, world):
    assert client_for("county").get(reverse("subsidies:overview"), {"year": "abc"}).status_code == 400


def test_the_town_list_filters_and_exports(figures, client_for):
    c = client_for("town_a")
    url = reverse("subsidies:subsidyapplication_list")
    assert c.get(url).context["page"].paginator.count == 4
    assert c.get(url, {"status": "submitted"}).context["page"].paginator.count == 1
    assert c.get(url, {"year": year() - 1}).context["page"].paginator.count == 0
    export = c.get(reverse("subsidies:subsidyapplication_export"), {"status": "paid"})
    wb = load_workbook(io.BytesIO(b"".join(export.streaming_content)))
    text = "\n".join(str(v) for row in wb.worksheets[0].iter_rows(values_only=True) for v in row if v)
    assert "PZ" in text and text.count("BT") == 1


def _grow(world, n, tag, offset):
    common = {"address": "x", "industry": world["industry"], "legal_representative": "某"}
    for i in range(n):
        town = world["town_a"] if i % 2 else world["town_b"]
        Enterprise.objects.create(
            credit_code=make_credit_code(7000 + i + offset), name=f"{tag}{i}", town=town, **common
        )
        p = make_policy(world, "town_a" if i % 2 else "town_b", y=2000 + i + offset // 10, name=f"{tag}政策{i}")
        make_application(world, p, make_own_contract(world, number=f"{tag}Q{i}"), seq=i + 1)


@pytest.mark.parametrize("persona", ["county", "town_a"])
def test_query_counts_do_not_grow(world, client_for, persona):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(persona)
    urls = [
        reverse("subsidies:overview"),
        reverse("subsidies:subsidyapplication_list"),
        reverse("subsidies:subsidypolicy_list"),
    ]

    def counts():
        out = []
        for u in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(u).status_code == 200
            out.append(len(ctx))
        return out

    _grow(world, 2, "小", 0)
    small = counts()
    _grow(world, 12, "大", 500)
    assert counts() == small


def test_enterprise_panel_and_town_cards(figures, client_for):
    resp = client_for("ent_a").get(figures["ent_a"].get_absolute_url())
    panel = next(p for p in resp.context["panels"] if p["key"] == "subsidies")
    values = {f["key"]: f["value"] for f in panel["figures"]}
    assert values["applications"] == 4 and values["submitted"] == 1 and values["granted"] == "4000.00"
    for f in panel["figures"]:
        if f["url"]:
            listed = client_for("ent_a").get(f["url"]).context["page"].paginator.count
            assert listed == f["value"], f
    # The enterprise of town B has no user: its page seen by town B shows its own rejected application.
    resp_b = client_for("town_b").get(figures["ent_b"].get_absolute_url())
    panel_b = next(p for p in resp_b.context["panels"] if p["key"] == "subsidies")
    assert panel_b["figures"][0]["value"] == 1
    home = client_for("town_a").get(reverse("home")).context["summary"]
    cards = {c["key"]: c for c in home["cards"]}
    assert cards["subsidies-submitted"]["value"] == 1 and cards["subsidies-to-pay"]["value"] == 1
    listed = client_for("town_a").get(cards["subsidies-to-pay"]["url"]).context["page"].paginator.count
    assert listed == 1


def test_no_panel_without_policy_or_application(world, client_for):
    resp = client_for("ent_a").get(world["ent_a"].get_absolute_url())
    assert "subsidies" not in [p["key"] for p in resp.context["panels"]]
    make_policy(world)
    resp = client_for("ent_a").get(world["ent_a"].get_absolute_url())
    panel = next(p for p in resp.context["panels"] if p["key"] == "subsidies")
    assert panel["items"][-1]["meta"] == "已发布，可申请"
