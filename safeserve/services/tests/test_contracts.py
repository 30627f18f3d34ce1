from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from safeserve.registry.models import Enterprise
from safeserve.services import actions
from safeserve.services.choices import ContractStatus
from safeserve.services.models import ServiceContract
from safeserve.services.queries import has_socialized_service
from safeserve_dev.services_fixtures import make_contract

pytestmark = pytest.mark.django_db


def test_town_creates_contract_agency_activates(world, client_for):
    town = client_for("town_a")
    resp = town.post(
        reverse("services:servicecontract_add"),
        {
            "number": "JS-2026-001",
            "agency": world["agency_a"].pk,
            "payer_type": "town",
            "payer_town": world["town_a"].pk,
            "items": ["hazard", "emergency"],
            "start_date": timezone.localdate().isoformat(),
            "end_date": (timezone.localdate() + timedelta(days=365)).isoformat(),
            "fee": "50000.00",
            "visits_per_year": "6",
            "staff": [world["staff_a"].pk],
            "enterprise_codes": world["ent_a"].credit_code,
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    c = ServiceContract.objects.get(number="JS-2026-001")
    assert c.status == ContractStatus.DRAFT
    assert list(c.enterprises.all()) == [world["ent_a"]]
    assert str(c.fee) == "50000.00"
    # The agency sees the draft contract but none of its enterprises yet.
    agency = client_for("agency_a")
    assert agency.get(c.get_absolute_url()).status_code == 200
    assert agency.get(world["ent_a"].get_absolute_url()).status_code == 404
    resp = agency.post(reverse("services:contract_transition", args=[c.pk, "activate"]))
    assert resp.status_code == 302
    c.refresh_from_db()
    assert c.status == ContractStatus.ACTIVE
    assert agency.get(world["ent_a"].get_absolute_url()).status_code == 200


def test_town_cannot_put_other_towns_enterprise_in_contract(world, client_for):
    resp = client_for("town_a").post(
        reverse("services:servicecontract_add"),
        {
            "number": "JS-2026-002",
            "agency": world["agency_a"].pk,
            "payer_type": "enterprise",
            "items": ["hazard"],
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "fee": "100",
            "visits_per_year": "4",
            "enterprise_codes": world["ent_b"].credit_code,
        },
    )
    assert resp.status_code == 200
    assert "不在您的管辖范围内" in resp.content.decode()
    assert not ServiceContract.objects.filter(number="JS-2026-002").exists()


# Every state × action × party of the contract lifecycle: test_transitions.py (generated from the table).


def test_other_town_cannot_touch_contract(world):
    c = make_contract(world, status=ContractStatus.DRAFT)
    with pytest.raises(PermissionDenied):
        actions.contract_transition(actor=world.user("town_b"), contract=c, action="activate")


def test_only_drafts_are_editable(world, client_for):
    town = {"payer_type": "town", "payer_town": world["town_a"]}
    c = make_contract(world, status=ContractStatus.ACTIVE, **town)
    assert client_for("town_a").get(reverse("services:servicecontract_edit", args=[c.pk])).status_code == 404
    d = make_contract(world, status=ContractStatus.DRAFT, number="HT-002", **town)
    assert client_for("town_a").get(reverse("services:servicecontract_edit", args=[d.pk])).status_code == 200


class TestAgencyScoping:
    def test_no_contract_no_enterprises(self, world):
        assert not Enterprise.objects.visible_to(world.user("agency_a")).exists()

    def test_draft_does_not_count(self, world):
        make_contract(world, status=ContractStatus.DRAFT)
        assert not Enterprise.objects.visible_to(world.user("agency_a")).exists()

    @pytest.mark.parametrize("status", [ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED])
    def test_current_or_past_contract(self, world, status):
        make_contract(world, status=status)
        make_contract(world, status=status, number="HT-B", agency="agency_b", enterprises=("ent_b",))
        assert list(Enterprise.objects.visible_to(world.user("agency_a"))) == [world["ent_a"]]

    def test_no_duplicates_with_many_contracts(self, world):
        for n in range(3):
            make_contract(world, number=f"HT-{n}")
        assert Enterprise.objects.visible_to(world.user("agency_a")).count() == 1

    def test_unserved_enterprise_is_404_page_and_api(self, world, client_for):
        make_contract(world)
        c = client_for("agency_a")
        assert c.get(world["ent_a"].get_absolute_url()).status_code == 200
        assert c.get(world["ent_b"].get_absolute_url()).status_code == 404
        assert c.get(f"/api/v1/registry/enterprises/{world['ent_b'].pk}/").status_code == 404
        ids = [r["id"] for r in c.get("/api/v1/registry/enterprises/").json()["results"]]
        assert ids == [world["ent_a"].pk]

    def test_agency_cannot_change_served_enterprise(self, world, client_for):
        make_contract(world)
        assert client_for("agency_a").get(
            reverse("registry:enterprise_edit", args=[world["ent_a"].pk])
        ).status_code in (
            403,
            404,
        )


def test_has_socialized_service_one_query(world, django_assert_num_queries):
    today = timezone.localdate()
    make_contract(world)  # ent_a active now
    make_contract(
        world,
        number="HT-OLD",
        agency="agency_b",
        enterprises=("ent_b",),
        status=ContractStatus.TERMINATED,
        start=today - timedelta(days=400),
        end=today + timedelta(days=100),
    )
    ServiceContract.objects.filter(number="HT-OLD").update(terminated_on=today - timedelta(days=10))
    ids = [world["ent_a"].pk, world["ent_b"].pk]
    with django_assert_num_queries(1):
        assert has_socialized_service(ids) == {world["ent_a"].pk}
    # On a day before ent_b's contract was terminated, it had service; before ent_a's start it had none.
    assert has_socialized_service(ids, today - timedelta(days=20)) == {world["ent_a"].pk, world["ent_b"].pk}
    assert has_socialized_service(ids, today - timedelta(days=60)) == {world["ent_b"].pk}
    with django_assert_num_queries(1):
        assert has_socialized_service(Enterprise.objects.filter(town=world["town_a"])) == {world["ent_a"].pk}


def test_drafts_do_not_give_service(world):
    make_contract(world, status=ContractStatus.DRAFT)
    assert has_socialized_service([world["ent_a"].pk]) == set()


def test_expire_job(world):
    today = timezone.localdate()
    c = make_contract(world, start=today - timedelta(days=400), end=today - timedelta(days=1))
    live = make_contract(world, number="HT-LIVE")
    assert actions.expire_contracts(today) == 1
    c.refresh_from_db()
    live.refresh_from_db()
    assert c.status == ContractStatus.EXPIRED
    assert live.status == ContractStatus.ACTIVE


def test_contract_api_transition(world, client_for):
    c = make_contract(world, status=ContractStatus.DRAFT)
    api = client_for("agency_a")
    resp = api.post(
        f"/api/v1/services/contracts/{c.pk}/transition/", {"action": "activate"}, content_type="application/json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "active"
    resp = client_for("town_b").post(
        f"/api/v1/services/contracts/{c.pk}/transition/", {"action": "terminate"}, content_type="application/json"
    )
    assert resp.status_code == 404


def test_api_creates_draft_contract_with_enterprises(world, client_for):
    payload = {
        "number": "API-001",
        "agency": world["agency_a"].pk,
        "payer_type": "town",
        "payer_town": world["town_a"].pk,
        "enterprises": [world["ent_a"].pk],
        "items": ["hazard", "training"],
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "fee": "30000.00",
        "visits_per_year": 4,
        "staff": [world["staff_a"].pk],
    }
    resp = client_for("town_a").post("/api/v1/services/contracts/", payload, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["status"] == "draft" and resp.json()["enterprises"] == [world["ent_a"].pk]
    bad = {**payload, "number": "API-002", "enterprises": [world["ent_b"].pk]}
    assert (
        client_for("town_a").post("/api/v1/services/contracts/", bad, content_type="application/json").status_code
        == 400
    )
    assert (
        client_for("agency_a").post("/api/v1/services/contracts/", payload, content_type="application/json").status_code
        == 403
    )


def test_enterprise_commissions_its_own_contract(world, client_for):
    ent = client_for("ent_a")
    page = ent.get(reverse("services:servicecontract_add")).content.decode()
    assert "payer_town" not in page
    resp = ent.post(
        reverse("services:servicecontract_add"),
        {
            "number": "QY-001",
            "agency": world["agency_a"].pk,
            "payer_type": "enterprise",
            "items": ["hazard"],
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
            "fee": "8000",
            "visits_per_year": "4",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    c = ServiceContract.objects.get(number="QY-001")
    assert list(c.enterprises.all()) == [world["ent_a"]] and c.payer_type == "enterprise"


def test_contract_field_list_is_declared_once(world, client_for):
    """Form, detail page, export and API all read ServiceContract.FIELDS (models.py)."""
    import io

    from openpyxl import load_workbook

    from safeserve.core.display import field_label
    from safeserve.services.forms import ContractForm

    c = make_contract(world)
    county = client_for("county")
    assert list(ContractForm._meta.fields) == [
        f for f in ServiceContract.FIELDS if f not in ("enterprises", "status", "terminated_on")
    ]
    api = county.get(f"/api/v1/services/contracts/{c.pk}/").json()
    assert list(api) == ["id", *ServiceContract.FIELDS]
    page = county.get(c.get_absolute_url()).content.decode()
    for name in ServiceContract.FIELDS:
        assert str(field_label(ServiceContract, name)) in page, name
    resp = county.get(reverse("services:servicecontract_export"))
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    header_row = int(ws.freeze_panes[1:]) - 1  # the title block above, the header row frozen
    headers = [v for v in next(ws.iter_rows(min_row=header_row, values_only=True)) if v]
    assert headers == [str(field_label(ServiceContract, n)) for n in ServiceContract.FIELDS[:-2]]
