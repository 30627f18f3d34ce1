"""Idle sessions (safeserve.accounts.sessions): the session row is written when it changed or once a
SAFESERVE_SESSION_TOUCH_SECONDS, not on every request, and a session idle for SESSION_COOKIE_AGE ends."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def session_writes(ctx) -> int:
    return sum(
        1
        for q in ctx.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def expiry(client) -> object:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_pages_within_a_minute_do_not_write_the_session_row(world, settings):
    c = Client()
    c.force_login(world.user("town_a"))
    c.get(reverse("home"))  # the first page after login marks the session
    before = expiry(c)
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert c.get(reverse("home")).status_code == 200
    assert session_writes(ctx) == 0
    assert expiry(c) == before


def test_after_a_minute_the_next_page_moves_the_idle_clock_on(world, settings):
    c = Client()
    c.force_login(world.user("town_a"))
    c.get(reverse("home"))
    before = expiry(c)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.SAFESERVE_SESSION_TOUCH_SECONDS + 1)):
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("home")).status_code == 200
        assert session_writes(ctx) == 1
        assert expiry(c) > before


def test_a_session_idle_for_the_whole_age_ends_and_one_in_use_does_not(world, settings):
    idle, busy = Client(), Client()
    for c in (idle, busy):
        c.force_login(world.user("town_a"))
        c.get(reverse("home"))
    start = timezone.now()
    step = timedelta(seconds=settings.SESSION_COOKIE_AGE // 4)
    for i in range(1, 5):  # busy works through the whole age, a page every quarter of it
        with time_machine.travel(start + i * step - timedelta(seconds=5)):
            assert busy.get(reverse("home")).status_code == 200
    with time_machine.travel(start + timedelta(seconds=settings.SESSION_COOKIE_AGE + 5)):
        assert busy.get(reverse("home")).status_code == 200
        response = idle.get(reverse("home"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_an_anonymous_page_and_an_expired_cookie_store_no_session():
    response = Client().get("/healthz")
    assert "sessionid" not in response.cookies
    stale = Client()
    stale.cookies["sessionid"] = "x" * 32  # a session that no longer exists
    stale.get(reverse("login"))
    assert not Session.objects.exists()
