"""Related rows inside a visible record are filtered to the viewer's scope (issue 8 item 4), and a
contract belongs to its payer or the county (issue 8 item 6).

The world: a county-paid contract of agency A covering 嘉善甲五金 (town A) and 西塘乙机械 (town B).
Town A's officer and the enterprise see the contract, but only their own enterprise on it, on every
door: detail page, due-visits page, home card, API (list and detail) and the Excel export.
"""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from safeserve.core.models import AuditLog
from safeserve.registry.models import Association
from safeserve.services import actions
from safeserve.services.choices import ContractStatus
from safeserve.services.models import ContractEnterprise, ServiceContract
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract

pytestmark = pytest.mark.django_db

A_NAME, B_NAME = "嘉善甲五金有限公司", "西塘乙机械有限公司"
# persona -> which of the two enterprises it may see on the shared contract
SEES = {
    "county": {A_NAME, B_NAME},
    "town_a": {A_NAME},
    "town_b": {B_NAME},
    "ent_a": {A_NAME},
    "agency_a": {A_NAME, B_NAME},
}


@pytest.fixture
def shared(world):
    """An active county-paid contract for both towns' enterprises, with visits overdue for both."""
    today = timezone.localdate()
    return make_contract(
        world,
        enterprises=("ent_a", "ent_b"),
        payer_type="county",
        number="XG-2026-001",
        start=today - timedelta(days=200),
        end=today + timedelta(days=165),
    )


def _names(text):
    return {n for n in (A_NAME, B_NAME) if n in text}


@pytest.mark.parametrize("persona", sorted(SEES))
def test_contract_page_lists_only_visible_enterprises(world, client_for, shared, persona):
    resp = client_for(persona).get(reverse("services:servicecontract_detail", args=[shared.pk]))
    assert resp.status_code == 200
    assert _names(resp.content.decode()) == SEES[persona]


@pytest.mark.parametrize("persona", sorted(SEES))
def test_due_visits_page_lists_only_visible_enterprises(world, client_for, shared, persona):
    resp = client_for(persona).get(reverse("services:visit_due"))
    assert resp.status_code == 200
    assert _names(resp.content.decode()) == SEES[persona]


@pytest.mark.parametrize("persona", sorted(SEES))
def test_contract_api_lists_only_visible_enterprises(world, client_for, shared, persona):
    ids = {world["ent_a"].pk: A_NAME, world["ent_b"].pk: B_NAME}
    api = client_for(persona)
    detail = api.get(f"/api/v1/services/contracts/{shared.pk}/").json()
    assert {ids[i] for i in detail["enterprises"]} == SEES[persona]
    rows = api.get("/api/v1/services/contracts/").json()["results"]
    row = next(r for r in rows if r["id"] == shared.pk)
    assert {ids[i] for i in row["enterprises"]} == SEES[persona]


@pytest.mark.parametrize("persona", sorted(SEES))
def test_contract_export_lists_only_visible_enterprises(world, client_for, shared, persona):
    resp = client_for(persona).get(reverse("services:servicecontract_export"))
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert _names(text) == SEES[persona]


