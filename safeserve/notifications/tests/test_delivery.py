"""Queued delivery: on commit, retried with backoff, claimed once, never in the committing process.

The webhook is a real HTTP server on a free loopback port; the queue is a real SQLite huey queue
(``job_queue``, production mode) that holds jobs until the test runs them as the worker would.
"""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeserve.core.models import AuditLog
from safeserve.notifications import delivery, tasks
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Delivery, DeliveryStatus


class Webhook:
    """A loopback webhook answering ``statuses`` in turn (the last one repeats), sleeping ``delay``
    seconds before the first answer. ``requests`` holds (Idempotency-Key, payload, status) tuples."""

    def __init__(self, statuses=(204,), delay=0.0):
        self.statuses, self.delay, self.requests = list(statuses), delay, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                n = len(hook.requests)
                if n == 0 and hook.delay:
                    time.sleep(hook.delay)
                status = hook.statuses[min(n, len(hook.statuses) - 1)]
                hook.requests.append((self.headers["Idempotency-Key"], payload, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def ok(self):
        return [r for r in self.requests if 200 <= r[2] < 300]


@pytest.fixture
def webhook(settings):
    hooks = []

    def make(statuses=(204,), delay=0.0):
        hook = Webhook(statuses, delay)
        hooks.append(hook)
        settings.SAFESERVE_NOTIFY_CHANNELS = ["webhook"]
        settings.SAFESERVE_NOTIFY_WEBHOOK_URL = hook.url
        return hook

    yield make
    for hook in hooks:
        hook.close()


def alarm_to(world, django_capture_on_commit_callbacks, title="漏电报警"):
    with django_capture_on_commit_callbacks(execute=True):
        notify(actor=None, recipients=[world.user("town_a")], kind="alarm", title=title, level="urgent")
    return Delivery.objects.get(notification__title=title)


def later(seconds):
    return time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=False)


def test_delivery_is_queued_on_commit_not_run_inline(world, webhook, job_queue, django_capture_on_commit_callbacks):
    hook = webhook()
    d = alarm_to(world, django_capture_on_commit_callbacks)
    # Committed: the inbox entry and a pending delivery exist, the job waits in the queue, nothing was sent.
    assert world.user("town_a").notifications.count() == 1
    assert d.status == DeliveryStatus.PENDING and d.attempts == 0
    assert job_queue.pending() == 1 and hook.requests == []
    assert job_queue.run() == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.detail) == (DeliveryStatus.SENT, 1, "HTTP 204") and d.sent_at
    assert len(hook.requests) == 1 and hook.requests[0][1]["title"] == "漏电报警"


def test_failing_twice_then_succeeding_sends_exactly_once(
    world, webhook, job_queue, settings, django_capture_on_commit_callbacks
):
    settings.SAFESERVE_NOTIFY_RETRY_SECONDS = 60
    hook = webhook(statuses=(500, 500, 204))
    d = alarm_to(world, django_capture_on_commit_callbacks)
    job_queue.run()
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 1) and "500" in d.last_error
    assert d.next_attempt_at == d.claimed_at + timedelta(seconds=60)
    assert job_queue.scheduled() == 1
    assert job_queue.run() == 0  # the retry is not due yet
    with later(61):
        assert job_queue.run() == 1
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.PENDING, 2)
    assert d.next_attempt_at == d.claimed_at + timedelta(seconds=240)  # backoff: x4
    with later(61 + 241):
        assert job_queue.run() == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == (DeliveryStatus.SENT, 3, "")
    # A duplicate job (a redelivered queue item, the sweep, a second worker) sends nothing more.
    tasks.deliver_notifications.call_local([d.pk])
    with later(3600):
        assert delivery.sweep().requeue == []
        job_queue.run()
    assert [r[2] for r in hook.requests] == [500, 500, 204] and len(hook.ok) == 1
    assert {r[0] for r in hook.requests} == {delivery.delivery_key(d.pk)}  # one key across retries


