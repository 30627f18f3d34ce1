"""Needs, quotes and the road to a contract (issue 17 §2 and §4)."""

import json
from datetime import timedelta
from decimal import Decimal
from statistics import median

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from safeserve.market import actions, queries
from safeserve.market.api import PUBLIC_FIELDS
from safeserve.market.models import AgencyProfile, Bar, Need, NeedStatus, Quote, QuoteStatus
from safeserve.notifications.models import Notification
from safeserve.services.models import ServiceContract, ServiceVisit
from safeserve_dev.market_fixtures import need_data, quote_data, second_consulting_agency
from safeserve_dev.permsuite import shared_world

pytestmark = pytest.mark.django_db
world = shared_world(lambda w: second_consulting_agency(w) and w)


@pytest.fixture
def w(world):
    return world


def post_need(w, **over):
    invited = over.pop("invited", ())
    return actions.need_create(actor=w.user("ent_a"), data=need_data(**over), invited=invited)


def quote(w, need, persona="agency_a", **over):
    staff = [w["staff_a"]] if persona == "agency_a" else [w["staff_c"]]
    return actions.quote_submit(actor=w.user(persona), need=need, data=quote_data(**over), staff=staff)


PRIVATE_FIELDS = ("credit_code", "address", "legal_representative", "safety_manager", "safety_manager_phone")


def private_values(ent):
    return [ent.credit_code, ent.address, ent.legal_representative, ent.safety_manager_phone, ent.name]


# ---------------------------------------------------------------- accept -> exactly one draft contract


def test_accepting_a_quote_makes_exactly_one_draft_contract_with_its_terms(w, django_capture_on_commit_callbacks):
    need = post_need(w)
    with django_capture_on_commit_callbacks(execute=True):
        won = quote(w, need, price=Decimal("12000"), visits_per_year=6)
        lost = quote(w, need, "agency_c", price=Decimal("9000"))
    before = ServiceContract.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        contract = actions.quote_accept(actor=w.user("ent_a"), quote=won)
    assert ServiceContract.objects.count() == before + 1
    contract.refresh_from_db()
    assert contract.status == "draft" and contract.payer_type == "enterprise"
    assert contract.agency_id == w["agency_a"].pk
    assert contract.fee == Decimal("12000") and contract.visits_per_year == 6
    assert (contract.start_date, contract.end_date) == (need.start_date, need.end_date)
    assert list(contract.enterprises.all()) == [w["ent_a"]]
    assert list(contract.staff.all()) == [w["staff_a"]]
    assert sorted(contract.items) == ["hazard", "standardization"]
    won.refresh_from_db(), lost.refresh_from_db(), need.refresh_from_db()
    assert won.contract_id == contract.pk and won.status == QuoteStatus.ACCEPTED
    assert lost.status == QuoteStatus.DECLINED and lost.contract_id is None
    assert need.status == NeedStatus.AWARDED
    # Every write audited: the need, both quotes, the contract.
    from django.contrib.contenttypes.models import ContentType

    from safeserve.core.models import AuditLog

    def logged(obj, action):
        ct = ContentType.objects.get_for_model(obj)
        return AuditLog.objects.filter(content_type=ct, object_id=str(obj.pk), action=action).exists()

    assert logged(need, "create") and logged(need, "transition")
    assert logged(won, "create") and logged(won, "transition") and logged(lost, "transition")
    assert logged(contract, "create")
    # The others are told, politely; the winner is asked to confirm.
    told = Notification.objects.get(recipient=w.user("agency_c"), kind="market.declined")
    assert "感谢" in told.title
    assert Notification.objects.filter(recipient=w.user("agency_a"), kind="market.accepted").exists()
    # A second accept (the same quote, or the other one; action or page) is refused: still one contract.
    for q in (won, lost):
        with pytest.raises(ValidationError):
            actions.quote_accept(actor=w.user("ent_a"), quote=q)
    c = __import__("django.test", fromlist=["Client"]).Client()
    c.force_login(w.user("ent_a"))
    c.post(reverse("market:quote_accept", args=[lost.pk]))
    assert ServiceContract.objects.count() == before + 1


