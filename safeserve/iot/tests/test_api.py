"""The HTTP door (POST /api/v1/telemetry) and the scoped device and alarm API."""

import base64
import json

import pytest
from django.test import Client

from safeserve.iot.choices import AlarmState, DeadLetterReason
from safeserve.iot.models import Alarm, DeadLetter, Reading

from .conftest import now_ms

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry"


def post(body, code=None, secret=None, basic=None, raw=False):
    headers = {}
    if code is not None:
        headers["HTTP_X_DEVICE_CODE"] = code
    if secret is not None:
        headers["HTTP_X_DEVICE_SECRET"] = secret
    if basic is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(basic.encode()).decode()
    data = body if raw else json.dumps(body)
    return Client().post(URL, data=data, content_type="application/json", **headers)


def test_one_reading_with_headers_then_the_same_again(world):
    d = world["device_a"]
    body = {"ts": now_ms(), "values": {"residual_ma": 120, "t1_c": 41.5, "power_factor": 0.9}}
    r = post(body, d.code, world["secret_a"])
    assert r.status_code == 200, r.content
    assert r.json() == {"stored": 1, "duplicates": 0, "rejected": []}
    r = post(body, d.code, world["secret_a"])
    assert r.json() == {"stored": 0, "duplicates": 1, "rejected": []}
    assert Reading.objects.filter(device=d).count() == 2  # the fixture's leak reading + this one


def test_batch_with_basic_auth(world):
    d = world["device_a"]
    ts = now_ms()
    batch = [{"ts": ts + i, "values": {"residual_ma": 100 + i}} for i in range(50)]
    r = post(batch, basic=f"{d.code}:{world['secret_a']}")
    assert r.status_code == 200
    assert r.json()["stored"] == 50


def test_partial_batch_reports_what_was_rejected(world):
    d = world["device_a"]
    ts = now_ms()
    r = post([{"ts": ts, "values": {"t1_c": 30}}, {"ts": ts + 1, "values": {"t1_c": 999}}], d.code, world["secret_a"])
    assert r.status_code == 200
    assert r.json()["stored"] == 1
    assert r.json()["rejected"][0]["reason"] == DeadLetterReason.ABSURD_VALUE


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("wrong_secret", 401, DeadLetterReason.BAD_SECRET),
        ("unknown", 401, DeadLetterReason.UNKNOWN_DEVICE),
        ("no_secret", 401, DeadLetterReason.BAD_SECRET),
        ("bad_json", 400, DeadLetterReason.BAD_JSON),
        ("nan", 400, DeadLetterReason.NOT_FINITE),
        ("oversized", 413, DeadLetterReason.OVERSIZED),
        ("bad_ts", 400, DeadLetterReason.BAD_TS),
    ],
)
def test_refusals_answer_with_a_status_and_are_dead_lettered(world, kind, status, reason):
    d, s = world["device_a"], world["secret_a"]
    good = {"values": {"t1_c": 30}}
    r = {
        "wrong_secret": lambda: post(good, d.code, "nope"),
        "unknown": lambda: post(good, "NOPE-1", "nope"),
        "no_secret": lambda: post(good, d.code),
        "bad_json": lambda: post('{"values": ', d.code, s, raw=True),
        "nan": lambda: post('{"values": {"t1_c": NaN}}', d.code, s, raw=True),
        "oversized": lambda: post(json.dumps({"values": {"t1_c": 1}, "x": "y" * 100_000}), d.code, s, raw=True),
        "bad_ts": lambda: post({"ts": -5, "values": {"t1_c": 1}}, d.code, s),
    }[kind]()
    assert r.status_code == status, r.content
    assert r.json()["error"] == reason
    assert DeadLetter.objects.filter(reason=reason, source="http").exists()


def test_a_leak_over_http_raises_an_alarm(world):
    d = world["device_b"]
    post({"values": {"arc": 1}}, d.code, world["secret_b"])
    assert Alarm.objects.filter(device=d, type="arc", active=True).exists()


def test_the_openapi_schema_documents_the_door(client_for):
    r = client_for("county").get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    op = r.json()["paths"]["/api/v1/telemetry"]["post"]
    assert {"200", "400", "401", "413", "503"} <= set(op["responses"])
    assert {p["name"] for p in op["parameters"]} >= {"X-Device-Code", "X-Device-Secret"}