def test_last_attempt_fails_then_the_county_sees_it_and_retries_it(
    world, webhook, job_queue, settings, django_capture_on_commit_callbacks
):
    settings.SAFESERVE_NOTIFY_MAX_ATTEMPTS = 2
    hook = webhook(statuses=(503,))
    d = alarm_to(world, django_capture_on_commit_callbacks)
    job_queue.run()
    with later(61):
        job_queue.run()
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 2) and "503" in d.last_error
    assert job_queue.scheduled() == 0

    county = Client()
    county.force_login(world.user("county"))
    page = county.get(reverse("notifications:delivery_list")).content.decode()
    assert f'data-delivery="{d.pk}"' in page and "HTTP Error 503" in page
    hook.statuses = [204]
    with django_capture_on_commit_callbacks(execute=True):
        r = county.post(reverse("notifications:delivery_retry", args=[d.pk]))
    assert r.status_code == 302
    entry = AuditLog.objects.get(object_id=str(d.pk), content_type__model="delivery")
    assert entry.actor == world.user("county") and entry.changes == {"status": ["failed", "pending"]}
    assert job_queue.run() == 1
    d.refresh_from_db()
    assert (d.status, d.attempts) == (DeliveryStatus.SENT, 3) and len(hook.ok) == 1
    assert f'data-delivery="{d.pk}"' not in county.get(reverse("notifications:delivery_list")).content.decode()


class CrashAfterSend:
    """A channel that sends through the webhook, then the worker dies before recording the result."""

    name = "crashy"

    def send(self, notification, *, key=""):
        from safeserve.notifications.channels import WebhookChannel

        WebhookChannel().send(notification, key=key)
        raise SystemExit("worker killed")


def test_crash_between_send_and_record_does_not_send_twice(
    world, webhook, job_queue, settings, django_capture_on_commit_callbacks
):
    hook = webhook()
    settings.SAFESERVE_NOTIFY_CHANNELS = [f"{__name__}.CrashAfterSend"]
    d = alarm_to(world, django_capture_on_commit_callbacks)
    with pytest.raises(SystemExit):
        job_queue.run()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENDING and len(hook.requests) == 1
    # The job comes back (huey redelivers it, someone requeues it): the claim fails, nothing is sent.
    tasks.deliver_notifications.call_local([d.pk])
    assert delivery.sweep().requeue == []
    with later(16 * 60):  # past the lease: the outcome is unknown, shown to the county, not resent
        result = delivery.sweep()
        tasks.deliver_notifications.call_local([d.pk])
    d.refresh_from_db()
    assert (result.unknown, result.requeue, d.status) == (1, [], DeliveryStatus.UNKNOWN)
    assert len(hook.requests) == 1


def test_sweep_requeues_a_delivery_whose_job_was_lost(world, webhook, job_queue, django_capture_on_commit_callbacks):
    hook = webhook()
    d = alarm_to(world, django_capture_on_commit_callbacks)
    job_queue.huey.flush()  # the queue lost the job (a crash between commit and enqueue, a flushed Redis)
    with later(6 * 60):
        tasks.sweep_deliveries.call_local()
        job_queue.run()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and len(hook.requests) == 1
    entry = AuditLog.objects.get(actor_name="system job: notifications.sweep_deliveries")
    assert entry.actor is None and entry.changes == {"marked_unknown": 0, "requeued": 1}


def test_rolled_back_write_queues_nothing(world, webhook, job_queue, django_capture_on_commit_callbacks):
    from django.db import transaction

    webhook()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(actor=None, recipients=[world.user("town_a")], kind="x", title="不应发送")
        raise RuntimeError
    assert job_queue.pending() == 0 and not Delivery.objects.exists()


# ----------------------------------------------------------------------------- off the hot path


def _report_hazard(world):
    from safeserve.hazards.actions import hazard_report

    hazard_report(
        actor=world.user("agency_a"),
        enterprise=world["ent_a"],
        location="冲压车间",
        description="冲床光电保护装置失效",
        responsible_person="李四",
        level="general",
        criterion=None,
    )