def test_both_sides_confirm_then_the_contract_is_active_in_either_order(w):
    for first, second in (("ent_a", "agency_a"), ("agency_a", "ent_a")):
        need = post_need(w)
        q = quote(w, need)
        contract = actions.quote_accept(actor=w.user("ent_a"), quote=q)
        actions.quote_confirm(actor=w.user(first), quote=q)
        contract.refresh_from_db()
        assert contract.status == "draft"
        with pytest.raises(ValidationError):
            actions.quote_confirm(actor=w.user(first), quote=q)  # once per side
        actions.quote_confirm(actor=w.user(second), quote=q)
        contract.refresh_from_db()
        q.refresh_from_db()
        assert contract.status == "active"
        assert q.enterprise_confirmed_by == w.user("ent_a") and q.agency_confirmed_by == w.user("agency_a")


def test_a_withdrawn_need_takes_no_acceptance(w):
    need = post_need(w)
    q = quote(w, need)
    actions.need_transition(actor=w.user("ent_a"), need=need, action="withdraw")
    with pytest.raises(ValidationError):
        actions.quote_accept(actor=w.user("ent_a"), quote=q)
    assert not ServiceContract.objects.filter(market_quote__isnull=False).exists()


def test_an_agency_withdraws_its_quote_while_the_need_is_open(w):
    need = post_need(w)
    q = quote(w, need)
    with pytest.raises(PermissionDenied):
        actions.quote_withdraw(actor=w.user("agency_c"), quote=q)
    actions.quote_withdraw(actor=w.user("agency_a"), quote=q)
    q.refresh_from_db()
    assert q.status == QuoteStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        actions.quote_accept(actor=w.user("ent_a"), quote=q)
    assert queries.market_stats(w.user("county"))["quotes"] == 0  # a withdrawn quote does not count


# ---------------------------------------------------------------- who may quote


def test_an_agency_cannot_quote_outside_its_qualifications(w, client_for):
    # Invited (so it sees the need) but agency_a offers consulting only: 安全评价 is not covered.
    need = post_need(w, service_types=["evaluation"], open_to_all=False, invited=[w["agency_a"]])
    assert Need.objects.visible_to(w.user("agency_a")).filter(pk=need.pk).exists()
    with pytest.raises(ValidationError) as exc:
        quote(w, need, items=["evaluation"])
    assert "安全评价" in "；".join(exc.value.messages) and "不能对该需求报价" in "；".join(exc.value.messages)
    c = client_for("agency_a")
    page = c.get(reverse("market:need_detail", args=[need.pk])).content.decode()
    assert "不能报价" in page and 'data-testid="quote-form"' not in page
    response = c.post(
        reverse("market:quote_add", args=[need.pk]),
        {"price": "9000", "visits_per_year": "4", "items": ["evaluation"], "plan": "评价", "valid_until": "2099-01-01"},
    )
    assert response.status_code == 400 and "安全评价" in response.content.decode()
    assert not Quote.objects.exists()


def test_an_expired_qualification_removes_the_licensed_type(w):
    agency_b = w["agency_b"]
    from safeserve.accounts.models import User

    user_b = User.objects.create(username="agency_b", role="agency", agency=agency_b)
    need = post_need(w, service_types=["testing"], open_to_all=False, invited=[agency_b])
    qual = w["qual_b"]
    qual.service_type, qual.valid_until = "testing", timezone.localdate() + timedelta(days=30)
    qual.save()
    data = quote_data(items=["testing"])
    actions.quote_submit(actor=user_b, need=need, data=data)  # covered today
    Quote.objects.all().delete()
    qual.valid_until = timezone.localdate() - timedelta(days=1)
    qual.save()
    # Out of the directory altogether (no type left): the invitation no longer shows, nothing saved.
    with pytest.raises((ValidationError, PermissionDenied)):
        actions.quote_submit(actor=user_b, need=need, data=data)
    assert not Quote.objects.exists()


