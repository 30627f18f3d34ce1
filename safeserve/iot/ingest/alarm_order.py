"""Alarms as a function of a device's readings in ts order (ADR 0016). Part of the actions layer:
``ingest`` calls ``mark_breaches`` inside its storage transaction and ``evaluate_devices`` after it.

Per device, one ``DeviceAlarmState`` row is the lock: evaluations of one device run one at a time
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs one write transaction at a time anyway). An
evaluation reads the device's *committed* readings from the database, in ts order:
- the readings after the watermark (the newest ts evaluated), continuing the open alarms, when the
  batch brings nothing older than the watermark (the common case: a few rows per device);
- every reading after the checkpoint (a ts where no episode was open, at least the lateness window
  behind the newest reading) when a reading arrives late: the episodes since the checkpoint are
  recomputed and the device's alarm rows reconciled with them (updated, re-opened, split, merged).

Readings are committed before their device is evaluated, and a breach marks the state row in the
same transaction as the reading, so an evaluation that skips a device (no breach, nothing open,
nothing pending) can only skip readings that cannot change an alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from safeserve.core.audit import DEVICE, AuditAction, record

from ..choices import METRIC_NAMES, AlarmState, AlarmType
from ..models import Alarm, DeviceAlarmState, Reading, iot_setting
from .bookkeeping import active_alarms, clear_alarms, new_alarm, notify_new_alarm
from .storage import id_list
from .thresholds import evaluate

READING_TYPES = frozenset(t for t in AlarmType.values if t != AlarmType.OFFLINE)


@dataclass
class Episode:
    """One alarm episode of one (device, type): from its first breach to its clearing, by ts."""

    type: str
    threshold: float
    started_ts: int
    first_value: float
    alarm_id: int | None = None
    count: int = 0
    last_value: float | None = None
    peak_value: float | None = None
    last_ts: int | None = None
    streak: int = 0
    cleared: bool = False
    touched: bool = False
    closed_by_hand: bool = False  # ended by a person's close: that alarm row is left as it is


def _peak(kind, a, b):
    return min(a, b) if kind == AlarmType.UNDER_VOLTAGE else max(a, b)


def replay(open_eps: dict[str, Episode], readings, th: dict, evaluate, quiet: tuple[int, int | None], barriers=None):
    """Run readings (sorted by ts) through the hysteresis from ``open_eps``.

    ``barriers``: {type: [last_ts of an alarm closed by hand]}: an episode open across one ends
    there (a person closed it; a later breach opens a new alarm, as it did when it happened).
    Returns (episodes touched or opened, in order; open episodes at the end; (quiet_from, quiet_to)).
    """
    clear_after = th["clear_after"]
    episodes = list(open_eps.values())
    quiet_from, quiet_to = quiet
    for ts, std in readings:
        was_quiet = not open_eps
        if barriers and open_eps:
            for kind in [k for k in open_eps if k in barriers]:
                ep = open_eps[kind]
                if any(ep.started_ts <= bt < ts for bt in barriers[kind]):
                    ep.closed_by_hand = True
                    del open_eps[kind]
            if not was_quiet and not open_eps:
                quiet_from, quiet_to = ts - 1, None
            was_quiet = not open_eps
        for kind, breached, value, threshold in evaluate(std, th):
            if kind not in READING_TYPES:
                continue
            ep = open_eps.get(kind)
            if breached:
                if ep is None:
                    ep = Episode(type=kind, threshold=threshold, started_ts=ts, first_value=value)
                    open_eps[kind] = ep
                    episodes.append(ep)
                ep.touched = True
                ep.count += 1
                ep.streak = 0
                ep.last_value, ep.last_ts = value, ts
                ep.peak_value = value if ep.peak_value is None else _peak(kind, ep.peak_value, value)
            elif ep is not None:
                ep.touched = True
                ep.streak += 1
                if ep.streak >= clear_after:
                    ep.cleared = True
                    del open_eps[kind]
        if was_quiet and open_eps:
            quiet_to = ts - 1  # the quiet stretch ended just before this reading
        elif not was_quiet and not open_eps:
            quiet_from, quiet_to = ts, None
    return [e for e in episodes if e.touched], open_eps, (quiet_from, quiet_to)


# ----------------------------------------------------------------------------- inside the storage transaction


def mark_breaches(breach_ts: dict[int, int]) -> None:
    """Record, with the readings, the newest breaching ts per device (a concurrent worker's cue)."""
    if not breach_ts:
        return
    table = DeviceAlarmState._meta.db_table
    items = sorted(breach_ts.items())  # one lock order for every worker: no deadlock
    for i in range(0, len(items), 200):
        part = items[i : i + 200]
        values = ", ".join(["(%s, %s, %s, %s)"] * len(part))
        params = [v for d, ts in part for v in (d, 0, 0, ts)]
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {table} (device_id, checkpoint, quiet_from, breach_ts) VALUES {values} "  # noqa: S608 - identifiers are ours
                f"ON CONFLICT (device_id) DO UPDATE SET breach_ts = CASE WHEN {table}.breach_ts IS NULL "
                f"OR excluded.breach_ts > {table}.breach_ts THEN excluded.breach_ts ELSE {table}.breach_ts END",
                params,
            )


