"""/healthz, /readyz, /metrics and the request log: open where they must be, closed where not,
revealing nothing else; the broker check follows a real Mosquitto going down and coming back."""

import json
import logging

import pytest
from django.test import Client, override_settings

from safeserve.ops.requestlog import JsonFormatter
from safeserve_dev.mqtt_broker import Broker, free_port

pytestmark = pytest.mark.django_db


def test_healthz_is_open_and_says_only_ok(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert "no-cache" in r["Cache-Control"] or "max-age=0" in r["Cache-Control"]
    assert client.post("/healthz").status_code == 405


def test_readyz_reports_each_dependency_with_latency_and_nothing_else(client):
    r = client.get("/readyz")
    body = r.json()
    assert r.status_code == 200 and body["status"] == "ok"
    assert set(body["checks"]) == {"database", "jobs"}  # no broker configured: not checked
    for check in body["checks"].values():
        assert set(check) == {"status", "ms"} and check["status"] == "ok" and check["ms"] >= 0
    text = r.content.decode()
    for secret in ("127.0.0.1", "sqlite", "postgres", "redis", "password", "/work"):
        assert secret not in text


def test_readyz_follows_the_broker_down_and_up(client, tmp_path):
    broker = Broker(tmp_path, free_port())
    with override_settings(MQTT_URL=broker.url):
        down = client.get("/readyz")
        assert down.status_code == 503 and down.json()["checks"]["broker"]["status"] == "down"
        assert down.json()["status"] == "down"
        broker.start()
        try:
            up = client.get("/readyz")
            assert up.status_code == 200 and up.json()["checks"]["broker"]["status"] == "ok"
        finally:
            broker.stop()
        again = client.get("/readyz")
        assert again.status_code == 503 and again.json()["checks"]["broker"]["status"] == "down"


def test_readyz_warns_about_a_missing_or_old_backup(client, tmp_path):
    with override_settings(SAFESERVE_BACKUP_DIR=str(tmp_path), SAFESERVE_BACKUP_MAX_AGE_HOURS=26):
        assert client.get("/readyz").json()["warnings"] == ["backup_missing"]
        archive = tmp_path / "safeserve-20261130-010000.tar"
        archive.write_bytes(b"x")
        assert "warnings" not in client.get("/readyz").json()
        import os
        import time

        old = time.time() - 30 * 3600
        os.utime(archive, (old, old))
        r = client.get("/readyz")
        assert r.status_code == 200 and r.json()["warnings"] == ["backup_old"]


def test_metrics_only_for_allowed_addresses_or_the_token():
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 404
    with override_settings(SAFESERVE_METRICS_TOKEN="s3cret-token", SAFESERVE_METRICS_ALLOW=[]):
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
        assert Client(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer wrong").get("/metrics").status_code == 404
        ok = Client(REMOTE_ADDR="10.1.2.3", HTTP_AUTHORIZATION="Bearer s3cret-token").get("/metrics")
        assert ok.status_code == 200
    with override_settings(SAFESERVE_METRICS_ALLOW=["10.1.0.0/16"]):
        assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200


def test_metrics_carry_the_projects_own_figures(world_alarm):
    text = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    figures = {
        line.split(" ")[0]: float(line.split(" ")[-1])
        for line in text.splitlines()
        if line.startswith("safeserve_") and not line.startswith("#")
    }
    assert figures["safeserve_telemetry_readings"] == 3
    assert figures["safeserve_alarms_raised_total"] >= 1
    assert figures["safeserve_dead_letters"] == 1
    assert 'safeserve_notification_deliveries{status="pending"}' in figures
    assert "safeserve_job_queue_depth" in figures
    assert "django_http_requests_total_by_method_total" in text


@pytest.fixture
def world_alarm(db):
    """Three readings (one breaching: an alarm) and one dead letter, through the real pipeline."""
    import time as _time

    from safeserve.iot import ingest
    from safeserve.iot.choices import Source
    from safeserve.iot.tests.conftest import make_device
    from safeserve_dev.testkit import build_world

    world = build_world()
    device, secret = make_device(world["ent_a"], "OPS-0001", "运维测试配电箱")
    ts = int(_time.time() * 1000) - 60_000
    messages = [
        ingest.Message(
            body=json.dumps({"ts": ts + i * 1000, "values": {"residual_ma": v}}),
            source=Source.HTTP,
            device_code=device.code,
            secret=secret,
        )
        for i, v in enumerate((20, 480, 25))
    ]
    messages.append(ingest.Message(body="{}", source=Source.HTTP, device_code="UNKNOWN-9", secret="x"))
    ingest.ingest(messages)
    return world


def test_one_log_line_per_request_with_latency_user_and_status(client, caplog, django_user_model):
    user = django_user_model.objects.create_user(username="logme", password="x" * 12, role="county")
    client.force_login(user)
    with override_settings(), caplog.at_level(logging.INFO, logger="safeserve.request"):
        client.get("/healthz?secret=1")
    lines = [r for r in caplog.records if r.name == "safeserve.request"]
    assert len(lines) == 1
    record = lines[0]
    assert record.status == 200 and record.path == "/healthz" and record.user_id == user.pk and record.latency_ms >= 0
    assert "secret" not in record.getMessage()  # query strings are not logged
    as_json = json.loads(JsonFormatter().format(record))
    assert as_json["status"] == 200 and as_json["user_id"] == user.pk and as_json["logger"] == "safeserve.request"
