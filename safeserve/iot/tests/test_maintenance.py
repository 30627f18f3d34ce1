"""Retention (purge), rollups of late readings, and their commands and daily jobs."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeserve.iot import ingest, jobs, maintenance, tasks
from safeserve.iot.apps import check_retention
from safeserve.iot.models import DeadLetter, Reading, ReadingHour, dt_to_ms

from .conftest import msg

pytestmark = pytest.mark.django_db
H = maintenance.HOUR_MS
DAY = maintenance.DAY_MS


def put(device, *ts_list, residual=100.0):
    """Readings at exact timestamps (older than the pipeline accepts, so written directly)."""
    Reading.objects.bulk_create(
        [Reading(device=device, ts=ts, residual_ma=residual + i) for i, ts in enumerate(ts_list)]
    )


def rollup_hour(ts):
    jobs.rollup_readings(since_ms=ts // H * H, until_ms=ts // H * H + H)


def ts_of(device):
    return sorted(Reading.objects.filter(device=device).values_list("ts", flat=True))


def rollups_of(device):
    return dict(ReadingHour.objects.filter(device=device).values_list("hour", "n"))


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def old_data(world, now):
    """Around the 90-day cutoff: device_a has an hour rolled up, an hour never rolled up (H2), and
    readings exactly at and after the cutoff; device_b has an hour whose rollup is stale (a late
    reading arrived after it was computed)."""
    a, b = world["device_a"], world["device_b"]
    cutoff = maintenance.retention_cutoff_ms(90, now=now)
    h1, h2 = cutoff - 2 * H, cutoff - H
    put(a, h1 + 5 * 60_000, h1 + 30 * 60_000)
    rollup_hour(h1)
    put(a, h2 + 10 * 60_000, cutoff - 1)  # H2: no rollup at all
    put(a, cutoff, cutoff + H + 1)  # inside the retention: kept
    put(b, h1 + 60_000)
    rollup_hour(h1)  # also rolls up device_a's h1 again (same rows)
    put(b, h1 + 120_000)  # late: device_b's h1 rollup now says n=1 for 2 readings
    assert rollups_of(a).get(h2 // H) is None and rollups_of(b)[h1 // H] == 1
    return {"cutoff": cutoff, "h1": h1, "h2": h2, "recent_a": ts_of(a)[-1], "recent_b": ts_of(b)[-1]}


def test_purge_deletes_only_before_the_cutoff_and_rolls_up_missing_hours_first(world, now, old_data):
    a, b, o = world["device_a"], world["device_b"], old_data
    result = maintenance.purge_readings(now=now, batch=1)  # one row per transaction: the batching loop runs
    assert result.readings == 6
    assert result.rollup_windows >= 1
    # Exactly the readings at and after the cutoff remain (and the fixture's reading of today).
    assert ts_of(a) == [o["cutoff"], o["cutoff"] + H + 1, o["recent_a"]]
    assert ts_of(b) == [o["recent_b"]]
    # Every purged hour has its rollup, made from all of its readings.
    assert rollups_of(a)[o["h1"] // H] == 2
    assert rollups_of(a)[o["h2"] // H] == 2  # computed before its readings went
    assert rollups_of(b)[o["h1"] // H] == 2  # the stale rollup was recomputed with the late reading
    hour2 = ReadingHour.objects.get(device=a, hour=o["h2"] // H)
    assert hour2.residual_ma_max == 101.0
    # Idempotent: nothing left to do.
    again = maintenance.purge_readings(now=now)
    assert (again.readings, again.rollup_windows) == (0, 0)


def test_purge_deletes_along_the_key_in_bounded_batches(world, now):
    a = world["device_a"]
    cutoff = maintenance.retention_cutoff_ms(90, now=now)
    put(a, *(cutoff - DAY + i * 60_000 for i in range(25)))
    jobs.rollup_readings(since_ms=cutoff - DAY, until_ms=cutoff)
    with CaptureQueriesContext(connection) as ctx:
        assert maintenance.purge_readings(now=now, batch=10).readings == 25
    deletes = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 10 + 10 + 5
    assert all('"device_id" = ' in sql and '"ts" <' in sql for sql in deletes)


def test_purge_keeps_hours_whose_rollup_cannot_be_confirmed(world, now, old_data, monkeypatch):
    monkeypatch.setattr(jobs, "rollup_readings", lambda **kwargs: 0)  # a rollup that silently fails
    a, o = world["device_a"], old_data
    result = maintenance.purge_readings(now=now)
    assert result.kept_hours == 2  # device_a's H2 and device_b's stale hour
    # device_a: h1 (rolled up) is purged, H2 (no rollup) and everything after it stays.
    assert ts_of(a)[:2] == [o["h2"] + 10 * 60_000, o["cutoff"] - 1]
    assert len(ts_of(world["device_b"])) == 3  # its only old hour is stale: nothing deleted


def test_dry_run_counts_and_changes_nothing(world, now, old_data):
    before = (Reading.objects.count(), ReadingHour.objects.count())
    result = maintenance.purge(now=now, dry_run=True)
    assert (result.readings, result.rollups, result.dead_letters) == (6, 0, 0)
    assert result.rollup_windows >= 1
    assert (Reading.objects.count(), ReadingHour.objects.count()) == before


def test_rollups_and_dead_letters_have_their_own_retention(world, now):
    a = world["device_a"]
    cutoff_hour = maintenance.retention_cutoff_ms(3 * 365, now=now) // H
    ReadingHour.objects.bulk_create(
        [ReadingHour(device=a, hour=h, n=1) for h in (cutoff_hour - 30, cutoff_hour - 1, cutoff_hour, cutoff_hour + 1)]
    )
    old = DeadLetter.objects.create(source="http", reason="bad_json", device_code="OLD")
    DeadLetter.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=30, seconds=1))
    young = DeadLetter.objects.create(source="http", reason="bad_json", device_code="YOUNG")
    DeadLetter.objects.filter(pk=young.pk).update(received_at=now - timedelta(days=29, hours=23))
    kept_letters = set(DeadLetter.objects.exclude(pk=old.pk).values_list("pk", flat=True))

    result = maintenance.purge(now=now, batch=1)
    assert (result.rollups, result.dead_letters) == (2, 1)
    hours = set(ReadingHour.objects.filter(device=a).values_list("hour", flat=True))
    assert cutoff_hour - 1 not in hours and cutoff_hour - 30 not in hours
    assert {cutoff_hour, cutoff_hour + 1} <= hours
    assert set(DeadLetter.objects.values_list("pk", flat=True)) == kept_letters


def test_raw_retention_must_outlive_the_oldest_accepted_reading(settings, now):
    settings.SAFESERVE_IOT = {**settings.SAFESERVE_IOT, "RAW_RETENTION_DAYS": 30}
    assert [e.id for e in check_retention()] == ["iot.E001"]
    with pytest.raises(ImproperlyConfigured):
        maintenance.purge_readings(now=now)
    settings.SAFESERVE_IOT = {**settings.SAFESERVE_IOT, "RAW_RETENTION_DAYS": 31}
    assert check_retention() == []


def test_late_readings_are_rolled_up_by_the_daily_job(world, now):
    a = world["device_a"]
    hour = (dt_to_ms(now) - 3 * DAY) // H * H
    body = [{"ts": hour + i * 60_000, "values": {"residual_ma": 100}} for i in range(3)]
    assert ingest.ingest([msg(a.code, world["secret_a"], body)]).stored == 3
    recent = dt_to_ms(now) // H * H - H  # left to the 5-minute job
    put(a, recent + 1)
    first = maintenance.rollup_late_readings(now=now)
    assert (first.stale_hours, first.windows) == (1, 1)  # the hour 3 days ago had no rollup yet
    assert rollups_of(a)[hour // H] == 3
    assert recent // H not in rollups_of(a)
    assert maintenance.rollup_late_readings(now=now).stale_hours == 0  # nothing changed since

    # A device uploads a buffered reading for that hour, 3 days late (the pipeline accepts 30 days).
    late = [{"ts": hour + 30 * 60_000, "values": {"residual_ma": 900}}]
    assert ingest.ingest([msg(a.code, world["secret_a"], late)]).stored == 1
    assert rollups_of(a)[hour // H] == 3  # the 5-minute job never looks that far back
    result = maintenance.rollup_late_readings(now=now)
    assert (result.devices, result.stale_hours) == (1, 1)
    row = ReadingHour.objects.get(device=a, hour=hour // H)
    assert (row.n, row.residual_ma_max) == (4, 900.0)


def test_rollup_windows_group_hours_per_day():
    day = 20_000 * 24
    assert maintenance.rollup_windows({day + 3, day + 1, day + 25, day + 30}) == [
        ((day + 1) * H, (day + 4) * H),
        ((day + 25) * H, (day + 31) * H),
    ]
    assert maintenance.rollup_windows(set()) == []


def test_daily_jobs_are_thin_wrappers(world, now, old_data):
    with time_machine.travel(now, tick=False):
        assert tasks.iot_purge_data.call_local() == {"readings": 6, "rollups": 0, "dead_letters": 0}
        assert tasks.iot_rollup_late_readings.call_local() == 0


# ----------------------------------------------------------------------------- commands


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_purge_command_dry_run_then_for_real(world, old_data):
    out = run("purge_iot_data", "--dry-run")
    assert "试运行" in out and "监测数据：保留 90 天" in out and "将删除 6 条" in out
    assert "需补算" in out
    assert Reading.objects.filter(ts__lt=old_data["cutoff"]).count() == 6
    out = run("purge_iot_data", "--batch", "2")
    assert "已删除 6 条" in out and "小时汇总：保留 1095 天" in out and "死信：保留 30 天" in out
    assert "核对小时汇总" in out and "完成" in out  # progress and total
    assert not Reading.objects.filter(ts__lt=old_data["cutoff"]).exists()
    assert rollups_of(world["device_a"])[old_data["h2"] // H] == 2


@pytest.fixture
def two_days(world):
    """Readings on 2026-03-01 and 2026-03-02 (Asia/Shanghai), none rolled up."""
    a = world["device_a"]
    tz = timezone.get_current_timezone()
    day1 = dt_to_ms(datetime(2026, 3, 1, tzinfo=tz))
    put(a, day1 + 5 * 60_000, day1 + H + 1, day1 + DAY + 7 * H, day1 + DAY + 23 * H + 59 * 60_000)
    return day1


def test_rollup_command_recomputes_day_by_day_and_is_idempotent(world, two_days):
    a, day1 = world["device_a"], two_days
    with time_machine.travel(datetime(2026, 3, 10, tzinfo=timezone.get_current_timezone())):
        out = run("rollup_readings", "--since", "2026-03-01", "--until", "2026-03-02")
        assert "2026-03-01:2 条小时汇总" in out and "2026-03-02:2 条小时汇总" in out
        assert "完成：2 天，4 条小时汇总" in out
        expected = {day1 // H: 1, day1 // H + 1: 1, (day1 + DAY) // H + 7: 1, (day1 + DAY) // H + 23: 1}
        assert {h: n for h, n in rollups_of(a).items() if h in expected} == expected
        count = ReadingHour.objects.count()
        run("rollup_readings", "--since", "2026-03-01", "--until", "2026-03-02")
        assert ReadingHour.objects.count() == count
        # Only the chosen day: the second day's hours are not touched.
        ReadingHour.objects.all().delete()
        run("rollup_readings", "--since", "2026-03-02", "--until", "2026-03-02")
        assert set(rollups_of(a)) == {(day1 + DAY) // H + 7, (day1 + DAY) // H + 23}


def test_rollup_command_without_dates_starts_at_the_oldest_reading(world, two_days):
    with time_machine.travel(datetime(2026, 3, 3, 12, tzinfo=timezone.get_current_timezone())):
        Reading.objects.filter(ts__gt=dt_to_ms(timezone.now())).delete()  # the fixture's readings of today
        out = run("rollup_readings")
    assert out.splitlines()[0].startswith("2026-03-01:")
    assert "完成：3 天，4 条小时汇总" in out


def test_rollup_command_late_mode_and_bad_arguments(world):
    assert "0 个小时需补算" in run("rollup_readings", "--late")
    with pytest.raises(CommandError):
        run("rollup_readings", "--since", "2026-13-01")
    with pytest.raises(CommandError):
        run("rollup_readings", "--since", "2026-03-02", "--until", "2026-03-01")
    with pytest.raises(CommandError):
        run("rollup_readings", "--late", "--since", "2026-03-01")


def test_rollup_command_with_no_readings(db):
    assert "没有监测数据" in run("rollup_readings")
