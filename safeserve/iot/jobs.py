"""Periodic jobs of the iot capability (run by tasks.py): escalation, offline detection, hourly rollup."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.audit import AuditAction, record
from safeserve.notifications.models import Level

from .choices import AlarmType, Severity
from .ingest.bookkeeping import Track, alarm_recipients, alarm_text, open_alarm
from .ingest.devices import DeviceInfo
from .models import ROLLUP_FIELDS, Alarm, Device, Reading, ReadingHour, dt_to_ms, iot_setting, offline_after


def escalate_alarms(*, now=None) -> int:
    """Critical alarms still unacknowledged: step 1 to the town office, step 2 to the county.

    Idempotent: the step is stored on the alarm and the notification carries a per-step dedup key.
    """
    from safeserve.notifications.actions import notify

    now = now or timezone.now()
    steps = [
        (1, timedelta(minutes=iot_setting("ESCALATE_CRITICAL_MINUTES"))),
        (2, timedelta(minutes=iot_setting("ESCALATE_COUNTY_MINUTES"))),
    ]
    sent = 0
    for step, after in steps:
        due = Alarm.objects.filter(
            active=True,
            severity=Severity.CRITICAL,
            acknowledged_at__isnull=True,
            escalation_step__lt=step,
            raised_at__lte=now - after,
        ).select_related("device")
        for alarm in due:
            with transaction.atomic():
                n = Alarm.objects.filter(pk=alarm.pk, escalation_step__lt=step).update(escalation_step=step)
                if not n:
                    continue
                title, body = alarm_text(alarm, alarm.device.code)
                minutes = int(after.total_seconds() // 60)
                notify(
                    actor=None,
                    recipients=alarm_recipients(alarm.enterprise_id, step),
                    kind="iot_alarm_escalation",
                    title=_("[升级]") + title,
                    body=body + _("；超过 %(m)s 分钟未确认") % {"m": minutes},
                    link=reverse("iot:alarm_page", args=[alarm.pk]),
                    level=Level.URGENT,
                    dedup_key=f"alarm:{alarm.pk}:step:{step}",
                )
                record(
                    actor=None,
                    action=AuditAction.TRANSITION,
                    instance=alarm,
                    changes={"escalation_step": [step - 1, step]},
                    note=_("超时未确认，升级通知"),
                )
                sent += 1
    return sent


def detect_offline(*, now=None) -> int:
    """Open an offline alarm for each active device silent for more than N reporting intervals
    (plus the resolution of ``last_seen_at``: see ``models.offline_after``)."""
    now = now or timezone.now()
    opened = 0
    already = set(Alarm.objects.filter(active=True, type=AlarmType.OFFLINE).values_list("device_id", flat=True))
    candidates = (
        Device.objects.filter(is_active=True, last_seen_at__isnull=False)
        .exclude(pk__in=already)
        .select_related("profile", "enterprise")
    )
    for d in candidates.iterator(chunk_size=1000):
        limit = offline_after(d.profile.offline_intervals, d.interval_s)
        if now - d.last_seen_at <= limit:
            continue
        info = DeviceInfo(d.pk, d.code, d.enterprise_id, d.enterprise.town_id, "", True, d.thresholds())
        silent = int((now - d.last_seen_at).total_seconds())
        t = Track(device=info, type=AlarmType.OFFLINE, alarm_id=None, threshold=limit.total_seconds())
        t.first_value = t.last_value = t.peak_value = float(silent)
        t.started_ts = t.last_ts = dt_to_ms(now)
        t.count_inc = 1
        with transaction.atomic():
            if open_alarm(t, now) is not None:
                opened += 1
    return opened


def rollup_readings(*, since_ms: int | None = None, until_ms: int | None = None, device_ids=None) -> int:
    """(Re)compute the hourly rollup of the hours that have readings in [since, until). Idempotent.

    Works through the devices 500 at a time, so that every query walks the (device, ts) primary key
    of those devices inside the window instead of scanning the whole table (there is no index on
    ``ts`` alone: it would slow every insert), and memory holds one chunk's hours at a time.
    """
    from django.db.models import Avg, Count, Max, Min

    now_ms = dt_to_ms(timezone.now())
    until_ms = until_ms or now_ms
    since_ms = since_ms if since_ms is not None else now_ms - 2 * 3_600_000
    first_hour = since_ms // 3_600_000
    aggs = {"n": Count("ts")}
    fn = {"avg": Avg, "max": Max, "min": Min}
    for name, metric, agg in ROLLUP_FIELDS:
        aggs[name] = fn[agg](metric)
    if device_ids is None:
        device_ids = Device.objects.order_by("pk").values_list("pk", flat=True)
    device_ids = list(device_ids)
    total = 0
    for i in range(0, len(device_ids), 500):
        rows = (
            Reading.objects.filter(
                device_id__in=device_ids[i : i + 500], ts__gte=first_hour * 3_600_000, ts__lt=until_ms
            )
            .annotate(hour_n=F("ts") / 3_600_000)
            .values("device_id", "hour_n")
            .annotate(**aggs)
            .order_by()
        )
        objs = [ReadingHour(device_id=r["device_id"], hour=r["hour_n"], **{k: r[k] for k in aggs}) for r in rows]
        ReadingHour.objects.bulk_create(
            objs,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["device", "hour"],
            update_fields=list(aggs),
        )
        total += len(objs)
    return total