def _raise_alarm(world):
    from safeserve.iot.actions import device_create

    device, secret = device_create(
        actor=None,
        data={
            "enterprise": world["ent_a"],
            "code": "JS-A-0009",
            "name": "甲公司九号配电箱",
            "place": "一车间",
            "circuit": "动力回路",
            "rated_current_a": 32,
            "interval_s": 60,
        },
    )
    r = Client().post(
        "/api/v1/telemetry",
        data=json.dumps({"ts": int(time.time() * 1000), "values": {"residual_ma": 480}}),
        content_type="application/json",
        HTTP_X_DEVICE_CODE=device.code,
        HTTP_X_DEVICE_SECRET=secret,
    )
    assert r.status_code == 200, r.content


@pytest.mark.parametrize("action", [_report_hazard, _raise_alarm], ids=["hazard_report", "iot_alarm"])
def test_a_slow_webhook_does_not_slow_the_action(world, webhook, job_queue, action, django_capture_on_commit_callbacks):
    from safeserve_dev.services_fixtures import make_contract

    make_contract(world)
    hook = webhook(delay=3.0)
    t0 = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        action(world)
    took = time.perf_counter() - t0
    assert took < 2.5, f"the action waited for the webhook (3 s): {took:.2f} s"
    deliveries = Delivery.objects.count()
    assert deliveries >= 1 and hook.requests == [] and job_queue.pending() >= 1
    t0 = time.perf_counter()
    job_queue.run()
    assert time.perf_counter() - t0 >= 3.0  # the wait happened in the job, not in the action
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == deliveries == len(hook.requests)


# ----------------------------------------------------------------------------- the county's page


def test_only_the_county_sees_and_retries_deliveries(world, client_for, settings, django_capture_on_commit_callbacks):
    settings.SAFESERVE_NOTIFY_CHANNELS = ["webhook"]
    settings.SAFESERVE_NOTIFY_WEBHOOK_URL = ""  # "no webhook configured" counts as sent
    d = alarm_to(world, django_capture_on_commit_callbacks)
    Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.FAILED, last_error="HTTPError: 500")
    list_url, retry_url = reverse("notifications:delivery_list"), reverse("notifications:delivery_retry", args=[d.pk])
    county_page = client_for("county").get(list_url)
    assert f'data-delivery="{d.pk}"' in county_page.content.decode() and retry_url in county_page.content.decode()
    assert list_url in client_for("county").get("/").content.decode()  # linked in the county's navigation
    for persona in ("town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"):
        c = client_for(persona)
        assert c.get(list_url).status_code == 403, persona
        assert list_url not in c.get("/").content.decode(), persona
        assert c.post(retry_url).status_code == 403, persona
    anon = client_for("anon")
    assert anon.get(list_url).status_code == 302 and anon.post(retry_url).status_code == 302
    d.refresh_from_db()
    assert d.status == DeliveryStatus.FAILED and not AuditLog.objects.filter(content_type__model="delivery").exists()


def test_a_sent_delivery_cannot_be_retried(world, client_for, django_capture_on_commit_callbacks):
    d = alarm_to(world, django_capture_on_commit_callbacks)
    assert d.status == DeliveryStatus.SENT  # tests run jobs inline: the log channel sent it at commit
    r = client_for("county").post(reverse("notifications:delivery_retry", args=[d.pk]), follow=True)
    assert "只有发送失败或结果未知的投递可以重试" in r.content.decode()
    d.refresh_from_db()
    assert d.status == DeliveryStatus.SENT and not AuditLog.objects.filter(content_type__model="delivery").exists()
    assert client_for("county").post(reverse("notifications:delivery_retry", args=[999999])).status_code == 404


@pytest.mark.parametrize("rows", [1, 12])
def test_delivery_list_query_count_does_not_grow(world, client_for, rows, django_assert_num_queries):
    users = [world.user(p) for p in ("town_a", "town_b", "ent_a", "agency_a")]
    for i in range(rows):
        notify(actor=None, recipients=users, kind="x", title=f"消息{i}")
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == rows * 4
    c = client_for("county")
    c.get(reverse("notifications:delivery_list"))  # warm the session and permission caches
    with django_assert_num_queries(QUERIES):
        c.get(reverse("notifications:delivery_list"))


QUERIES = 10
