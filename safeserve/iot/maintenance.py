"""Housekeeping of the iot tables: retention (purge) and rollups of late readings.

Raw readings are kept ``RAW_RETENTION_DAYS`` (90), hourly rollups ``ROLLUP_RETENTION_DAYS`` (3
years), dead letters ``DEADLETTER_RETENTION_DAYS`` (30). Every job works **device by device along the
primary key (device, ts)** and in batches of at most ``batch`` rows, each its own transaction: the
tables have no index on ``ts`` alone, and a single ``DELETE … WHERE ts < x`` would scan the whole
table inside one huge transaction.

A raw reading is deleted only once the rollup of its hour is confirmed: the rows of every hour are
counted along the key and compared with ``ReadingHour.n``. Readings are only ever inserted, so equal
counts mean the rollup covers exactly these rows; a missing or stale hour is recomputed first
(``jobs.rollup_readings``). The same comparison finds the hours that late readings (devices
uploading buffered data up to ``MAX_TS_AGE_DAYS`` old) changed after the 5-minute job had rolled
them up: ``rollup_late_readings`` recomputes only those. See docs/decisions/0006-iot-ingestion.md.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, F
from django.utils import timezone

from safeserve.core.audit import record_job

from . import jobs
from .models import DeadLetter, Device, Reading, ReadingHour, dt_to_ms, iot_setting, ms_to_dt

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
RECENT_HOURS = 2  # the 5-minute job (tasks.iot_rollup_readings) recomputes these hours itself
LATE_MARGIN_DAYS = 2
BATCH = 10_000
PROGRESS_EVERY = 250  # devices

# progress(step, done, total, rows): step is "check", "readings", "rollups", "dead_letters" or "rollup"
Progress = Callable[[str, int, int, int], None]


def _now_ms(now) -> int:
    return dt_to_ms(now or timezone.now())


def hour_floor(ms: int) -> int:
    return ms // HOUR_MS * HOUR_MS


def retention_cutoff_ms(days: int, *, now=None) -> int:
    """Start of the hour ``days`` ago: everything before it is out of retention. Whole hours only, so
    an hour is never half purged (a later recompute would overwrite its rollup with half the data)."""
    return hour_floor(_now_ms(now) - days * DAY_MS)


def _device_ids() -> list[int]:
    return list(Device.objects.order_by("pk").values_list("pk", flat=True))


def _report(progress: Progress | None, step: str, done: int, total: int, rows: int, force: bool = False):
    if progress and (force or done % PROGRESS_EVERY == 0):
        progress(step, done, total, rows)


# ----------------------------------------------------------------------------- rollup checks


def hour_counts(device_id: int, lo_ms: int, hi_ms: int) -> dict[int, int]:
    """{epoch hour: readings} of one device in [lo, hi), counted along the primary key."""
    rows = (
        Reading.objects.filter(device_id=device_id, ts__gte=lo_ms, ts__lt=hi_ms)
        .annotate(h=F("ts") / HOUR_MS)
        .values("h")
        .annotate(n=Count("ts"))
        .order_by()
    )
    return {r["h"]: r["n"] for r in rows}


def stale_hours(device_id: int, counts: dict[int, int]) -> set[int]:
    """Hours of ``counts`` whose rollup is missing or was computed from a different number of rows."""
    if not counts:
        return set()
    rolled = dict(
        ReadingHour.objects.filter(device_id=device_id, hour__gte=min(counts), hour__lte=max(counts)).values_list(
            "hour", "n"
        )
    )
    return {h for h, n in counts.items() if rolled.get(h) != n}


def rollup_windows(hours) -> list[tuple[int, int]]:
    """Group epoch hours into [since_ms, until_ms) windows for ``jobs.rollup_readings``: at most
    one per UTC day, from its first to its last listed hour (each call scans by ``ts``, so fewer and
    whole-hour windows are cheaper than many)."""
    by_day = defaultdict(list)
    for h in hours:
        by_day[h // 24].append(h)
    return [(min(hs) * HOUR_MS, (max(hs) + 1) * HOUR_MS) for _day, hs in sorted(by_day.items())]


def _recompute(windows, progress: Progress | None) -> int:
    rows = 0
    for i, (since, until) in enumerate(windows, 1):
        rows += jobs.rollup_readings(since_ms=since, until_ms=until)
        _report(progress, "rollup", i, len(windows), rows, force=True)
    return rows


@dataclass
class LateRollupResult:
    devices: int = 0
    stale_hours: int = 0
    windows: int = 0
    rows: int = 0
    seconds: float = 0.0


def rollup_late_readings(*, now=None, days: int | None = None, progress: Progress | None = None) -> LateRollupResult:
    """Recompute the rollup of every hour of the last ``days`` whose readings changed after it was
    rolled up, i.e. late readings. Default: ``MAX_TS_AGE_DAYS`` (the oldest ``ts`` the pipeline
    accepts) + 2, since a reading accepted just after a daily run is a day older at the next one.

    The recent hours are left to the 5-minute job. Idempotent; with no late data it only reads.
    """
    t0 = time.perf_counter()
    days = iot_setting("MAX_TS_AGE_DAYS") + LATE_MARGIN_DAYS if days is None else days
    now_ms = _now_ms(now)
    lo, hi = hour_floor(now_ms - days * DAY_MS), hour_floor(now_ms) - RECENT_HOURS * HOUR_MS
    result = LateRollupResult()
    stale: set[int] = set()
    ids = _device_ids()
    for i, device_id in enumerate(ids, 1):
        found = stale_hours(device_id, hour_counts(device_id, lo, hi))
        if found:
            result.devices += 1
            stale |= found
        _report(progress, "check", i, len(ids), len(stale))
    _report(progress, "check", len(ids), len(ids), len(stale), force=True)
    windows = rollup_windows(stale)
    result.stale_hours, result.windows = len(stale), len(windows)
    result.rows = _recompute(windows, progress)
    result.seconds = time.perf_counter() - t0
    record_job(job="iot.rollup_late_readings", model=ReadingHour, summary={**asdict(result), "days": days})
    return result


# ----------------------------------------------------------------------------- purge


def _delete_batches(qs, order: str, batch: int) -> int:
    """Delete ``qs`` (one device's rows, ordered along its key by ``order``) in transactions of at most
    ``batch`` rows: each round deletes up to the (batch+1)-th key, found by an index range scan."""
    deleted = 0
    while True:
        bound = list(qs.order_by(order).values_list(order, flat=True)[batch : batch + 1])
        part = qs.filter(**{f"{order}__lt": bound[0]}) if bound else qs
        deleted += part.delete()[0]
        if not bound:
            return deleted


@dataclass
class PurgeResult:
    dry_run: bool = False
    readings: int = 0
    rollups: int = 0
    dead_letters: int = 0
    rollup_windows: int = 0  # recomputed (or, in a dry run, to recompute) before deleting readings
    kept_hours: int = 0  # out of retention, kept because their rollup could not be confirmed
    cutoffs: dict = field(default_factory=dict)
    seconds: float = 0.0


def purge_readings(
    *,
    now=None,
    batch: int = BATCH,
    dry_run: bool = False,
    progress: Progress | None = None,
    result: PurgeResult | None = None,
) -> PurgeResult:
    """Delete raw readings older than ``RAW_RETENTION_DAYS``, device by device, in batches.

    First every out-of-retention hour is checked against its rollup; the days holding a missing or
    stale one are recomputed (``jobs.rollup_readings``), then checked again: an hour whose rollup
    still does not match is kept (and logged), so no hour ever loses both its readings and its rollup.
    """
    result = result or PurgeResult(dry_run=dry_run)
    days = iot_setting("RAW_RETENTION_DAYS")
    if days <= iot_setting("MAX_TS_AGE_DAYS"):
        # A late reading could then land in an hour already purged, and its recompute would replace
        # the full rollup by one made of the late reading alone (system check iot.E001).
        raise ImproperlyConfigured("SAFESERVE_IOT RAW_RETENTION_DAYS must exceed MAX_TS_AGE_DAYS")
    cutoff = retention_cutoff_ms(days, now=now)
    result.cutoffs["readings"] = cutoff
    ids = _device_ids()
    plan: dict[int, int] = {}  # device -> rows out of retention
    stale_by_device: dict[int, set[int]] = {}
    old = 0
    for i, device_id in enumerate(ids, 1):
        counts = hour_counts(device_id, 0, cutoff)
        if counts:
            plan[device_id] = sum(counts.values())
            old += plan[device_id]
            found = stale_hours(device_id, counts)
            if found:
                stale_by_device[device_id] = found
        _report(progress, "check", i, len(ids), old)
    _report(progress, "check", len(ids), len(ids), old, force=True)
    windows = rollup_windows(set().union(*stale_by_device.values()))
    result.rollup_windows = len(windows)
    if dry_run:
        result.readings = old
        return result
    _recompute(windows, progress)
    done = 0
    for i, device_id in enumerate(plan, 1):
        upper = cutoff
        if device_id in stale_by_device:
            still = stale_hours(device_id, hour_counts(device_id, 0, cutoff))
            if still:
                log.warning("iot purge: device %s keeps %s hours whose rollup does not match", device_id, len(still))
                result.kept_hours += len(still)
                upper = min(still) * HOUR_MS
        done += _delete_batches(Reading.objects.filter(device_id=device_id, ts__lt=upper), "ts", batch)
        _report(progress, "readings", i, len(plan), done)
    _report(progress, "readings", len(plan), len(plan), done, force=True)
    result.readings = done
    return result


def purge_rollups(
    *,
    now=None,
    batch: int = BATCH,
    dry_run: bool = False,
    progress: Progress | None = None,
    result: PurgeResult | None = None,
) -> PurgeResult:
    """Delete hourly rollups older than ``ROLLUP_RETENTION_DAYS``, device by device, in batches."""
    result = result or PurgeResult(dry_run=dry_run)
    cutoff_hour = retention_cutoff_ms(iot_setting("ROLLUP_RETENTION_DAYS"), now=now) // HOUR_MS
    result.cutoffs["rollups"] = cutoff_hour * HOUR_MS
    ids = _device_ids()
    done = 0
    for i, device_id in enumerate(ids, 1):
        qs = ReadingHour.objects.filter(device_id=device_id, hour__lt=cutoff_hour)
        done += qs.count() if dry_run else _delete_batches(qs, "hour", batch)
        _report(progress, "rollups", i, len(ids), done)
    _report(progress, "rollups", len(ids), len(ids), done, force=True)
    result.rollups = done
    return result


def purge_dead_letters(
    *,
    now=None,
    batch: int = BATCH,
    dry_run: bool = False,
    progress: Progress | None = None,
    result: PurgeResult | None = None,
) -> PurgeResult:
    """Delete dead letters received more than ``DEADLETTER_RETENTION_DAYS`` ago, in batches."""
    result = result or PurgeResult(dry_run=dry_run)
    cutoff = (now or timezone.now()) - timedelta(days=iot_setting("DEADLETTER_RETENTION_DAYS"))
    result.cutoffs["dead_letters"] = dt_to_ms(cutoff)
    old = DeadLetter.objects.filter(received_at__lt=cutoff)
    if dry_run:
        result.dead_letters = old.count()
        return result
    total, done = old.count(), 0
    while done < total:
        n = DeadLetter.objects.filter(pk__in=old.order_by("received_at", "pk").values("pk")[:batch]).delete()[0]
        if not n:
            break
        done += n
        _report(progress, "dead_letters", done, total, done, force=True)
    result.dead_letters = done
    return result


def purge(*, now=None, batch: int = BATCH, dry_run: bool = False, progress: Progress | None = None) -> PurgeResult:
    """The daily retention job: raw readings, then rollups, then dead letters."""
    t0 = time.perf_counter()
    now = now or timezone.now()
    result = PurgeResult(dry_run=dry_run)
    for step in (purge_readings, purge_rollups, purge_dead_letters):
        step(now=now, batch=batch, dry_run=dry_run, progress=progress, result=result)
    result.seconds = time.perf_counter() - t0
    if not dry_run:
        record_job(job="iot.purge", model=Reading, summary=purge_summary(result))
    return result


def purge_summary(result: PurgeResult) -> dict:
    """The purge's audit summary: counts, and cut-offs as datetimes (docs/decisions/0017-queued-delivery.md)."""
    return {**asdict(result), "cutoffs": {k: ms_to_dt(v) for k, v in result.cutoffs.items()}}