def test_creating_a_device_by_api_returns_the_secret_once(world, client_for):
    c = client_for("ent_a")
    r = c.post(
        "/api/v1/iot/devices/",
        {
            "enterprise": world["ent_a"].pk,
            "code": "JS-A-0099",
            "name": "新终端",
            "place": "仓库",
            "circuit": "照明",
            "rated_current_a": 16,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    secret = r.json()["secret"]
    assert len(secret) >= 40
    detail = c.get(f"/api/v1/iot/devices/{r.json()['id']}/").json()
    assert "secret" not in detail and "secret_hash" not in detail
    assert post({"values": {"t1_c": 20}}, "JS-A-0099", secret).status_code == 200
    # An enterprise cannot register a device for another enterprise.
    r = c.post(
        "/api/v1/iot/devices/",
        {
            "enterprise": world["ent_b"].pk,
            "code": "XX-1",
            "name": "x",
            "place": "x",
            "circuit": "x",
            "rated_current_a": 16,
        },
        content_type="application/json",
    )
    assert r.status_code == 400


def test_rotating_the_secret_stops_the_old_one_at_once(world, client_for):
    d = world["device_a"]
    assert post({"values": {"t1_c": 20}}, d.code, world["secret_a"]).status_code == 200
    r = client_for("town_a").post(f"/api/v1/iot/devices/{d.pk}/rotate-secret/")
    assert r.status_code == 200
    new = r.json()["secret"]
    assert post({"values": {"t1_c": 21}}, d.code, world["secret_a"]).status_code == 401
    assert post({"values": {"t1_c": 22}}, d.code, new).status_code == 200
    assert client_for("town_b").post(f"/api/v1/iot/devices/{d.pk}/rotate-secret/").status_code == 404


def test_series_endpoint_is_scoped(world, client_for):
    d = world["device_a"]
    r = client_for("ent_a").get(f"/api/v1/iot/devices/{d.pk}/series/")
    assert r.status_code == 200
    assert r.json()["residual_ma"] == [480.0]
    assert client_for("town_b").get(f"/api/v1/iot/devices/{d.pk}/series/").status_code == 404
    assert client_for("ent_a").get(f"/api/v1/iot/devices/{d.pk}/series/", {"range": "30d"}).status_code == 200


def test_alarm_api_is_scoped_and_handles(world, client_for):
    a, b = world["alarm_a"], world["alarm_b"]
    ids = {row["id"] for row in client_for("town_a").get("/api/v1/iot/alarms/").json()["results"]}
    assert a.pk in ids and b.pk not in ids
    assert client_for("town_b").get(f"/api/v1/iot/alarms/{a.pk}/").status_code == 404
    assert client_for("town_b").post(f"/api/v1/iot/alarms/{a.pk}/acknowledge/").status_code == 404
    assert client_for("anon").get("/api/v1/iot/alarms/").status_code in (401, 403)
    assert client_for("expert_a").get("/api/v1/iot/alarms/").status_code == 403
    r = client_for("ent_a").post(f"/api/v1/iot/alarms/{a.pk}/acknowledge/")
    assert r.status_code == 200 and r.json()["state"] == AlarmState.ACTIVE_ACK
    r = client_for("town_a").post(
        f"/api/v1/iot/alarms/{a.pk}/close/", {"measures": "更换漏电线路"}, content_type="application/json"
    )
    assert r.status_code == 400  # the result is required
    r = client_for("town_a").post(
        f"/api/v1/iot/alarms/{a.pk}/close/",
        {"measures": "更换漏电线路", "result": "复测正常"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == AlarmState.CLEARED_ACK and r.json()["closed_at"]
    assert client_for("county").post(f"/api/v1/iot/alarms/{a.pk}/acknowledge/").status_code == 400


def test_the_history_records_a_secret_rotation_but_never_the_secret_hash(world, client_for):
    from safeserve.core.models import AuditLog

    d = world["device_a"]
    r = client_for("town_a").post(f"/api/v1/iot/devices/{d.pk}/rotate-secret/")
    assert r.status_code == 200
    d.refresh_from_db()
    logs = AuditLog.objects.filter(object_id=str(d.pk), content_type__model="device")
    assert logs.exists()
    stored = json.dumps([log.changes for log in logs])
    assert d.secret_hash not in stored
    rotation = [log for log in logs if "secret_hash" in log.changes]
    assert rotation, "the rotation leaves a trace in the history"
    old, new = rotation[-1].changes["secret_hash"]
    assert old != new and new.startswith("sha256:")
    page = client_for("county").get(f"/iot/devices/{d.pk}/").content.decode()
    assert d.secret_hash not in page