def test_contract_api_list_queries_do_not_grow_with_rows(world, client_for, django_assert_max_num_queries):
    """The visible-ids filter reads once per list, not once per contract."""
    api = client_for("town_a")
    for n in range(3):
        make_contract(world, enterprises=("ent_a", "ent_b"), payer_type="county", number=f"XG-{n}")
    with django_assert_max_num_queries(50) as few:
        api.get("/api/v1/services/contracts/")
    for n in range(3, 12):
        make_contract(world, enterprises=("ent_a", "ent_b"), payer_type="county", number=f"XG-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get("/api/v1/services/contracts/")


def test_home_card_counts_only_visible_enterprises(world, client_for, shared):
    from safeserve.services.queries import home_summary

    card = next(c for c in home_summary(world.user("town_a"))["cards"] if c["key"] == "visits-due")
    assert card["value"] == 1
    card = next(c for c in home_summary(world.user("agency_a"))["cards"] if c["key"] == "visits-due")
    assert card["value"] == 2


def test_background_job_still_sees_every_enterprise(world, shared):
    from safeserve.services.queries import missing_visits

    assert {r["enterprise_name"] for r in missing_visits(None)} == {A_NAME, B_NAME}


def test_visit_staff_page_and_api_for_enterprise(world, client_for, shared):
    """The enterprise sees who came (people on its visits and contracts), nobody else's staff."""
    visit = actions.visit_record(
        actor=world.user("agency_a"),
        contract=shared,
        enterprise=world["ent_a"],
        visited_at=timezone.now() - timedelta(hours=1),
        staff=[world["staff_a"]],
        template=general_template(),
        results=all_ok(general_template()),
    )
    ent = client_for("ent_a")
    assert "赵工" in ent.get(reverse("services:visit_detail", args=[visit.pk])).content.decode()
    assert ent.get(f"/api/v1/services/visits/{visit.pk}/").json()["staff"] == [world["staff_a"].pk]
    # agency B's person is on no contract or visit of ent_a
    assert ent.get(f"/api/v1/registry/agency-staff/{world['staff_b'].pk}/").status_code == 404
    listed = [r["id"] for r in ent.get("/api/v1/registry/agency-staff/").json()["results"]]
    assert listed == [world["staff_a"].pk]
    # a town B officer sees the visit of ent_b only; the visit of ent_a is another town's
    assert client_for("town_b").get(reverse("services:visit_detail", args=[visit.pk])).status_code == 404


def test_association_members_api_lists_only_visible_enterprises(world, client_for):
    assoc = Association.objects.get(name="嘉善县五金行业协会")
    assoc.members.add(world["ent_b"])
    ids = {world["ent_a"].pk: A_NAME, world["ent_b"].pk: B_NAME}
    expected = {"county": {A_NAME, B_NAME}, "town_a": {A_NAME}, "town_b": {B_NAME}, "ent_a": {A_NAME}}
    expected["assoc_a"] = {A_NAME, B_NAME}  # the association sees its own members
    for persona, names in expected.items():
        data = client_for(persona).get(f"/api/v1/registry/associations/{assoc.pk}/").json()
        assert {ids[i] for i in data["members"]} == names, persona
        page = client_for(persona).get(reverse("registry:association_detail", args=[assoc.pk])).content.decode()
        assert _names(page) == names, persona


def test_association_edit_keeps_members_the_editor_cannot_see(world, client_for):
    """The association's own form lists its members; a county-only view is not needed to keep them."""
    assoc = world["assoc_a"]
    assoc.members.add(world["ent_b"])
    page = client_for("assoc_a").get(reverse("registry:association_edit", args=[assoc.pk])).content.decode()
    assert world["ent_b"].credit_code in page  # its own members are in its scope


# ------------------------------------------------------------------ writes keep hidden rows


def test_town_edit_keeps_the_other_towns_enterprise(world, client_for):
    """A town-paid draft that the county extended to a town-B enterprise: town A edits, B's stays."""
    c = make_contract(
        world,
        status=ContractStatus.DRAFT,
        enterprises=("ent_a", "ent_b"),
        payer_type="town",
        payer_town=world["town_a"],
        number="TA-001",
    )
    town = client_for("town_a")
    page = town.get(reverse("services:servicecontract_edit", args=[c.pk])).content.decode()
    # The form names the enterprises it offers (the picker); the other town's is not among them.
    assert world["ent_a"].name in page and world["ent_b"].name not in page
    resp = town.patch(
        f"/api/v1/services/contracts/{c.pk}/",
        {"enterprises": [world["ent_a"].pk], "note": "改备注"},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["enterprises"] == [world["ent_a"].pk]
    assert set(c.enterprises.values_list("name", flat=True)) == {A_NAME, B_NAME}


# ------------------------------------------------------------------ ownership (item 6)


def _snapshot(contract_id):
    c = ServiceContract.objects.filter(pk=contract_id).values().first()
    links = sorted(ContractEnterprise.objects.filter(contract_id=contract_id).values_list("enterprise_id", flat=True))
    staff = sorted(ServiceContract.staff.through.objects.filter(servicecontract_id=contract_id).values_list("pk"))
    return c, links, staff, AuditLog.objects.count()


@pytest.fixture
def drafts(world):
    """Drafts owned by the county, by town B, and by ent_a's own purse, each visible to someone else."""
    return {
        "county": make_contract(
            world, status=ContractStatus.DRAFT, enterprises=("ent_a", "ent_b"), payer_type="county", number="D-C"
        ),
        "town_b": make_contract(
            world,
            status=ContractStatus.DRAFT,
            enterprises=("ent_a", "ent_b"),
            payer_type="town",
            payer_town=world["town_b"],
            number="D-TB",
        ),
        "ent_a": make_contract(world, status=ContractStatus.DRAFT, number="D-E"),
    }


# (payer of the draft, persona who is not its owner but sees it)
NOT_OWNER = [("county", "town_a"), ("county", "ent_a"), ("town_b", "town_a"), ("town_b", "ent_a"), ("ent_a", "town_a")]


@pytest.mark.parametrize(("payer", "persona"), NOT_OWNER)
def test_non_owner_cannot_change_delete_or_transition_through_api(world, client_for, drafts, payer, persona):
    c = drafts[payer]
    before = _snapshot(c.pk)
    api = client_for(persona)
    assert api.get(f"/api/v1/services/contracts/{c.pk}/").status_code == 200  # it does see it
    url = f"/api/v1/services/contracts/{c.pk}/"
    assert api.patch(url, {"enterprises": [world["ent_a"].pk]}, content_type="application/json").status_code == 404
    assert api.put(url, {"note": "x"}, content_type="application/json").status_code == 404
    assert api.delete(url).status_code == 404
    resp = api.post(f"{url}transition/", {"action": "activate"}, content_type="application/json")
    assert resp.status_code == 403
    assert _snapshot(c.pk) == before


@pytest.mark.parametrize(("payer", "persona"), NOT_OWNER)
def test_non_owner_cannot_change_delete_or_transition_through_pages(world, client_for, drafts, payer, persona):
    c = drafts[payer]
    before = _snapshot(c.pk)
    page = client_for(persona)
    detail = page.get(reverse("services:servicecontract_detail", args=[c.pk])).content.decode()
    assert 'data-testid="contract-activate"' not in detail
    assert reverse("services:servicecontract_delete", args=[c.pk]) not in detail
    assert page.get(reverse("services:servicecontract_edit", args=[c.pk])).status_code == 404
    assert page.post(reverse("services:servicecontract_edit", args=[c.pk]), {"note": "x"}).status_code == 404
    assert page.post(reverse("services:servicecontract_delete", args=[c.pk])).status_code == 404
    resp = page.post(reverse("services:contract_transition", args=[c.pk, "activate"]), follow=True)
    assert "付费方" in resp.content.decode()
    assert _snapshot(c.pk) == before


def test_other_towns_contract_is_not_found(world, client_for):
    c = make_contract(
        world,
        status=ContractStatus.DRAFT,
        enterprises=("ent_b",),
        payer_type="town",
        payer_town=world["town_b"],
        number="D-B",
        agency="agency_b",
    )
    before = _snapshot(c.pk)
    api = client_for("town_a")
    url = f"/api/v1/services/contracts/{c.pk}/"
    assert api.get(url).status_code == 404
    assert api.delete(url).status_code == 404
    assert api.post(f"{url}transition/", {"action": "activate"}, content_type="application/json").status_code == 404
    assert _snapshot(c.pk) == before


def test_owners_may_change_delete_and_transition(world, client_for, drafts):
    town_b = client_for("town_b")
    c = drafts["town_b"]
    resp = town_b.patch(f"/api/v1/services/contracts/{c.pk}/", {"note": "镇购买"}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert client_for("ent_a").delete(f"/api/v1/services/contracts/{drafts['ent_a'].pk}/").status_code == 204
    resp = client_for("county").post(
        f"/api/v1/services/contracts/{drafts['county'].pk}/transition/",
        {"action": "activate"},
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.json()["status"] == "active"


def test_town_cannot_terminate_a_county_paid_active_contract(world, client_for, shared):
    before = _snapshot(shared.pk)
    resp = client_for("town_a").post(
        f"/api/v1/services/contracts/{shared.pk}/transition/", {"action": "terminate"}, content_type="application/json"
    )
    assert resp.status_code == 403
    assert "付费方" in resp.json()["detail"]
    assert _snapshot(shared.pk) == before
    assert (
        client_for("county")
        .post(
            f"/api/v1/services/contracts/{shared.pk}/transition/",
            {"action": "terminate"},
            content_type="application/json",
        )
        .json()["status"]
        == ContractStatus.TERMINATED
    )


def test_town_may_only_create_contracts_it_pays_for(world, client_for):
    api = client_for("town_a")
    base = {
        "number": "NEW-1",
        "agency": world["agency_a"].pk,
        "enterprises": [world["ent_a"].pk],
        "items": ["hazard"],
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "fee": "100.00",
        "visits_per_year": 4,
    }
    resp = api.post("/api/v1/services/contracts/", {**base, "payer_type": "county"}, content_type="application/json")
    assert resp.status_code == 403
    assert not ServiceContract.objects.filter(number="NEW-1").exists()
    resp = api.post(
        "/api/v1/services/contracts/",
        {**base, "payer_type": "town", "payer_town": world["town_a"].pk},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
