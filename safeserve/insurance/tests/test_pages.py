"""The insurer's home (each card lists exactly its number), the officers' cards, and query counts of
the list and ledger pages pinned at two data sizes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeserve.insurance.models import Complaint, PreventionPlan
from safeserve_dev.insurance_fixtures import make_policy

TODAY = timezone.localdate()


def _cards(resp):
    return {c["key"]: (c["value"], c["url"]) for c in resp.context["summary"]["cards"]}


def _count(resp):
    return resp.context["page"].paginator.count


def test_insurer_home_cards_list_exactly_their_numbers(world, client_for):
    expiring = make_policy(world, number="PA-EXP", start=TODAY - timedelta(days=340), end=TODAY + timedelta(days=20))
    behind = make_policy(world, number="PA-BEHIND", start=TODAY - timedelta(days=200))
    PreventionPlan.objects.create(
        policy=behind, items=["hazard"], visits_per_year=4, agency=world["agency_a"], goals="g"
    )
    Complaint.objects.create(policy=expiring, received_on=TODAY, complainant="甲", content="x", due_on=TODAY)
    make_policy(world, insurer="insurer_b", enterprise="ent_b", number="PB-EXP", end=TODAY + timedelta(days=5))
    c = client_for("insurer_a")
    cards = _cards(c.get(reverse("home")))
    assert cards["policies-expiring"][0] == 1
    assert cards["plans-behind"][0] == 1
    assert cards["complaints-due"][0] == 1
    for key in ("policies-expiring", "plans-behind", "complaints-due"):
        value, url = cards[key]
        assert _count(c.get(url)) == value, key
    assert "下限 20%" in c.get(reverse("home")).content.decode()


def test_officer_home_cards(world, client_for):
    world["industry"].insurance_mandatory = True
    world["industry"].save()
    make_policy(world, number="PA-IDLE", start=TODAY - timedelta(days=250))
    c = client_for("county")
    cards = _cards(c.get(reverse("home")))
    assert cards["uninsured"][0] == 1  # ent_b
    assert cards["idle-policies"][0] == 1
    for key in ("uninsured", "idle-policies"):
        value, url = cards[key]
        assert _count(c.get(url)) == value, key


def _grow(world, n, offset):
    for i in range(n):
        p = make_policy(world, number=f"PA-Q-{offset + i}", start=TODAY - timedelta(days=250))
        PreventionPlan.objects.create(policy=p, items=["hazard"], agency=world["agency_a"], goals="g")
        Complaint.objects.create(policy=p, received_on=TODAY, complainant="甲", content="x", due_on=TODAY)


@pytest.mark.parametrize(
    ("persona", "route", "query"),
    [
        ("insurer_a", "insurance:policy_list", {}),
        ("county", "insurance:policy_list", {"idle": "true"}),
        ("county", "insurance:ledger", {}),
        ("insurer_a", "insurance:preventionplan_list", {}),
        ("insurer_a", "insurance:complaint_list", {}),
        ("county", "insurance:insured_file", None),
        # 刷新: the home page counts again rather than reuse the session's figures (ADR 0047).
        ("insurer_a", "home", {"refresh": "1"}),
    ],
)
def test_query_counts_do_not_grow_with_the_data(world, client_for, persona, route, query):
    c = client_for(persona)
    url = reverse(route, args=[world["ent_a"].pk]) if query is None else reverse(route)

    def run():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url, query or {}).status_code == 200
        return len(ctx.captured_queries)

    _grow(world, 2, 0)
    small = run()
    _grow(world, 12, 100)
    assert run() == small


def test_the_ledger_page_refuses_a_bad_year(client_for, world):
    resp = client_for("county").get(reverse("insurance:ledger"), {"year": "1800"})
    assert resp.status_code == 400


def test_planned_budget_uses_premium_collected(world):
    p = make_policy(world, premium=Decimal("10000"), premium_collected=Decimal("8000"), prevention_share=Decimal("21"))
    assert p.prevention_planned == Decimal("1680.00")