# ----------------------------------------------------------------------------- after it


def needs_evaluation(state, batch_min_ts: int, breached: bool, has_open: bool) -> bool:
    if breached or has_open:
        return True
    if state is None:
        return False  # never breached: normal readings change nothing
    watermark, checkpoint, breach_ts = state
    if breach_ts is None:
        return False
    if watermark is None or breach_ts > watermark:
        return True  # a breach stored but not yet evaluated (maybe by another worker right now)
    return batch_min_ts <= watermark and breach_ts > checkpoint  # late: may split a recent episode


def load_states(device_ids) -> dict[int, tuple]:
    in_ids, params = id_list("device_id", device_ids)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT device_id, watermark, checkpoint, breach_ts FROM {DeviceAlarmState._meta.db_table} WHERE {in_ids}",  # noqa: S608
            params,
        )
        return {d: (w, c, b) for d, w, c, b in cur.fetchall()}


def _read_since(since: dict[int, int]) -> dict[int, list]:
    """{device: [(ts, values)]} of the committed readings with ts > since[device], in ts order."""
    out: dict[int, list] = {d: [] for d in since}
    cols = ", ".join(METRIC_NAMES)
    items = sorted(since.items())
    for i in range(0, len(items), 200):
        part = items[i : i + 200]
        where = " OR ".join(["(device_id = %s AND ts > %s)"] * len(part))
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT device_id, ts, {cols} FROM {Reading._meta.db_table} WHERE {where} ORDER BY device_id, ts",  # noqa: S608
                [v for pair in part for v in pair],
            )
            for row in cur.fetchall():
                values = {name: v for name, v in zip(METRIC_NAMES, row[2:], strict=True) if v is not None}
                out[row[0]].append((row[1], values))
    return out


def _state_fields(alarm: Alarm, active: bool) -> str:
    if active:
        return AlarmState.ACTIVE_ACK if alarm.acknowledged_at else AlarmState.ACTIVE_UNACK
    return AlarmState.CLEARED_ACK if alarm.acknowledged_at else AlarmState.CLEARED_UNACK


def _handled(alarm: Alarm) -> bool:
    return bool(alarm.acknowledged_at or alarm.assignee_id or alarm.hazard_id or alarm.closed_at or alarm.measures)


def evaluate_devices(batch: dict[int, tuple], breaching: set[int], now, result) -> None:
    """Evaluate the devices of a committed batch. ``batch``: {device id: (DeviceInfo, min ts)}."""
    if not batch:
        return
    states = load_states(batch)
    active = active_alarms(batch)
    offline = [pk for (d, kind), (pk, _s) in active.items() if kind == AlarmType.OFFLINE and batch[d][2]]
    open_devices = {d for (d, kind) in active if kind != AlarmType.OFFLINE}
    todo = sorted(
        d
        for d, (_info, min_ts, _new) in batch.items()
        if needs_evaluation(states.get(d), min_ts, d in breaching, d in open_devices)
    )
    if not todo and not offline:
        return
    window_ms = iot_setting("ALARM_LATENESS_SECONDS") * 1000
    with transaction.atomic():
        if offline:
            clear_alarms(offline, now)
            result.alarms_cleared += len(offline)
        if not todo:
            return
        DeviceAlarmState.objects.bulk_create(
            [DeviceAlarmState(device_id=d) for d in todo if d not in states], ignore_conflicts=True
        )
        locked = {
            s.device_id: s
            for s in DeviceAlarmState.objects.select_for_update().filter(device_id__in=todo).order_by("device_id")
        }
        rows_q = Q()
        since, replaying = {}, set()
        for d in todo:
            s, min_ts = locked[d], batch[d][1]
            if s.watermark is None:  # first evaluation: quiet before the window (or before legacy open alarms)
                starts = [
                    a.started_ts for a in Alarm.objects.filter(device_id=d, active=True).exclude(type=AlarmType.OFFLINE)
                ]
                s.checkpoint = min([min_ts - window_ms, *(t - 1 for t in starts)])
                s.quiet_from, s.quiet_to = s.checkpoint, None
            if s.watermark is not None and min_ts > s.watermark:
                since[d] = s.watermark
                rows_q |= Q(device_id=d, active=True)
            else:
                since[d] = s.checkpoint
                replaying.add(d)
                rows_q |= Q(device_id=d) & (
                    Q(started_ts__gt=s.checkpoint) | Q(last_ts__gt=s.checkpoint) | Q(active=True)
                )
        readings = _read_since(since)
        rows_by_device: dict[int, list[Alarm]] = {d: [] for d in todo}
        for a in Alarm.objects.filter(rows_q).exclude(type=AlarmType.OFFLINE).order_by("started_ts", "id"):
            rows_by_device[a.device_id].append(a)
        recipients_cache: dict[int, list] = {}
        for d in todo:
            info, s = batch[d][0], locked[d]
            th = info.thresholds
            rows = rows_by_device[d]
            barriers: dict[str, list[int]] = {}
            if d in replaying:
                start, quiet = {}, (s.checkpoint, None)
                for a in rows:
                    if a.closed_at is not None:
                        barriers.setdefault(a.type, []).append(a.last_ts)
                rows = [a for a in rows if a.closed_at is None]
            else:
                start = {
                    a.type: Episode(
                        type=a.type,
                        threshold=a.threshold,
                        started_ts=a.started_ts,
                        first_value=a.first_value,
                        alarm_id=a.pk,
                        count=a.count,
                        last_value=a.last_value,
                        peak_value=a.peak_value,
                        last_ts=a.last_ts,
                        streak=a.normal_streak,
                    )
                    for a in rows
                }
                quiet = (s.quiet_from, s.quiet_to)
            seq = readings[d]
            episodes, _open, (s.quiet_from, s.quiet_to) = replay(start, seq, th, evaluate, quiet, barriers)
            episodes = [e for e in episodes if not e.closed_by_hand]
            _reconcile(info, rows, episodes, d in replaying, now, result, recipients_cache)
            if seq:
                s.watermark = max(s.watermark if s.watermark is not None else seq[-1][0], seq[-1][0])
            breaches = [e.last_ts for e in episodes if e.last_ts is not None]
            if breaches:
                s.breach_ts = max([s.breach_ts or breaches[0], *breaches])
            if s.watermark is not None:
                end = s.quiet_to if s.quiet_to is not None else s.watermark
                candidate = min(end, s.watermark - window_ms)
                if candidate >= s.quiet_from and candidate > s.checkpoint:
                    s.checkpoint = candidate
            s.save(update_fields=["watermark", "checkpoint", "quiet_from", "quiet_to", "breach_ts"])


