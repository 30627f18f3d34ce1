"""The iot world: the shared personas plus one device in each of two towns, and helpers to send data."""

import json
import time

import pytest

from safeserve.iot import actions, ingest
from safeserve.iot.choices import Source
from safeserve.iot.ingest import devices


@pytest.fixture(autouse=True)
def _fresh_device_cache():
    from django.core.cache import cache

    devices.device_cache.clear()
    cache.clear()  # the telemetry door's rate-limit counters
    yield
    devices.device_cache.clear()
    cache.clear()


def make_device(enterprise, code, name, **extra):
    data = {
        "enterprise": enterprise,
        "code": code,
        "name": name,
        "place": "一车间",
        "circuit": "动力回路",
        "rated_current_a": 32,
        "interval_s": 60,
        **extra,
    }
    return actions.device_create(actor=None, data=data)


@pytest.fixture
def world(world):
    from safeserve.iot.models import DeviceProfile
    from safeserve_dev.services_fixtures import make_contract

    o = world.objs
    o["contract_a"] = make_contract(world)  # agency_a serves ent_a: it sees ent_a's devices and alarms
    o["device_a"], o["secret_a"] = make_device(o["ent_a"], "JS-A-0001", "甲公司一号配电箱")
    o["device_b"], o["secret_b"] = make_device(o["ent_b"], "XT-B-0001", "乙公司二号配电箱")
    o["profile_a"] = DeviceProfile.objects.get(is_default=True)
    o["profile_b"] = DeviceProfile.objects.create(name="高温车间配置", temperature_c=85)
    from safeserve.iot.models import Alarm, DeadLetter

    ts = now_ms() - 5000
    for key in ("a", "b"):
        d = o[f"device_{key}"]
        ingest.ingest([msg(d.code, o[f"secret_{key}"], {"ts": ts, "values": {"residual_ma": 480}})])
        o[f"alarm_{key}"] = Alarm.objects.get(device=d)
    ingest.ingest([msg("UNKNOWN-1", "x", {"values": {"t1_c": 1}})])
    o["deadletter"] = DeadLetter.objects.get(device_code="UNKNOWN-1")
    return world


def now_ms():
    return int(time.time() * 1000)


def msg(device_code, secret, body, source=Source.HTTP):
    if not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    return ingest.Message(body=body, source=source, device_code=device_code, secret=secret)


@pytest.fixture
def send(world):
    """send(values, ts=None, device="device_a") -> IngestResult, through the real pipeline."""

    def _send(values, ts=None, device="device_a", secret=None):
        d = world[device]
        key = "secret_a" if device == "device_a" else "secret_b"
        body = {"values": values}
        if ts is not None:
            body["ts"] = ts
        return ingest.ingest([msg(d.code, secret or world[key], body)])

    return _send
