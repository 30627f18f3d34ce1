"""``/healthz`` (the process answers) and ``/readyz`` (what it depends on answers).

Both are open without login, for a load balancer or an orchestrator, and reveal nothing else: a
status word per dependency and its latency in milliseconds, no host names, versions or errors.
``/readyz`` answers 503 when a dependency is down; the backup age is a *warning* (still 200), because
an old backup does not stop anyone working (docs/deployment.md).
"""

import socket
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from safeserve.iot.mqtt import parse_url

from . import backups

PROBE_TIMEOUT = 2.0  # seconds per dependency


def _timed(check) -> dict:
    t0 = time.perf_counter()
    try:
        check()
        ok = True
    except Exception:
        ok = False
    return {"status": "ok" if ok else "down", "ms": round((time.perf_counter() - t0) * 1000, 1)}


def check_database():
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()


def check_jobs():
    """The job queue's storage: Redis answers PING, or the SQLite queue file can be read."""
    from huey.contrib.djhuey import HUEY

    HUEY.pending_count()


# An MQTT 3.1.1 CONNECT with a clean session, keepalive 5 s and a fixed probe client id; the broker's
# CONNACK (0x20 0x02 ..) shows it is up and speaking MQTT. No subscription, no message, then DISCONNECT.
_CLIENT_ID = b"safeserve-readyz"
_CONNECT = (
    bytes([0x10, 10 + 2 + len(_CLIENT_ID)])
    + b"\x00\x04MQTT\x04\x02\x00\x05"
    + len(_CLIENT_ID).to_bytes(2, "big")
    + _CLIENT_ID
)


def check_broker():
    url = parse_url(settings.MQTT_URL)
    with socket.create_connection((url.host, url.port), timeout=PROBE_TIMEOUT) as sock:
        if url.tls:  # a TLS broker: the TCP handshake is the probe (the certificate is the worker's business)
            return
        sock.sendall(_CONNECT)
        reply = sock.recv(4)
        if len(reply) < 4 or reply[0] != 0x20:
            raise ConnectionError("no CONNACK")
        sock.sendall(b"\xe0\x00")  # DISCONNECT


def check_media():
    """The media bucket (only when media are on an object store) answers a HEAD with our keys.

    A wrong key, a missing bucket or an unreachable endpoint raises; nothing is read or written."""
    from django.core.files.storage import default_storage

    default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)


def backup_age_hours() -> float | None:
    """Hours since the newest archive in the backup folder was written; None when there is none."""
    age = backups.newest_age(settings.SAFESERVE_BACKUP_DIR)
    return None if age is None else round(age.total_seconds() / 3600, 1)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _timed(check_database), "jobs": _timed(check_jobs)}
    if settings.MQTT_URL:
        checks["broker"] = _timed(check_broker)
    if settings.SAFESERVE_MEDIA_S3_BUCKET:
        checks["media"] = _timed(check_media)
    ready = all(c["status"] == "ok" for c in checks.values())
    body = {"status": "ok" if ready else "down", "checks": checks}
    age = backup_age_hours()
    limit = settings.SAFESERVE_BACKUP_MAX_AGE_HOURS
    if limit and (age is None or age > limit):
        body["warnings"] = ["backup_missing" if age is None else "backup_old"]
    return JsonResponse(body, status=200 if ready else 503)
