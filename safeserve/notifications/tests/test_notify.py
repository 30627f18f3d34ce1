import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction
from django.urls import reverse

from safeserve.notifications.actions import notify
from safeserve.notifications.models import Delivery, DeliveryStatus, Notification


def test_notify_is_idempotent_per_dedup_key(world, django_capture_on_commit_callbacks):
    town_a = world.user("town_a")
    with django_capture_on_commit_callbacks(execute=True):
        first = notify(actor=None, recipients=[town_a], kind="hazard", title="重大隐患", dedup_key="hazard:1:step:0")
        again = notify(
            actor=None, recipients=[town_a, town_a], kind="hazard", title="重大隐患", dedup_key="hazard:1:step:0"
        )
        other_step = notify(
            actor=None, recipients=[town_a], kind="hazard", title="重大隐患 逾期", dedup_key="hazard:1:step:1"
        )
    assert len(first) == 1 and again == [] and len(other_step) == 1
    assert Notification.objects.filter(recipient=town_a).count() == 2
    assert Delivery.objects.filter(channel="log", status=DeliveryStatus.SENT).count() == 2


def test_rolled_back_write_notifies_nobody(world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(actor=None, recipients=[world.user("town_a")], kind="x", title="不应发送")
        raise RuntimeError
    assert not Notification.objects.exists()
    assert callbacks == []


def test_inbox_shows_only_own_messages(world, client_for):
    notify(actor=None, recipients=[world.user("town_a")], kind="x", title="给罗星的消息")
    notify(actor=None, recipients=[world.user("town_b")], kind="x", title="给西塘的消息")
    page = client_for("town_a").get(reverse("notifications:inbox")).content.decode()
    assert "给罗星的消息" in page and "给西塘的消息" not in page
    home = client_for("town_a").get("/").content.decode()
    assert 'data-testid="unread-count">1<' in home


def test_webhook_channel_posts_json(world, settings, django_capture_on_commit_callbacks):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    settings.SAFESERVE_NOTIFY_CHANNELS = ["webhook"]
    settings.SAFESERVE_NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/sms"
    with django_capture_on_commit_callbacks(execute=True):
        notify(actor=None, recipients=[world.user("town_a")], kind="alarm", title="漏电报警", level="urgent")
    thread.join(5)
    server.server_close()
    assert received and received[0]["title"] == "漏电报警" and received[0]["recipient"] == "town_a"
    assert Delivery.objects.get().detail == "HTTP 204"


def test_failing_channel_is_recorded_not_raised(world, settings, django_capture_on_commit_callbacks):
    settings.SAFESERVE_NOTIFY_CHANNELS = ["webhook"]
    settings.SAFESERVE_NOTIFY_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    with django_capture_on_commit_callbacks(execute=True):
        notify(actor=None, recipients=[world.user("town_a")], kind="alarm", title="漏电报警")
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 1) and "Error" in d.last_error  # retried later
    assert d.next_attempt_at > d.claimed_at
