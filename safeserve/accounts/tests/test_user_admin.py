from django.test import Client
from django.urls import reverse

from safeserve.accounts.models import User
from safeserve.core.models import AuditLog


def _form(world, **over):
    data = {
        "username": "town_new",
        "full_name": "新镇干部",
        "role": "town",
        "town": world["town_a"].pk,
        "enterprise": world["ent_a"].credit_code,  # stale link: dropped because the role is town
        "is_active": "on",
        "new_password": "Anquan-2026-Jiashan",
    }
    data.update(over)
    return data


def test_county_creates_a_town_officer_who_can_log_in(world, client_for):
    resp = client_for("county").post(reverse("accounts:user_add"), _form(world))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    u = User.objects.get(username="town_new")
    assert u.town == world["town_a"] and u.enterprise is None
    entry = AuditLog.objects.get(action="create", object_id=str(u.pk))
    assert "password" not in entry.changes
    c = Client()
    assert c.post("/accounts/login/", {"username": "town_new", "password": "Anquan-2026-Jiashan"}).status_code == 302


def test_weak_password_and_missing_town_are_refused(world, client_for):
    resp = client_for("county").post(reverse("accounts:user_add"), _form(world, new_password="123", town=""))
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert errors["town"] == ["该角色必须关联所属单位"], errors
    assert any("至少包含" in e for e in errors["new_password"]), errors
    page = resp.content.decode()
    assert "该角色必须关联所属单位" in page and "这个密码太常见了" in page
    assert not User.objects.filter(username="town_new").exists()