def test_a_barred_or_hidden_agency_cannot_quote(w, client_for):
    need = post_need(w)
    Bar.objects.create(agency=w["agency_a"], enterprise=w["ent_a"], reason="利益冲突：股东关联")
    assert not Need.objects.visible_to(w.user("agency_a")).filter(pk=need.pk).exists()
    assert client_for("agency_a").get(reverse("market:need_detail", args=[need.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        quote(w, need)
    # Invited but barred: sees it, cannot quote, told why.
    invited = post_need(w, open_to_all=False, invited=[w["agency_a"]])
    Need.objects.filter(pk=invited.pk).update()
    Bar.objects.all().delete()
    Bar.objects.create(agency=w["agency_c"], enterprise=w["ent_a"], reason="利益冲突")
    AgencyProfile.objects.create(agency=w["agency_a"], hidden=True, hidden_reason="核查中")
    with pytest.raises(PermissionDenied):
        quote(w, invited)  # hidden: out of the market altogether
    assert not Quote.objects.exists()
    assert "利益冲突" in queries.bar_reason(w["agency_c"], w["ent_a"])


def test_agencies_see_needs_in_the_towns_they_serve_and_invitations_only_when_invited(w):
    need = post_need(w)  # town_a
    profile = AgencyProfile.objects.create(agency=w["agency_c"])
    assert need.pk in queries.needs_open_to(w["agency_c"].pk)
    profile.towns_served.set([w["town_b"]])
    assert need.pk not in queries.needs_open_to(w["agency_c"].pk)
    profile.towns_served.set([w["town_a"]])
    private = post_need(w, open_to_all=False, invited=[w["agency_a"]])
    assert private.pk in queries.needs_open_to(w["agency_a"].pk)
    assert private.pk not in queries.needs_open_to(w["agency_c"].pk)


# ---------------------------------------------------------------- privacy


def test_private_fields_never_reach_agencies_pages_or_api(w, client_for):
    ent = w["ent_a"]
    need = post_need(w)
    c = client_for("agency_c")
    pages = [
        c.get(reverse("market:need_list")).content.decode(),
        c.get(reverse("market:need_detail", args=[need.pk])).content.decode(),
        c.get("/api/v1/market/needs/").content.decode(),
        c.get(f"/api/v1/market/needs/{need.pk}/").content.decode(),
    ]
    for html in pages:
        for value in private_values(ent):
            assert value not in html, value
    assert c.get(reverse("market:need_compare", args=[need.pk])).status_code == 403
    # The name once the enterprise publishes it; never the rest before acceptance.
    Need.objects.filter(pk=need.pk).update(show_name=True)
    html = c.get(reverse("market:need_detail", args=[need.pk])).content.decode()
    api = c.get(f"/api/v1/market/needs/{need.pk}/").json()
    assert ent.name in html and api["enterprise_name"] == ent.name
    for value in private_values(ent)[:-1]:
        assert value not in html and value not in json.dumps(api, ensure_ascii=False)
    # After acceptance: the winner sees the contact facts, the loser still does not.
    Need.objects.filter(pk=need.pk).update(show_name=False)
    q_c = quote(w, need, "agency_c")
    q_a = quote(w, need)
    actions.quote_accept(actor=w.user("ent_a"), quote=q_a)
    won = client_for("agency_a").get(reverse("market:quote_detail", args=[q_a.pk])).content.decode()
    assert ent.credit_code in won and ent.address in won
    lost = c.get(reverse("market:quote_detail", args=[q_c.pk])).content.decode()
    for value in private_values(ent):
        assert value not in lost, value


def test_the_api_schema_of_needs_has_no_private_field(client_for):
    schema = client_for("county").get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    doc = json.loads(schema) if schema.lstrip().startswith("{") else __import__("yaml").safe_load(schema)
    component = doc["components"]["schemas"]["Need"]
    assert set(component["properties"]) == set(PUBLIC_FIELDS)
    for name in PRIVATE_FIELDS + ("enterprise", "invited", "posted_by"):
        assert name not in component["properties"]


def test_hazchem_units_are_told_they_pay_for_themselves(w, client_for):
    from safeserve.registry.models import Enterprise

    c = client_for("ent_a")
    assert 'data-testid="self-paid"' not in c.get(reverse("market:need_add")).content.decode()
    Enterprise.objects.filter(pk=w["ent_a"].pk).update(is_hazchem=True)
    assert "不享受财政补助" in c.get(reverse("market:need_add")).content.decode()
    need = post_need(w)
    assert "不纳入政府购买服务" in c.get(reverse("market:need_detail", args=[need.pk])).content.decode()


def test_thread_messages_notify_the_other_side(w, django_capture_on_commit_callbacks):
    need = post_need(w)
    q = quote(w, need)
    with django_capture_on_commit_callbacks(execute=True):
        actions.quote_message(actor=w.user("ent_a"), quote=q, text="能否每月上门一次？")
        actions.quote_message(actor=w.user("agency_a"), quote=q, text="可以，价格另议。")
    assert Notification.objects.filter(recipient=w.user("agency_a"), kind="market.message").count() == 1
    assert Notification.objects.filter(recipient=w.user("ent_a"), kind="market.message").count() == 1
    with pytest.raises(PermissionDenied):
        actions.quote_message(actor=w.user("agency_c"), quote=q, text="插话")


# ---------------------------------------------------------------- statistics


def test_statistics_equal_independent_counts(w, settings):
    from safeserve.registry.models import Enterprise

    settings.SAFESERVE_MARKET = {**settings.SAFESERVE_MARKET, "NO_DELIVERY_DAYS": 30}
    ent_b = w["ent_b"]
    from safeserve.accounts.models import User

    user_b = User.objects.create(username="ent_b", role="enterprise", enterprise=ent_b)
    now = timezone.now()
    plan = [  # (enterprise user, prices by agency persona, hours to each quote, accept first?)
        (w.user("ent_a"), {"agency_a": 10000, "agency_c": 8000}, [5, 30], True),
        (w.user("ent_a"), {"agency_c": 20000}, [2], False),
        (w.user("ent_a"), {}, [], False),
        (user_b, {"agency_a": 15000, "agency_c": 12000}, [10, 1], True),
    ]
    posted = []
    for i, (user, prices, hours, accept) in enumerate(plan):
        need = actions.need_create(actor=user, data=need_data())
        Need.objects.filter(pk=need.pk).update(created_at=now - timedelta(days=100 - i))
        need.refresh_from_db()
        made = []
        for (persona, price), h in zip(prices.items(), hours, strict=True):
            q = quote(w, need, persona, price=Decimal(price))
            Quote.objects.filter(pk=q.pk).update(created_at=need.created_at + timedelta(hours=h))
            made.append(q)
        if accept:
            actions.quote_accept(actor=user, quote=made[0])
            Quote.objects.filter(pk=made[0].pk).update(accepted_at=now - timedelta(days=60))
        posted.append(need)
    # The second accepted contract (ent_b, agency_a) delivered: a visit within 30 days.
    delivered = Quote.objects.get(need=posted[3], status=QuoteStatus.ACCEPTED).contract
    ServiceContract.objects.filter(pk=delivered.pk).update(status="active")
    from safeserve.services.models import ServiceVisit as V

    V.objects.create(
        agency=delivered.agency, contract=delivered, enterprise=ent_b, visited_at=now - timedelta(days=50),
        seq=1, content_hash="x" * 64,
    )  # fmt: skip

    # Independently counted.
    all_quotes = [(q.need_id, q.price, q.created_at) for q in Quote.objects.all()]
    firsts = {}
    for need_id, _p, at in all_quotes:
        firsts[need_id] = min(firsts.get(need_id, at), at)
    waits = [
        (firsts[n.pk] - Need.objects.get(pk=n.pk).created_at).total_seconds() / 3600 for n in posted if n.pk in firsts
    ]
    s = queries.market_stats(w.user("county"))
    assert s["needs"] == 4 and s["quotes"] == 5
    assert s["quotes_per_need"] == round(5 / 4, 2)
    assert s["median_hours_to_first_quote"] == round(median(waits), 1) == 2.0
    assert s["contracted"] == 2 and s["contract_share"] == 50.0
    by_key = {(r["town"], r["type"]): r for r in s["prices"]}
    town_a, town_b = w["town_a"].name, w["town_b"].name
    assert by_key[(town_a, "安全咨询")]["min"] == 8000 and by_key[(town_a, "安全咨询")]["max"] == 20000
    assert by_key[(town_a, "安全咨询")]["n"] == 3
    assert by_key[(town_b, "安全咨询")]["min"] == 12000 and by_key[(town_b, "安全咨询")]["max"] == 15000
    # agency_a won posted[0] (no visit) -> never delivered; its ent_b contract delivered.
    assert [(r["agency"].pk, r["count"]) for r in s["no_delivery"]] == [(w["agency_a"].pk, 1)]
    # A town sees its own town only.
    t = queries.market_stats(w.user("town_a"))
    assert t["needs"] == 3 and t["quotes"] == 3 and t["contracted"] == 1
    assert {r["town"] for r in t["prices"]} == {town_a}
    assert Enterprise.objects.filter(town=w["town_a"]).count() >= 1
    assert ServiceVisit.objects.count() == 1


def test_statistics_page_for_county_and_town_only(w, client_for):
    post_need(w)
    html = client_for("county").get(reverse("market:stats")).content.decode()
    assert 'data-testid="fig-needs">1<' in html and "market_stats.js" in html and "<script>" not in html
    assert client_for("town_b").get(reverse("market:stats")).status_code == 200
    for persona in ("ent_a", "agency_a"):
        assert client_for(persona).get(reverse("market:stats")).status_code == 403
