"""The writable-field rule (core.fieldperms) at each door: actions, API, forms; create and change."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from safeserve.core import actions, fieldperms
from safeserve.core.models import AuditLog
from safeserve.registry.models import Enterprise, Expert
from safeserve_dev.testkit import make_credit_code, make_id_number

OFFICERS_ONLY = {
    "risk_level": "red",
    "standardization_grade": "1",
    "status": "suspended",
    "is_hazchem": True,
    "has_major_hazard_source": True,
    "is_village_small": True,
    "size_class": "large",
    "name": "改名企业",
    "credit_code": make_credit_code(500),
}


def test_the_reported_patch_is_refused_naming_every_field_in_chinese(world, client_for):
    ent = world["ent_a"]
    before = Enterprise.objects.filter(pk=ent.pk).values().get()
    r = client_for("ent_a").patch(
        f"/api/v1/registry/enterprises/{ent.pk}/",
        {**OFFICERS_ONLY, "address": "新地址"},
        content_type="application/json",
    )
    assert r.status_code == 400
    body = r.json()
    assert set(body) == set(OFFICERS_ONLY)
    assert body["risk_level"] == ["您无权修改「风险等级」"]
    assert Enterprise.objects.filter(pk=ent.pk).values().get() == before  # nothing half-written


def test_the_enterprise_keeps_its_own_contact_data_by_patch_and_put(world, client_for):
    ent, c = world["ent_a"], client_for("ent_a")
    url = f"/api/v1/registry/enterprises/{ent.pk}/"
    assert c.patch(url, {"safety_manager": "新经理"}, content_type="application/json").status_code == 200
    # A PUT sends every field back: unchanged officers' fields are no write and pass.
    full = client_for("county").get(url).json()
    full.update(employees=33, safety_manager_phone="13800000001")
    r = c.put(url, full, content_type="application/json")
    assert r.status_code == 200, r.content
    ent.refresh_from_db()
    assert ent.safety_manager == "新经理" and ent.employees == 33


def test_the_actions_layer_refuses_on_its_own(world):
    ent = world["ent_a"]
    n = AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.update_record(actor=world.user("ent_a"), instance=ent, data={"risk_level": "red", "employees": 9})
    assert set(exc.value.error_dict) == {"risk_level"}
    ent.refresh_from_db()
    assert ent.risk_level == "blue" and ent.employees == 20 and AuditLog.objects.count() == n
    # The system (imports, jobs) and the county write everything.
    actions.update_record(actor=world.user("county"), instance=ent, data={"risk_level": "red"})
    assert Enterprise.objects.get(pk=ent.pk).risk_level == "red"


def test_an_expert_cannot_move_itself_into_the_province_pool(world, client_for):
    expert = world["expert_a"]
    c = client_for("expert_a")
    r = c.patch(f"/api/v1/registry/experts/{expert.pk}/", {"pool": "province"}, content_type="application/json")
    assert r.status_code == 400 and "pool" in r.json()
    r = c.post(reverse("registry:expert_edit", args=[expert.pk]), {"pool": "province", "specialties": "机械安全"})
    assert r.status_code == 200 and "您无权修改" in r.content.decode()
    assert Expert.objects.get(pk=expert.pk).pool == "county"


def test_a_struck_off_agency_cannot_reactivate_itself(world, client_for):
    agency = world["agency_a"]
    actions.update_record(actor=world.user("county"), instance=agency, data={"is_active": False})
    c = client_for("agency_a")
    r = c.patch(f"/api/v1/registry/agencies/{agency.pk}/", {"is_active": True}, content_type="application/json")
    assert r.status_code == 400 and "is_active" in r.json()
    r = c.post(reverse("registry:agency_edit", args=[agency.pk]), {"is_active": "on", "contact_person": "钱"})
    assert r.status_code == 200
    agency.refresh_from_db()
    assert agency.is_active is False and agency.contact_person == ""


def test_a_read_only_serializer_field_sent_is_refused_not_dropped(world, client_for):
    from safeserve_dev.services_fixtures import make_contract

    contract = make_contract(world)
    contract.status = "draft"
    contract.save()
    r = client_for("county").patch(
        f"/api/v1/services/contracts/{contract.pk}/", {"status": "terminated"}, content_type="application/json"
    )
    assert r.status_code == 400 and "status" in r.json()
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_the_form_shows_locked_fields_disabled_and_offers_no_other_choice(world, client_for):
    ent = world["ent_a"]
    page = client_for("ent_a").get(reverse("registry:enterprise_edit", args=[ent.pk])).content.decode()
    assert 'name="risk_level"' in page and "disabled" in page.split('name="risk_level"')[1].split(">")[0]
    # The locked industry select lists the current industry only, not the catalogue.
    form_industry = page.split('name="industry"')[1].split("</select>")[0]
    assert form_industry.count('<option value="') - form_industry.count('<option value=""') == 1


def test_create_and_change_differ_for_agency_staff(world, client_for):
    c = client_for("agency_a")
    r = c.post(
        "/api/v1/registry/agency-staff/",
        {
            "agency": world["agency_a"].pk,
            "name": "孙工",
            "id_number": make_id_number(55),
            "is_registered_engineer": True,
            "engineer_certificate_no": "ZA-2024-055",
            "engineer_certificate_valid_until": "2027-01-01",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content  # a new person is declared with their certificate
    url = f"/api/v1/registry/agency-staff/{r.json()['id']}/"
    r = c.patch(url, {"engineer_certificate_valid_until": "2031-01-01"}, content_type="application/json")
    assert r.status_code == 400 and "engineer_certificate_valid_until" in r.json()
    assert c.patch(url, {"phone": "13911112222"}, content_type="application/json").status_code == 200


def test_an_enterprise_registers_a_device_but_not_its_thresholds(world, client_for):
    c = client_for("ent_a")
    device = {
        "enterprise": world["ent_a"].pk,
        "code": "FP-A-0001",
        "name": "新终端",
        "place": "仓库",
        "circuit": "照明",
        "rated_current_a": 16,
    }
    r = c.post("/api/v1/iot/devices/", {**device, "residual_ma": 5000}, content_type="application/json")
    assert r.status_code == 400 and "residual_ma" in r.json()
    r = c.post("/api/v1/iot/devices/", device, content_type="application/json")
    assert r.status_code == 201, r.content
    r = c.patch(f"/api/v1/iot/devices/{r.json()['id']}/", {"is_active": False}, content_type="application/json")
    assert r.status_code == 400 and "is_active" in r.json()


def test_a_model_without_a_declaration_is_writable_by_nobody_but_the_system(world):
    from safeserve.core.models import AuditLog as Undeclared

    assert fieldperms.declaration(Undeclared) is None
    assert fieldperms.writable_fields_for(world.user("county"), Undeclared) == frozenset()
    assert "note" in fieldperms.writable_fields_for(None, Undeclared)


@pytest.mark.parametrize("kind", ["enterprise", "agency", "expert"])
def test_whoever_may_import_may_write_every_column(world, kind):
    """Imports create records: the roles allowed to import must be allowed every column (the importer
    refuses a column otherwise, so narrowing a role's create fields shows up here first)."""
    from safeserve.registry.roster_import import IMPORTERS

    importer = IMPORTERS[kind]
    opts = importer.model._meta
    for persona in ("county", "town_a", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a"):
        user = world.user(persona)
        if user.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
            columns = {c.field for c in importer.columns}
            assert columns <= fieldperms.writable_fields_for(user, importer.model), (persona, kind)
