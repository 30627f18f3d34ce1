"""Rate limits of the HTTP telemetry door: per device (accepted requests) and per client address (refusals)."""

import json

import pytest
from django.test import Client, override_settings

from safeserve.iot.models import DeadLetter, Reading
from safeserve.iot.throttling import SlidingWindow

from .conftest import now_ms

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry"


def post(code, secret, values, ts=None, ip="127.0.0.1"):
    body = {"values": values} if ts is None else {"ts": ts, "values": values}
    return Client(REMOTE_ADDR=ip).post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        HTTP_X_DEVICE_CODE=code,
        HTTP_X_DEVICE_SECRET=secret,
    )


@pytest.fixture
def limits(settings):
    def set_(per_device=120, refused=60):
        settings.SAFESERVE_IOT = {
            **settings.SAFESERVE_IOT,
            "HTTP_MAX_REQUESTS_PER_MINUTE": per_device,
            "HTTP_MAX_REFUSED_PER_MINUTE": refused,
        }

    return set_


def assert_rate_limited(r):
    assert r.status_code == 429, r.content
    assert int(r.headers["Retry-After"]) >= 1
    body = r.json()
    assert body["error"] == "rate_limited" and "秒后重试" in body["detail"]


def test_a_device_over_its_budget_gets_429_and_its_reading_is_not_stored(world, limits):
    limits(per_device=3)
    a, b = world["device_a"], world["device_b"]
    ts = now_ms()
    for i in range(3):
        assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts + i).status_code == 200
    letters = DeadLetter.objects.count()
    r = post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts + 3)
    assert_rate_limited(r)
    assert not Reading.objects.filter(device=a, ts=ts + 3).exists()  # never reached the pipeline
    assert DeadLetter.objects.count() == letters
    # Another device from the same address has its own budget.
    assert post(b.code, world["secret_b"], {"t1_c": 30}, ts=ts).status_code == 200


def test_refusals_from_one_address_are_cut_off_before_the_pipeline(world, limits):
    limits(refused=2)
    a = world["device_a"]
    for _ in range(2):
        assert post(a.code, "wrong", {"t1_c": 30}, ip="10.0.0.66").status_code == 401
    letters = DeadLetter.objects.count()
    ts = now_ms()
    # Over the budget, the address is refused whatever it sends, without a database write.
    assert_rate_limited(post("NOPE-9", "x", {"t1_c": 30}, ip="10.0.0.66"))
    assert_rate_limited(post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts, ip="10.0.0.66"))
    assert DeadLetter.objects.count() == letters
    assert not Reading.objects.filter(device=a, ts=ts).exists()
    # The device itself, from its own address, is not affected.
    assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts, ip="10.0.0.7").status_code == 200


def test_wrong_secrets_do_not_use_up_the_devices_budget(world, limits):
    limits(per_device=2, refused=100)
    a = world["device_a"]
    for _ in range(5):
        assert post(a.code, "guess", {"t1_c": 30}, ip="10.0.0.66").status_code == 401
    ts = now_ms()
    assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts, ip="10.0.0.7").status_code == 200
    assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts + 1, ip="10.0.0.7").status_code == 200
    assert_rate_limited(post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts + 2, ip="10.0.0.7"))


def test_a_limit_of_zero_turns_it_off(world, limits):
    limits(per_device=0, refused=0)
    a = world["device_a"]
    ts = now_ms()
    for i in range(5):
        assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts + i).status_code == 200
        assert post(a.code, "wrong", {"t1_c": 30}).status_code == 401


def test_sliding_window_estimate_and_retry_after(limits):
    from django.core.cache import cache

    w = SlidingWindow("t", limit=3)
    ident = "JS-A-0001"
    for t in (10, 11, 12):
        assert w.wait(cache.get_many(w.keys(ident, t)), ident, t) == 0
        w.hit(ident, t)
    # Three in window [0, 60): the fourth waits until the first window's weight has faded to 2.
    assert w.wait(cache.get_many(w.keys(ident, 13)), ident, 13) == 67  # until t = 80
    assert w.wait(cache.get_many(w.keys(ident, 79)), ident, 79) == 1
    assert w.wait(cache.get_many(w.keys(ident, 80)), ident, 80) == 0
    # Two more counted at t = 80 and 85: the next one waits until the old window stops counting (t = 120).
    w.hit(ident, 80)
    w.hit(ident, 85)
    assert w.wait(cache.get_many(w.keys(ident, 86)), ident, 86) == 34
    # A crossing of the window boundary does not reset the count (a fixed window would).
    v = SlidingWindow("u", limit=3)
    for t in (58, 59, 59.5):
        v.hit(ident, t)
    assert v.wait(cache.get_many(v.keys(ident, 60.5)), ident, 60.5) > 0


def test_the_openapi_schema_documents_the_429(client_for):
    op = client_for("county").get("/api/schema/", {"format": "json"}).json()["paths"]["/api/v1/telemetry"]["post"]
    assert "429" in op["responses"]
    assert "Retry-After" in op["description"]


def test_the_door_stays_open_when_the_cache_is_down(world, limits):
    limits(per_device=1)
    a = world["device_a"]
    ts = now_ms()
    down = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=down):
        assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts).status_code == 200
        assert post(a.code, world["secret_a"], {"t1_c": 30}, ts=ts + 1).status_code == 200
    assert Reading.objects.filter(device=a, ts__in=[ts, ts + 1]).count() == 2
