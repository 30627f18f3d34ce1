"""``/metrics``: Prometheus text, for configured addresses or a bearer token only.

django-prometheus counts requests, latencies and database queries per process. SafeServe's own
figures are read from the database at scrape time, so they are the same whichever process is
scraped and survive restarts: telemetry readings stored, devices reporting in the last 5 minutes,
alarms raised (the table's highest id: ids only grow, retention purges do not lower it), dead letters kept, notification deliveries by status,
and the job queue's depth.
"""

import ipaddress
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.http import HttpResponse, HttpResponseNotFound
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from safeserve.iot.models import Alarm, DeadLetter, Device, Reading
from safeserve.notifications.models import Delivery

EXACT_BELOW = 1_000_000  # below this many rows (by the statistics), count exactly


def readings_stored() -> int:
    """Rows of the readings table: exact on SQLite (one machine) and on a small PostgreSQL table; the
    planner's estimate on a large one (a count(*) of a billion rows at every scrape would be a load of
    its own). The estimate is -1/0 until the table was first analysed, so small tables are counted."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [Reading._meta.db_table])
            row = cur.fetchone()
        estimate = int(row[0]) if row else 0
        if estimate >= EXACT_BELOW:
            return estimate
    return Reading.objects.count()


class SafeServeCollector:
    def collect(self):
        from huey.contrib.djhuey import HUEY

        stored = GaugeMetricFamily(
            "safeserve_telemetry_readings", "Telemetry readings stored (PostgreSQL: the planner's estimate)."
        )
        stored.add_metric([], readings_stored())
        yield stored
        online = GaugeMetricFamily("safeserve_devices_reporting", "Devices that reported in the last 5 minutes.")
        online.add_metric([], Device.objects.filter(last_seen_at__gte=timezone.now() - timedelta(minutes=5)).count())
        yield online
        alarms = CounterMetricFamily("safeserve_alarms_raised", "Alarms raised (highest id).")
        alarms.add_metric([], Alarm.objects.aggregate(m=Max("id"))["m"] or 0)
        yield alarms
        dead = GaugeMetricFamily("safeserve_dead_letters", "Malformed or refused device messages kept.")
        dead.add_metric([], DeadLetter.objects.count())
        yield dead
        deliveries = GaugeMetricFamily(
            "safeserve_notification_deliveries", "Notification deliveries by status.", labels=["status"]
        )
        counts = dict(Delivery.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        for status in ("pending", "sending", "sent", "failed", "unknown"):
            deliveries.add_metric([status], counts.get(status, 0))
        yield deliveries
        queue = GaugeMetricFamily("safeserve_job_queue_depth", "Jobs waiting in the queue.")
        queue.add_metric([], HUEY.pending_count())
        yield queue


def _allowed(request) -> bool:
    token = settings.SAFESERVE_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and secrets.compare_digest(header[7:].encode(), token.encode()):
        return True
    try:
        addr = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(addr in ipaddress.ip_network(net, strict=False) for net in settings.SAFESERVE_METRICS_ALLOW)


@never_cache
def metrics(request):
    if not _allowed(request):
        return HttpResponseNotFound()  # the endpoint does not exist for anyone else
    import prometheus_client

    registry = CollectorRegistry()
    registry.register(SafeServeCollector())
    body = generate_latest(prometheus_client.REGISTRY) + generate_latest(registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
