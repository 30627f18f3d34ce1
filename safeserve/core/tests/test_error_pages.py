"""400/403/404/500 are the project's Chinese pages, in production (DEBUG off) and in the demo (DEBUG on):
Django's technical pages, with their URL lists, settings and tracebacks, never reach a user."""

import pytest
from django.test import Client

from safeserve.core.middleware import TECHNICAL_PAGE_MARK

PAGES = {
    "/__test__/suspicious/": (400, "请求无效"),
    "/__test__/denied/": (403, "您没有该操作的权限"),
    "/no/such/page/": (404, "未找到该页面或记录"),
    "/__test__/boom/": (500, "服务器出错了"),
}


@pytest.fixture
def error_urls(settings):
    settings.ROOT_URLCONF = "safeserve.core.tests.error_urls"
    return settings


def fetch_all(client):
    return {url: client.get(url) for url in PAGES}


def assert_friendly(responses):
    for url, (status, text) in PAGES.items():
        response = responses[url]
        html = response.content.decode()
        assert response.status_code == status, url
        assert text in html and 'data-testid="error-page"' in html, url
        assert '<html lang="zh-hans">' in html, url
        assert TECHNICAL_PAGE_MARK.decode() not in html and "Traceback" not in html, url
        assert "secret internals" not in html and "urlpatterns" not in html.lower(), url


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "demo"])
def test_error_pages_are_chinese_and_friendly(error_urls, debug, world):
    error_urls.DEBUG = debug
    client = Client(raise_request_exception=False)
    client.force_login(world.users["town_a"])
    assert_friendly(fetch_all(client))
    # signed out too (400 and 500 pages render without a request: no menu, no user)
    anonymous = Client(raise_request_exception=False)
    assert_friendly(fetch_all(anonymous) | {"/__test__/denied/": client.get("/__test__/denied/")})


@pytest.mark.django_db
def test_developers_may_ask_for_the_technical_pages(error_urls):
    error_urls.DEBUG = True
    error_urls.SAFESERVE_DEBUG_ERROR_PAGES = True
    response = Client(raise_request_exception=False).get("/no/such/page/")
    assert response.status_code == 404
    assert TECHNICAL_PAGE_MARK in response.content
