import io

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from openpyxl import load_workbook

from safeserve.core import actions
from safeserve.core.audit import history_for
from safeserve.core.models import AuditLog
from safeserve.registry.models import AgencyStaff, Enterprise


def test_visible_to_fails_closed(world):
    norole = world.user("norole")
    assert not Enterprise.objects.visible_to(norole).exists()
    assert not Enterprise.objects.visible_to(None).exists()
    town_a = world.user("town_a")
    town_a.town = None  # a town officer without a town sees nothing, not everything
    assert not Enterprise.objects.visible_to(town_a).exists()
    town_a.refresh_from_db()
    town_a.is_active = False
    assert not Enterprise.objects.visible_to(town_a).exists()


def test_update_is_audited_with_field_diff_and_shown_on_the_page(world, client_for):
    ent = world["ent_a"]
    actions.update_record(actor=world.user("town_a"), instance=ent, data={"employees": 35, "risk_level": "yellow"})
    entry = history_for(ent).first()
    assert entry.action == "update"
    assert entry.actor == world.user("town_a")
    assert entry.changes == {"employees": [20, 35], "risk_level": ["blue", "yellow"]}
    page = client_for("county").get(reverse("registry:enterprise_detail", args=[ent.pk])).content.decode()
    assert "risk_level" in page and "blue" in page and "yellow" in page


def test_create_and_delete_are_audited(world):
    county = world.user("county")
    staff = actions.create_record(
        actor=county,
        model=AgencyStaff,
        data={"agency": world["agency_a"], "name": "新员工", "id_number": "11010519491231002X"},
    )
    assert AuditLog.objects.filter(action="create", object_id=str(staff.pk)).exists()
    pk = staff.pk
    actions.delete_record(actor=county, instance=staff)
    entry = AuditLog.objects.get(action="delete", object_id=str(pk))
    assert entry.changes["name"] == ["新员工", None]


def test_town_officer_cannot_move_an_enterprise_to_another_town(world):
    ent = world["ent_a"]
    with pytest.raises(PermissionDenied):
        actions.update_record(actor=world.user("town_a"), instance=ent, data={"town": world["town_b"], "village": None})
    ent.refresh_from_db()
    assert ent.town == world["town_a"]
    assert not AuditLog.objects.filter(object_id=str(ent.pk), action="update").exists()


def test_invalid_write_leaves_nothing_behind(world):
    from django.core.exceptions import ValidationError

    before = AuditLog.objects.count()
    with pytest.raises(ValidationError):
        actions.update_record(actor=world.user("county"), instance=world["ent_a"], data={"credit_code": "123"})
    assert AuditLog.objects.count() == before
    world["ent_a"].refresh_from_db()
    assert world["ent_a"].credit_code != "123"


def test_form_rejects_bad_credit_code_with_reason(world, client_for):
    c = client_for("town_a")
    resp = c.post(
        reverse("registry:enterprise_add"),
        {
            "credit_code": "914403001922038217",
            "name": "测试企业",
            "address": "罗星街道",
            "town": world["town_a"].pk,
            "industry": world["industry"].pk,
            "size_class": "micro",
            "employees": "3",
            "risk_level": "blue",
            "standardization_grade": "none",
            "legal_representative": "张三",
            "status": "active",
        },
    )
    assert resp.status_code == 200
    assert "校验位错误" in resp.content.decode()
    assert not Enterprise.objects.filter(name="测试企业").exists()


def test_full_width_input_is_normalised(world, client_for):
    c = client_for("town_a")
    resp = c.post(
        reverse("registry:enterprise_add"),
        {
            "credit_code": " ９１４４０３００１９２２０３８２１６ ",
            "name": "  全角企业\u3000有限公司 ",
            "address": "罗星街道１号",
            "town": world["town_a"].pk,
            "industry": world["industry"].pk,
            "size_class": "micro",
            "employees": "３",
            "risk_level": "blue",
            "standardization_grade": "none",
            "legal_representative": "张三",
            "status": "active",
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    ent = Enterprise.objects.get(credit_code="914403001922038216")
    assert ent.name == "全角企业 有限公司"
    assert ent.employees == 3


def _export_rows(resp):
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True)
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


def test_personal_data_masked_on_every_surface(world, client_for):
    staff = world["staff_a"]
    # Town officers see agency staff, but not their ID numbers or phones.
    town = client_for("town_a")
    page = town.get(reverse("registry:agencystaff_detail", args=[staff.pk])).content.decode()
    assert staff.id_number not in page and staff.id_number[:6] + "********" in page
    api = town.get(f"/api/v1/registry/agency-staff/{staff.pk}/").json()
    assert api["id_number"] != staff.id_number and api["phone"] == "137****0001"
    rows = _export_rows(town.get(reverse("registry:agencystaff_export")))
    assert not any(staff.id_number in map(str, row) for row in rows)
    # The agency reaches its own staff by phone, but their ID numbers stay masked (only the county checks them).
    own = client_for("agency_a")
    page = own.get(reverse("registry:agencystaff_detail", args=[staff.pk])).content.decode()
    assert staff.id_number not in page and staff.id_number[:6] + "********" in page
    api = own.get(f"/api/v1/registry/agency-staff/{staff.pk}/").json()
    assert api["id_number"] != staff.id_number and api["phone"] == staff.phone


def test_qualification_expiry_flag_shows_on_agency_pages(world, client_for):
    c = client_for("county")
    page = c.get(reverse("registry:agency_list")).content.decode()
    assert "即将到期" in page  # agency_b's qualification expires in 30 days
    page = c.get(reverse("registry:agency_detail", args=[world["agency_b"].pk])).content.decode()
    assert "即将到期" in page
