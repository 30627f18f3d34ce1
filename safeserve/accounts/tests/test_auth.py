import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from safeserve_dev.testkit import PASSWORD


def _login(c, username, password):
    return c.post("/accounts/login/", {"username": username, "password": password})


def test_login_works_and_lands_on_home(world):
    c = Client()
    resp = _login(c, "town_a", PASSWORD)
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert "工作台" in c.get("/").content.decode()


def test_repeated_failures_lock_the_account_even_with_the_right_password(world):
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(c, "town_a", "wrong-password")
    resp = _login(c, "town_a", PASSWORD)
    assert resp.status_code == 429
    assert "临时锁定" in resp.content.decode()
    assert "_auth_user_id" not in c.session
    # Another user is not affected.
    assert _login(Client(), "town_b", PASSWORD).status_code == 302


@pytest.mark.parametrize("weak", ["short1A!", "abcdefghijkl", "1234567890123", "password12345"])
def test_weak_passwords_are_rejected(weak):
    with pytest.raises(ValidationError):
        validate_password(weak)


def test_strong_password_is_accepted():
    validate_password("Anquan-2026-Jiashan")


def test_sessions_expire(world):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    c = Client()
    _login(c, "town_a", PASSWORD)
    c.session.set_expiry(-1)  # an expired session is a logged-out session
    session = c.session
    session.set_expiry(-1)
    session.save()
    resp = c.get("/registry/enterprises/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_forged_form_without_csrf_token_is_refused(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.user("town_a"))
    resp = c.post(f"/registry/enterprises/{world['ent_a'].pk}/edit/", {"name": "伪造"})
    assert resp.status_code == 403
    world["ent_a"].refresh_from_db()
    assert world["ent_a"].name != "伪造"


def test_demo_accounts_are_refused_when_debug_is_off(world, settings):
    from safeserve.accounts.models import User

    u = User(username="demo_town", role="town", town=world["town_a"])
    u.set_password(PASSWORD)
    u.save()
    settings.DEBUG = False
    resp = _login(Client(), "demo_town", PASSWORD)
    assert resp.status_code == 200 and "演示账号" in resp.content.decode()
    settings.DEBUG = True
    assert _login(Client(), "demo_town", PASSWORD).status_code == 302


def test_enterprise_user_cannot_change_its_own_town_or_risk_level(world, client_for):
    ent = world["ent_a"]
    resp = client_for("ent_a").post(
        f"/registry/enterprises/{ent.pk}/edit/",
        {
            "credit_code": ent.credit_code,
            "name": "改名企业",
            "address": "新地址1号",
            "town": world["town_b"].pk,
            "industry": ent.industry_id,
            "size_class": "micro",
            "employees": "12",
            "risk_level": "blue",
            "standardization_grade": "1",
            "legal_representative": "张三",
            "status": "active",
        },
    )
    # A forged value for an officers' field is refused with an error, and nothing is saved.
    assert resp.status_code == 200 and "您无权修改" in resp.content.decode()
    ent.refresh_from_db()
    assert ent.address != "新地址1号" and ent.town == world["town_a"] and ent.name != "改名企业"
    assert ent.standardization_grade == "none"
    own = {"address": "新地址1号", "employees": "12", "legal_representative": "张三"}
    assert client_for("ent_a").post(f"/registry/enterprises/{ent.pk}/edit/", own).status_code == 302
    ent.refresh_from_db()
    assert ent.address == "新地址1号" and ent.employees == 12  # its own contact data
