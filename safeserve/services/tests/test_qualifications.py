"""Agency qualifications and staff certificates when a visit is recorded (issue 8 item 12).

Docs: decisions/0014-related-rows-and-qualifications.md.
1. A contract item of a licensed kind (安全评价, 检测检验, 职业卫生) needs the agency's qualification of
   that service type, valid on the visit day; an agency struck off the register records nothing.
2. An agency cannot change the number or validity of a declared certificate or qualification
   (core.fieldperms, registry.roles.WRITABLE_FIELDS); a renewal is a new entry, and whatever the agency
   itself enters counts only once the county has confirmed it (registry.actions).
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.core.models import AuditLog
from safeserve.registry.models import AgencyQualification, AgencyStaff
from safeserve.services import actions, chain
from safeserve.services.models import ServiceContract
from safeserve_dev.services_fixtures import make_contract
from safeserve_dev.testkit import earlier_today, make_id_number

pytestmark = pytest.mark.django_db


def _record(world, contract, staff=None, when=None):
    return actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=world["ent_a"],
        visited_at=when or earlier_today(hours=1),
        staff=staff or [world["staff_a"]],
    )


@pytest.fixture
def evaluation(world):
    c = make_contract(world, number="PJ-001")
    ServiceContract.objects.filter(pk=c.pk).update(items=["hazard", "evaluation"])
    c.refresh_from_db()
    return c


# ------------------------------------------------------------------ 1. agency qualification


def test_licensed_item_without_qualification_of_that_type_is_refused(world, evaluation):
    # qual_a is named 安全评价 but records no service type: it licenses nothing
    with pytest.raises(ValidationError) as exc:
        _record(world, evaluation)
    assert "安全评价" in str(exc.value) and "资质" in str(exc.value)
    AgencyQualification.objects.filter(pk=world["qual_a"].pk).update(service_type="evaluation")
    assert _record(world, evaluation).seq == 1


def test_expired_qualification_is_refused_on_the_visit_day(world, evaluation):
    today = timezone.localdate()
    AgencyQualification.objects.filter(pk=world["qual_a"].pk).update(
        service_type="evaluation", valid_until=today - timedelta(days=2)
    )
    with pytest.raises(ValidationError):
        _record(world, evaluation)
    # a visit on a day the qualification was still valid is accepted
    visit = _record(world, evaluation, when=timezone.now() - timedelta(days=3))
    assert visit.seq == 1 and chain.verify_all().ok


def test_unlicensed_items_need_no_qualification(world):
    AgencyQualification.objects.all().delete()
    assert _record(world, make_contract(world)).seq == 1  # items: hazard, training


def test_struck_off_agency_records_nothing(world):
    contract = make_contract(world)
    world["agency_a"].__class__.objects.filter(pk=world["agency_a"].pk).update(is_active=False)
    with pytest.raises(PermissionDenied):
        _record(world, contract)


def test_agency_renewing_its_own_qualification_waits_for_the_county(world, client_for, evaluation):
    today = timezone.localdate()
    q = world["qual_a"]
    AgencyQualification.objects.filter(pk=q.pk).update(service_type="evaluation", valid_until=today - timedelta(days=1))
    agency = client_for("agency_a")
    # the expired one cannot be extended by the agency ...
    resp = agency.patch(
        f"/api/v1/registry/agency-qualifications/{q.pk}/",
        {"valid_until": (today + timedelta(days=900)).isoformat()},
        content_type="application/json",
    )
    assert resp.status_code == 400
    q.refresh_from_db()
    assert q.valid_until == today - timedelta(days=1)
    # ... a renewal is a new entry, pending until the county confirms it
    resp = agency.post(
        "/api/v1/registry/agency-qualifications/",
        {
            "agency": world["agency_a"].pk,
            "name": "安全评价机构资质（换证）",
            "number": "APJ-002",
            "issuer": "浙江省应急管理厅",
            "service_type": "evaluation",
            "valid_until": (today + timedelta(days=900)).isoformat(),
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    new = resp.json()
    assert new["verified"] is False
    with pytest.raises(ValidationError, match="核验"):
        _record(world, evaluation)
    # the agency cannot confirm its own entry
    assert agency.post(f"/api/v1/registry/agency-qualifications/{new['id']}/confirm/").status_code == 403
    resp = client_for("county").post(f"/api/v1/registry/agency-qualifications/{new['id']}/confirm/")
    assert resp.status_code == 200 and resp.json()["verified"] is True
    assert AuditLog.objects.filter(content_type__model="agencyqualification", object_id=str(new["id"])).count() == 2
    assert _record(world, evaluation).seq == 1


# ------------------------------------------------------------------ 2. staff certificates


def _expired_engineer(world, days_ago=10):
    return AgencyStaff.objects.create(
        agency=world["agency_a"],
        name="孙工",
        id_number=make_id_number(7),
        is_registered_engineer=True,
        engineer_certificate_no="ZA-2019-007",
        engineer_certificate_valid_until=timezone.localdate() - timedelta(days=days_ago),
    )


def test_agency_cannot_extend_an_expired_certificate_county_can(world, client_for):
    contract = make_contract(world)
    person = _expired_engineer(world)
    later = (timezone.localdate() + timedelta(days=1000)).isoformat()
    url = f"/api/v1/registry/agency-staff/{person.pk}/"
    for change in ({"engineer_certificate_valid_until": later}, {"engineer_certificate_no": "ZA-2099-999"}):
        assert client_for("agency_a").patch(url, change, content_type="application/json").status_code == 400
    with pytest.raises(ValidationError, match="没有有效的执业资格"):
        _record(world, contract, staff=[person])
    resp = client_for("county").patch(url, {"engineer_certificate_valid_until": later}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["certificate_verified"] is True
    assert _record(world, contract, staff=[person]).seq == 1


def test_agency_change_hook_keeps_the_confirmed_validity():
    """Should an agency ever change a certificate (the field rules forbid it today), it waits for the
    county, and an early renewal keeps the validity the county confirmed."""
    from datetime import date

    from safeserve.accounts.choices import Role
    from safeserve.registry.actions import prepare_staff

    agency = type("U", (), {"is_superuser": False, "role": Role.AGENCY})()
    day = date(2027, 1, 1)
    old = AgencyStaff(is_registered_engineer=True, engineer_certificate_no="ZA-1", engineer_certificate_valid_until=day)
    new = AgencyStaff(
        is_registered_engineer=True, engineer_certificate_no="ZA-1", engineer_certificate_valid_until=date(2030, 1, 1)
    )
    prepare_staff(actor=agency, previous=old, instance=new)
    assert (new.certificate_verified, new.certificate_verified_until) == (False, day)
    assert new.is_qualified_on(day) and not new.is_qualified_on(date(2027, 1, 2))
    other = AgencyStaff(
        is_registered_engineer=True, engineer_certificate_no="ZA-2", engineer_certificate_valid_until=day
    )
    prepare_staff(actor=agency, previous=old, instance=other)
    assert (other.certificate_verified, other.certificate_verified_until) == (False, None)


def test_agency_new_engineer_is_pending_county_new_engineer_is_confirmed(world, client_for):
    body = {
        "agency": world["agency_a"].pk,
        "name": "吴工",
        "id_number": make_id_number(8),
        "is_registered_engineer": True,
        "engineer_certificate_no": "ZA-2024-008",
        "engineer_certificate_valid_until": (timezone.localdate() + timedelta(days=400)).isoformat(),
    }
    resp = client_for("agency_a").post("/api/v1/registry/agency-staff/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["certificate_verified"] is False
    body["id_number"] = make_id_number(9)
    resp = client_for("county").post("/api/v1/registry/agency-staff/", body, content_type="application/json")
    assert resp.status_code == 201 and resp.json()["certificate_verified"] is True


def test_other_edits_do_not_touch_the_confirmation(world, client_for):
    staff = world["staff_a"]
    client_for("agency_a").patch(
        f"/api/v1/registry/agency-staff/{staff.pk}/", {"title": "项目负责人"}, content_type="application/json"
    )
    staff.refresh_from_db()
    assert staff.certificate_verified is True and staff.title == "项目负责人"


def test_confirmation_fields_are_not_writable(world, client_for):
    person = _expired_engineer(world)
    AgencyStaff.objects.filter(pk=person.pk).update(certificate_verified=False)
    client_for("agency_a").patch(
        f"/api/v1/registry/agency-staff/{person.pk}/",
        {"certificate_verified": True, "certificate_verified_until": "2099-01-01"},
        content_type="application/json",
    )
    person.refresh_from_db()
    assert person.certificate_verified is False and person.certificate_verified_until is None


def test_county_confirms_through_the_page(world, client_for):
    person = _expired_engineer(world)
    AgencyStaff.objects.filter(pk=person.pk).update(certificate_verified=False)
    page = client_for("county").get(person.get_absolute_url()).content.decode()
    assert 'data-testid="confirm-certificate"' in page
    agency_page = client_for("agency_a").get(person.get_absolute_url()).content.decode()
    assert 'data-testid="pending-confirmation"' in agency_page
    resp = client_for("agency_a").post(f"/registry/confirm/agencystaff/{person.pk}/", follow=True)
    person.refresh_from_db()
    assert person.certificate_verified is False and resp.status_code in (200, 404)
    client_for("county").post(f"/registry/confirm/agencystaff/{person.pk}/")
    person.refresh_from_db()
    assert person.certificate_verified is True
