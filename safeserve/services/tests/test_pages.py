"""Every page of services and hazards, for every persona: right status, never a server error."""

import pytest
from django.urls import reverse
from django.utils import timezone

from safeserve.hazards import actions as hazard_actions
from safeserve.services import actions
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract
from safeserve_dev.testkit import PERSONAS

pytestmark = pytest.mark.django_db

WORKING = {"county", "town_a", "town_b", "ent_a", "agency_a"}  # hold the services and hazards permissions
# Who opens each list (200); every other logged-in persona is refused (403), the anonymous one is
# sent to the login page. Written from roles.py; the rows on each page are the permission suite's.
LISTS = {
    "services:servicecontract_list": WORKING,
    "services:checklisttemplate_list": WORKING | {"assoc_a"},  # associations' mutual inspections use them
    "services:visit_list": WORKING,
    "services:visit_due": WORKING,
    "services:ratings": WORKING | {"insurer_a", "assoc_a"},  # whoever reads the agency register
    # An association reads its member enterprises' hazards (hazards/roles.py).
    "hazards:hazard_list": WORKING | {"assoc_a"},
    "hazards:ledger": WORKING | {"assoc_a"},
    "hazards:statistics": WORKING | {"assoc_a"},
    "hazards:majorhazardcriterion_list": WORKING,
}


@pytest.fixture
def data(world):
    c = make_contract(world)
    t = general_template()
    v = actions.visit_record(
        actor=world.user("agency_a"),
        contract=c,
        enterprise=world["ent_a"],
        visited_at=timezone.now(),
        staff=[world["staff_a"]],
        template=t,
        results=all_ok(t),
    )
    h = hazard_actions.hazard_report(
        actor=world.user("agency_a"),
        enterprise=world["ent_a"],
        visit=v,
        location="车间",
        description="描述",
        responsible_person="李四",
    )
    return {"contract": c, "visit": v, "hazard": h}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", LISTS)
def test_list_pages(world, client_for, persona, route):
    resp = client_for(persona).get(reverse(route))
    if persona == "anon":
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")
    else:
        assert resp.status_code == (200 if persona in LISTS[route] else 403), resp.status_code


@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_pages_in_and_out_of_scope(data, client_for, persona):
    c = client_for(persona)
    expected_in = {"county", "town_a", "ent_a", "agency_a"}
    for obj in (data["contract"], data["visit"], data["hazard"]):
        resp = c.get(obj.get_absolute_url())
        if persona == "anon":
            assert resp.status_code == 302
        elif persona in expected_in or (persona == "assoc_a" and obj is data["hazard"]):  # its member's hazard
            assert resp.status_code == 200, (persona, obj)
        else:
            assert resp.status_code in (403, 404), (persona, obj, resp.status_code)


def test_contract_page_offers_state_buttons(data, client_for):
    page = client_for("agency_a").get(data["contract"].get_absolute_url()).content.decode()
    assert 'data-testid="contract-terminate"' in page and 'data-testid="record-visit"' in page
    assert 'data-testid="contract-activate"' not in page


def test_checklist_template_is_seeded_and_county_maintains_it(world, client_for):
    t = general_template()
    assert t.items.count() >= 10
    assert client_for("county").get(reverse("services:checklisttemplate_edit", args=[t.pk])).status_code == 200
    assert client_for("town_a").get(reverse("services:checklisttemplate_edit", args=[t.pk])).status_code in (403, 404)
