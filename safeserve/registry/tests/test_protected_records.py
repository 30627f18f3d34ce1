"""Nothing a signed visit or a hazard's history names can be deleted (issue 8 item 7).

A visit's hash covers its staff, agency, contract, enterprise, checklist and results; a hazard's
history names its actors. Deleting any of them is refused on every door (page, API, ORM) with a
Chinese message, never a 500, and ``manage.py verify_records`` still passes afterwards. People who
leave are deactivated (``is_active`` off, ``left_on``), audited.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from safeserve.accounts.models import User
from safeserve.core.models import AuditLog
from safeserve.hazards import actions as hazard_actions
from safeserve.registry.models import Agency, AgencyStaff, Enterprise
from safeserve.services import actions
from safeserve.services.models import ChecklistItem, ChecklistTemplate, ServiceVisit
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    contract = make_contract(world)
    contract.staff.clear()  # so that only the visit names staff_a (ContractStaff is tested on its own)
    t = general_template()
    return actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=world["ent_a"],
        visited_at=timezone.now() - timedelta(hours=1),
        staff=[world["staff_a"]],
        template=t,
        results=all_ok(t),
        signed_by="李四",
    )


def _chain_ok():
    out = StringIO()
    call_command("verify_records", stdout=out)  # raises CommandError when a record fails
    return "0 broken" in out.getvalue()


@pytest.mark.parametrize("persona", ["agency_a", "county"])
def test_api_delete_of_staff_on_a_visit_is_refused(world, client_for, visit, persona):
    staff = world["staff_a"]
    resp = client_for(persona).delete(f"/api/v1/registry/agency-staff/{staff.pk}/")
    assert resp.status_code == 409
    assert "无法删除" in resp.json()["detail"] and "服务记录到场人员" in resp.json()["detail"]
    assert "合同指派人员" not in resp.json()["detail"]
    assert AgencyStaff.objects.filter(pk=staff.pk).exists()
    assert list(visit.staff.all()) == [staff]
    assert _chain_ok()


def test_page_delete_of_staff_on_a_visit_is_refused(world, client_for, visit):
    staff = world["staff_a"]
    resp = client_for("agency_a").post(reverse("registry:agencystaff_delete", args=[staff.pk]), follow=True)
    assert resp.status_code == 200
    assert "无法删除" in resp.content.decode()
    assert AgencyStaff.objects.filter(pk=staff.pk).exists()
    assert _chain_ok()


def test_orm_delete_of_staff_on_a_visit_is_refused(world, visit):
    with pytest.raises(ProtectedError):
        world["staff_a"].delete()
    with pytest.raises(ProtectedError):
        AgencyStaff.objects.filter(pk=world["staff_a"].pk).delete()
    assert _chain_ok()


def test_staff_on_a_contract_only_is_protected_too(world, client_for):
    make_contract(world)  # assigns staff_a
    resp = client_for("county").delete(f"/api/v1/registry/agency-staff/{world['staff_a'].pk}/")
    assert resp.status_code == 409 and "合同指派人员" in resp.json()["detail"]


def test_staff_on_nothing_can_still_be_deleted(world, client_for):
    assert client_for("county").delete(f"/api/v1/registry/agency-staff/{world['staff_b'].pk}/").status_code == 204


def test_deactivate_through_api_is_audited_and_blocks_new_visits(world, client_for, visit):
    staff = world["staff_a"]
    day = timezone.localdate() - timedelta(days=1)
    resp = client_for("agency_a").post(
        f"/api/v1/registry/agency-staff/{staff.pk}/deactivate/",
        {"left_on": day.isoformat()},
        content_type="application/json",
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["is_active"] is False and resp.json()["left_on"] == day.isoformat()
    staff.refresh_from_db()
    assert (staff.is_active, staff.left_on) == (False, day)
    log = AuditLog.objects.filter(object_id=str(staff.pk), content_type__model="agencystaff").first()
    assert log.changes["is_active"] == [True, False] and log.actor_name == "agency_a"
    assert list(visit.staff.all()) == [staff] and _chain_ok()
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.visit_record(
            actor=world.user("agency_a"),
            contract=visit.contract,
            enterprise=world["ent_a"],
            visited_at=timezone.now() - timedelta(minutes=5),
            staff=[staff],
        )


def test_deactivate_through_page(world, client_for, visit):
    staff = world["staff_a"]
    resp = client_for("agency_a").post(reverse("registry:agencystaff_deactivate", args=[staff.pk]), follow=True)
    assert resp.status_code == 200 and "已办理离职" in resp.content.decode()
    staff.refresh_from_db()
    assert staff.is_active is False and staff.left_on == timezone.localdate()
    bad = client_for("agency_a").post(
        reverse("registry:agencystaff_deactivate", args=[staff.pk]), {"left_on": "9999-99-99"}, follow=True
    )
    assert "离职日期无效" in bad.content.decode()


def test_other_roles_cannot_deactivate(world, client_for, visit):
    staff = world["staff_a"]
    assert client_for("town_a").post(f"/api/v1/registry/agency-staff/{staff.pk}/deactivate/").status_code in (403, 404)
    assert client_for("ent_a").post(f"/api/v1/registry/agency-staff/{staff.pk}/deactivate/").status_code in (403, 404)
    staff.refresh_from_db()
    assert staff.is_active


def test_agency_enterprise_contract_and_template_of_a_visit_cannot_be_deleted(world, client_for, visit):
    county = client_for("county")
    for url in (
        f"/api/v1/registry/agencies/{world['agency_a'].pk}/",
        f"/api/v1/registry/enterprises/{world['ent_a'].pk}/",
        f"/api/v1/services/checklist-templates/{visit.template_id}/",
        f"/api/v1/services/checklist-items/{visit.results.first().item_id}/",
    ):
        resp = county.delete(url)
        assert resp.status_code == 409, (url, resp.status_code)
        assert "无法删除" in resp.json()["detail"]
    assert Agency.objects.filter(pk=world["agency_a"].pk).exists()
    assert Enterprise.objects.filter(pk=world["ent_a"].pk).exists()
    assert ChecklistTemplate.objects.filter(pk=visit.template_id).exists()
    assert ChecklistItem.objects.filter(template_id=visit.template_id).count() == len(all_ok(general_template()))
    with pytest.raises(ProtectedError):
        visit.contract.delete()
    resp = county.post(reverse("registry:agency_delete", args=[world["agency_a"].pk]), follow=True)
    assert resp.status_code == 200 and "无法删除" in resp.content.decode()
    assert ServiceVisit.objects.filter(pk=visit.pk).exists() and _chain_ok()


def test_users_who_recorded_or_acted_are_not_deleted(world, client_for, visit):
    hazard_actions.hazard_report(
        actor=world.user("town_a"),
        enterprise=world["ent_a"],
        location="仓库",
        description="通道堵塞",
        responsible_person="张三",
    )
    county = client_for("county")
    for persona in ("agency_a", "town_a"):
        user = world.user(persona)
        resp = county.post(reverse("accounts:user_delete", args=[user.pk]), follow=True)
        assert resp.status_code == 200 and "无法删除" in resp.content.decode(), persona
        assert User.objects.filter(pk=user.pk).exists()
    with pytest.raises(ProtectedError):
        world.user("agency_a").delete()
    visit.refresh_from_db()
    assert visit.recorded_by_id == world.user("agency_a").pk and _chain_ok()


def test_checklist_item_on_a_signed_visit_keeps_its_wording(world, client_for, visit):
    item = visit.results.first().item
    county = client_for("county")
    resp = county.patch(
        f"/api/v1/services/checklist-items/{item.pk}/", {"text": "改过的检查内容"}, content_type="application/json"
    )
    assert resp.status_code == 400 and "已用于服务记录" in str(resp.json())
    resp = county.post(
        reverse("services:checklistitem_edit", args=[item.pk]),
        {"template": item.template_id, "order": item.order, "category": item.category, "text": "改过的检查内容"},
    )
    assert resp.status_code == 200 and "已用于服务记录" in resp.content.decode()
    item.refresh_from_db()
    assert item.text != "改过的检查内容"
    # the order may change; unused items may be reworded
    resp = county.patch(f"/api/v1/services/checklist-items/{item.pk}/", {"order": 99}, content_type="application/json")
    assert resp.status_code == 200
    unused = ChecklistItem.objects.create(template=item.template, order=100, category="其他", text="新项")
    resp = county.patch(
        f"/api/v1/services/checklist-items/{unused.pk}/", {"text": "新项2"}, content_type="application/json"
    )
    assert resp.status_code == 200 and _chain_ok()
