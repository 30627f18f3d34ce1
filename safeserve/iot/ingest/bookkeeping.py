"""Alarm rows of the pipeline: open, update, clear, and notify of a new alarm (step 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.audit import DEVICE, AuditAction, record
from safeserve.notifications.models import Level

from .. import queries
from ..choices import DEFAULT_SEVERITY, AlarmState, AlarmType, Severity
from ..models import Alarm, ms_to_dt
from ..transitions import clear_targets
from .devices import DeviceInfo
from .storage import id_list

CLEARED = clear_targets()  # the alarm state table's clear step: {active state: cleared state}


@dataclass
class Track:
    """What one batch does to the alarm of one (device, type)."""

    device: DeviceInfo
    type: str
    alarm_id: int | None  # an alarm active at the start of the batch, or None for a new one
    threshold: float
    streak: int = 0
    count_inc: int = 0
    first_value: float | None = None
    last_value: float | None = None
    peak_value: float | None = None
    started_ts: int | None = None
    last_ts: int | None = None
    cleared: bool = False
    touched: bool = False


def active_alarms(device_ids) -> dict[tuple[int, str], tuple[int, int]]:
    """{(device id, type): (alarm id, normal streak)} of the active alarms of these devices."""
    in_ids, params = id_list("device_id", device_ids)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, device_id, type, normal_streak FROM {Alarm._meta.db_table} "  # noqa: S608 - identifiers are ours
            f"WHERE active = %s AND {in_ids}",
            [True, *params],
        )
        return {(device_id, kind): (pk, streak) for pk, device_id, kind, streak in cur.fetchall()}


def update_alarm(t: Track, now) -> bool:
    changes: dict[str, Any] = {"normal_streak": t.streak}
    if t.count_inc:
        changes.update(
            count=F("count") + t.count_inc,
            last_value=t.last_value,
            last_ts=Greatest(F("last_ts"), Value(t.last_ts)),
            peak_value=(Least if t.type == AlarmType.UNDER_VOLTAGE else Greatest)(F("peak_value"), Value(t.peak_value)),
        )
    if t.cleared:
        changes.update(
            active=False,
            cleared_at=now,
            state=Case(
                When(acknowledged_at__isnull=True, then=Value(CLEARED[AlarmState.ACTIVE_UNACK])),
                default=Value(CLEARED[AlarmState.ACTIVE_ACK]),
            ),
        )
    n = Alarm.objects.filter(pk=t.alarm_id, active=True).update(**changes)
    if n and t.cleared:
        alarm = Alarm.objects.get(pk=t.alarm_id)
        record(
            actor=None,
            system_actor=DEVICE,
            action=AuditAction.TRANSITION,
            instance=alarm,
            changes={},
            note=_("读数恢复正常，自动清除"),
        )
    return bool(n)


def new_alarm(
    info: DeviceInfo,
    *,
    type: str,
    threshold: float,
    first_value,
    last_value,
    peak_value,
    count: int,
    streak: int,
    started_ts: int,
    last_ts: int,
    cleared: bool,
    now,
) -> Alarm:
    """The unsaved row of a new alarm raised by the pipeline (in order, or by a late reading);
    one already cleared by the readings of the same batch starts cleared and unacknowledged."""
    alarm = Alarm(
        device_id=info.id,
        enterprise_id=info.enterprise_id,
        type=type,
        severity=DEFAULT_SEVERITY[type],
        threshold=threshold,
        first_value=first_value,
        last_value=last_value,
        peak_value=peak_value,
        count=count,
        normal_streak=streak,
        started_ts=started_ts,
        last_ts=last_ts,
        raised_at=now,
    )
    if cleared:
        alarm.active, alarm.state, alarm.cleared_at = False, AlarmState.CLEARED_UNACK, now
    return alarm


def open_alarm(t: Track, now, recipients_cache: dict | None = None) -> Alarm | None:
    """Insert a new active alarm; if another worker got there first, update that one instead."""
    info = t.device
    alarm = new_alarm(
        info,
        type=t.type,
        threshold=t.threshold,
        first_value=t.first_value,
        last_value=t.last_value,
        peak_value=t.peak_value,
        count=t.count_inc,
        streak=t.streak,
        started_ts=t.started_ts,
        last_ts=t.last_ts,
        cleared=t.cleared,
        now=now,
    )
    try:
        with transaction.atomic():
            alarm.save()
    except IntegrityError:
        existing = Alarm.objects.select_for_update().filter(device_id=info.id, type=t.type, active=True).first()
        if existing is None:  # pragma: no cover - the other one was cleared in between; try once more
            with transaction.atomic():
                alarm.save()
        else:
            t.alarm_id = existing.pk
            update_alarm(t, now)
            return None
    record(
        actor=None, system_actor=DEVICE, action=AuditAction.CREATE, instance=alarm, changes={}, note=_("设备读数触发")
    )
    notify_new_alarm(alarm, info, recipients_cache)
    return alarm


def clear_alarms(ids, now):
    Alarm.objects.filter(pk__in=ids, active=True).update(
        active=False,
        cleared_at=now,
        state=Case(
            When(acknowledged_at__isnull=True, then=Value(CLEARED[AlarmState.ACTIVE_UNACK])),
            default=Value(CLEARED[AlarmState.ACTIVE_ACK]),
        ),
    )


# ----------------------------------------------------------------------------- notifications


def alarm_recipients(enterprise_id: int, step: int):
    """Step 0: the enterprise and its contracted agency; 1: the town office; 2: the county."""
    from safeserve.notifications.queries import agency_users, county_officers, enterprise_users, town_officers
    from safeserve.registry.models import Enterprise

    if step == 0:
        users = list(enterprise_users(enterprise_id))
        for agency_id in queries.agencies_of(enterprise_id):
            users += list(agency_users(agency_id))
        return users
    if step == 1:
        return list(town_officers(Enterprise.objects.values_list("town_id", flat=True).get(pk=enterprise_id)))
    return list(county_officers())


def alarm_text(alarm: Alarm, device_code: str) -> tuple[str, str]:
    title = _("【%(sev)s】%(type)s：设备 %(code)s") % {
        "sev": alarm.get_severity_display(),
        "type": alarm.get_type_display(),
        "code": device_code,
    }
    body = _("数值 %(v)s（阈值 %(th)s），首次 %(t)s") % {
        "v": alarm.last_value,
        "th": alarm.threshold,
        "t": timezone.localtime(ms_to_dt(alarm.started_ts)).strftime("%Y-%m-%d %H:%M:%S"),
    }
    return title, body


def notify_new_alarm(alarm: Alarm, info: DeviceInfo, recipients_cache: dict | None = None):
    """``recipients_cache``: one batch's {enterprise id: recipients} (one transaction, so the same
    answer), sparing 2-3 queries per alarm when a storm opens many alarms of one enterprise."""
    from safeserve.notifications.actions import notify

    title, body = alarm_text(alarm, info.code)
    cache = recipients_cache if recipients_cache is not None else {}
    if info.enterprise_id not in cache:
        cache[info.enterprise_id] = alarm_recipients(info.enterprise_id, 0)
    notify(
        actor=None,  # the ingestion pipeline (a device reported it)
        recipients=cache[info.enterprise_id],
        kind="iot_alarm",
        title=title,
        body=body,
        link=reverse("iot:alarm_page", args=[alarm.pk]),
        level=Level.URGENT if alarm.severity == Severity.CRITICAL else Level.WARNING,
        dedup_key=f"alarm:{alarm.pk}:step:0",
    )