def _reconcile(info, rows: list[Alarm], episodes: list[Episode], replaying: bool, now, result, recipients_cache):
    """Make the device's alarm rows say what the episodes say."""
    by_id = {a.pk: a for a in rows}
    pairs: list[tuple[Alarm | None, Episode]] = []
    retract: list[Alarm] = []
    if replaying:
        for kind in {e.type for e in episodes} | {a.type for a in rows}:
            eps = [e for e in episodes if e.type == kind]
            old = [a for a in rows if a.type == kind]
            pairs += list(zip(old, eps, strict=False)) + [(None, e) for e in eps[len(old) :]]
            retract += old[len(eps) :]
    else:
        pairs = [(by_id.get(e.alarm_id), e) for e in episodes]
    for a in retract:
        if _handled(a):
            if a.active:
                Alarm.objects.filter(pk=a.pk).update(active=False, cleared_at=now, state=_state_fields(a, False))
                record(
                    actor=None,
                    system_actor=DEVICE,
                    action=AuditAction.TRANSITION,
                    instance=a,
                    changes={"active": [True, False]},
                    note=_("迟到读数：该报警已并入同类报警"),
                )
        else:
            record(
                actor=None,
                system_actor=DEVICE,
                action=AuditAction.DELETE,
                instance=a,
                changes={},
                note=_("迟到读数：该报警已并入同类报警"),
            )
            a.delete()
    # Deactivations before activations, then new rows: one active alarm per (device, type) throughout.
    pairs.sort(key=lambda p: (p[0] is None, not p[1].cleared))
    for a, e in pairs:
        if a is None:
            continue
        fields: dict[str, Any] = {
            "count": e.count,
            "first_value": e.first_value,
            "last_value": e.last_value,
            "peak_value": e.peak_value,
            "started_ts": e.started_ts,
            "last_ts": e.last_ts,
            "normal_streak": e.streak,
            "active": not e.cleared,
        }
        changed = {k: v for k, v in fields.items() if getattr(a, k) != v}
        if not changed:
            continue
        if "active" in changed:
            changed["state"] = _state_fields(a, not e.cleared)
            changed["cleared_at"] = now if e.cleared else None
        Alarm.objects.filter(pk=a.pk).update(**changed)
        result.alarms_updated += 1
        if "active" in changed:
            if e.cleared:
                result.alarms_cleared += 1
                note = _("读数恢复正常，自动清除")
            else:
                note = _("迟到读数：报警恢复为活动")
            record(actor=None, system_actor=DEVICE, action=AuditAction.TRANSITION, instance=a, changes={}, note=note)
    for a, e in pairs:
        if a is not None:
            continue
        alarm = new_alarm(
            info,
            type=e.type,
            threshold=e.threshold,
            first_value=e.first_value,
            last_value=e.last_value,
            peak_value=e.peak_value,
            count=e.count,
            streak=e.streak,
            started_ts=e.started_ts,
            last_ts=e.last_ts,
            cleared=e.cleared,
            now=now,
        )
        alarm.save()
        record(
            actor=None,
            system_actor=DEVICE,
            action=AuditAction.CREATE,
            instance=alarm,
            changes={},
            note=_("设备读数触发"),
        )
        notify_new_alarm(alarm, info, recipients_cache)
        result.alarms_opened += 1
        result.opened_alarm_ts.append(e.started_ts)
