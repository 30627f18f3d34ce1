"""Demo accounts are refused at every door when DEBUG is off (issue 8, item 3)."""

import base64

import pytest
from django.test import Client

from safeserve.accounts.demo import DEMO_PASSWORD
from safeserve_dev.registry_seed import DEMO_ACCOUNTS, ensure_demo_accounts

DEMO_USERNAMES = [row[0] for row in DEMO_ACCOUNTS]
API = "/api/v1/registry/industries/"  # readable by every role
PAGE = "/"


@pytest.fixture
def demo(world, settings):
    settings.DEBUG = True
    created = ensure_demo_accounts()
    assert sorted(u.username for u in created) == sorted(DEMO_USERNAMES)
    return {u.username: u for u in created}


def _basic(username):
    token = base64.b64encode(f"{username}:{DEMO_PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def _login(client, username):
    return client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_account_works_at_every_door_in_debug(demo, settings, username):
    settings.DEBUG = True
    c = Client()
    assert _login(c, username).status_code == 302
    assert c.get(PAGE).status_code == 200
    assert Client().get(API, **_basic(username)).status_code == 200


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_account_is_refused_at_every_door_without_debug(demo, settings, username):
    settings.DEBUG = False
    c = Client()
    resp = _login(c, username)
    assert resp.status_code == 200 and "演示账号仅在演示环境" in resp.content.decode()
    assert "_auth_user_id" not in c.session
    resp = Client().get(API, **_basic(username))
    assert resp.status_code == 401 and resp.json()["detail"] == "用户名或者密码错误。"
    assert resp["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_open_demo_session_stops_working_when_debug_is_off(demo, settings, username):
    settings.DEBUG = True
    c = Client()
    assert _login(c, username).status_code == 302
    forced = Client()
    forced.force_login(demo[username])
    settings.DEBUG = False
    for client in (c, forced):
        resp = client.get(PAGE)
        assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
        assert client.get(API).status_code == 401


def test_other_accounts_still_sign_in_without_debug(world, settings):
    from safeserve_dev.testkit import PASSWORD

    settings.DEBUG = False
    c = Client()
    assert c.post("/accounts/login/", {"username": "town_a", "password": PASSWORD}).status_code == 302
    assert c.get(PAGE).status_code == 200
    token = base64.b64encode(f"town_a:{PASSWORD}".encode()).decode()
    assert Client().get(API, HTTP_AUTHORIZATION=f"Basic {token}").status_code == 200
