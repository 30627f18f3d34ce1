"""Cached public pages answered before the session stack (safeserve.market.public, ADR 0039): the same
bytes and headers as the full path, one language never served to another, a signed-in user through the
whole stack, and only GET/HEAD of pages marked ``public_page`` without cookies ever answered early."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path

from safeserve.core.middleware import csp_header_value
from safeserve.market.public import public_page
from safeserve_dev.testkit import build_world

pytestmark = pytest.mark.django_db
SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


@pytest.fixture(autouse=True)
def cached(settings):
    settings.SAFESERVE_MARKET = {**settings.SAFESERVE_MARKET, "PORTAL_CACHE_SECONDS": 60}


@pytest.fixture
def world():
    w = build_world()
    for key in ("agency_a", "agency_b"):
        w[key].service_types = ["consulting"]
        w[key].save()
    return w


def answered_early(response) -> bool:
    """The fast path answered: the session and authentication middleware never saw the request."""
    return not hasattr(response.wsgi_request, "session") and not hasattr(response.wsgi_request, "user")


@pytest.mark.parametrize("url", ["/portal/", "/portal/agencies/", "/portal/agencies/?sort=served", "/portal/cases/"])
def test_a_cached_page_is_answered_early_with_the_same_bytes_and_headers(world, url, settings):
    reader = Client()
    full = reader.get(url)
    assert full.status_code == 200 and not answered_early(full)
    with CaptureQueriesContext(connection) as ctx:
        fast = reader.get(url)
    assert answered_early(fast) and len(ctx.captured_queries) == 0
    assert fast.status_code == 200 and fast.content == full.content
    assert dict(fast.headers) == dict(full.headers)
    for name in (*SECURITY_HEADERS, "Cache-Control", "Content-Type", "Content-Language", "Vary"):
        assert fast[name], name
    assert fast["Cache-Control"] == "public, max-age=60" and fast["X-Frame-Options"] == "DENY"
    assert fast["Content-Security-Policy"] == csp_header_value(settings.SAFESERVE_CSP)
    assert not fast.cookies
    head = reader.head(url)
    assert answered_early(head) and head.status_code == 200 and head["Content-Type"] == full["Content-Type"]


def test_query_strings_are_separate_pages(world):
    reader = Client()
    plain = reader.get("/portal/agencies/").content
    filtered = reader.get("/portal/agencies/?service_type=evaluation")
    assert not answered_early(filtered) and filtered.content != plain
    assert reader.get("/portal/agencies/?service_type=evaluation").content == filtered.content


@pytest.mark.parametrize(
    "first, second",
    [
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, {}),
        ({}, {"HTTP_ACCEPT_LANGUAGE": "en"}),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}, {"HTTP_COOKIE": "django_language=en"}),
        (
            {"HTTP_COOKIE": "django_language=en"},
            {"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "django_language=zh-hans"},
        ),
    ],
)
def test_a_page_cached_in_one_language_is_never_served_in_another(world, first, second):
    def lang(headers):
        html = Client().get("/portal/", **headers)
        return html["Content-Language"], html.content.decode().split('<html lang="')[1].split('"')[0]

    def expected(headers):
        cookie = headers.get("HTTP_COOKIE", "")
        if "django_language=" in cookie:
            return cookie.split("django_language=")[1]
        return "en" if headers.get("HTTP_ACCEPT_LANGUAGE", "").startswith("en") else "zh-hans"

    for headers in (first, second, first, second):  # the second and later answers come from the cache
        assert lang(headers) == (expected(headers), expected(headers)), headers


def test_a_signed_in_user_goes_through_the_whole_stack_and_sees_the_same_page(world, client_for):
    anonymous = Client().get("/portal/")
    stored = len(caches["portal"]._cache)
    officer = client_for("county")
    for _ in range(2):
        page = officer.get("/portal/")
        assert not answered_early(page) and page.wsgi_request.user.is_authenticated
        assert page.content == anonymous.content  # no per-user content on public pages
        assert "sessionid" in page.cookies  # the session is kept alive as on every other page
    assert len(caches["portal"]._cache) == stored  # nothing the signed-in user saw was stored whole


def test_a_post_and_other_methods_are_never_answered_early(world):
    reader = Client(enforce_csrf_checks=True)
    reader.get("/portal/")
    assert answered_early(reader.get("/portal/"))
    posted = reader.post("/portal/")
    assert posted.status_code == 403 and not answered_early(posted)  # CSRF ran: the whole stack
    assert not answered_early(reader.options("/portal/"))


def test_a_page_not_marked_public_is_never_answered_early(world):
    reader = Client()
    pages = caches["portal"]
    for url in ("/accounts/login/", "/portal/cases/1/photo/", "/portal/lang/en/", "/market/cases/"):
        pages.set(f"market:response:zh-hans:{url}", (b"planted", [("Content-Type", "text/plain")]), 60)
        response = reader.get(url)
        assert b"planted" not in response.content and not answered_early(response), url
    login = reader.get("/accounts/login/")
    assert "csrftoken" in login.cookies  # the login form's token: the whole stack


def test_a_request_with_a_session_or_messages_cookie_is_not_answered_early(world):
    Client().get("/portal/")
    for cookie in ("sessionid=abc", "messages=xyz", "sessionid=abc; django_language=en"):
        assert not answered_early(Client().get("/portal/", HTTP_COOKIE=cookie)), cookie
    assert answered_early(Client().get("/portal/", HTTP_COOKIE="csrftoken=abcdefghijklmnopqrstuvwxyz012345"))


def test_a_host_outside_allowed_hosts_is_refused_on_the_fast_path_too(world, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    Client().get("/portal/")
    assert Client().get("/portal/", HTTP_HOST="evil.example").status_code == 400


# A public page that sets a cookie (here the CSRF token a form would carry) is never cached whole.
RENDERS = []


@public_page
def page_with_a_token(request):
    RENDERS.append(1)
    return HttpResponse(f"token {get_token(request)}")


urlpatterns = [path("tokened/", page_with_a_token)]


@pytest.mark.urls(__name__)
def test_a_public_page_that_sets_a_cookie_is_never_cached():
    RENDERS.clear()
    reader = Client()
    first, second = reader.get("/tokened/"), Client().get("/tokened/")
    assert "csrftoken" in first.cookies and "csrftoken" in second.cookies
    assert len(RENDERS) == 2 and first.content != second.content
    assert not any("tokened" in key for key in caches["portal"]._cache)
