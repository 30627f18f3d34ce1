"""Periodic jobs fire at the local (Asia/Shanghai) times they name, whatever huey's UTC clock says."""

import inspect
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY
from huey.utils import utcnow

autodiscover_modules("tasks")  # what `manage.py run_huey` does: every app's jobs are registered

TZ = ZoneInfo("Asia/Shanghai")

# job -> the local time it must fire at (hour, minute), as documented in each tasks.py / docs.
DAILY = {
    "hazard_deadline_reminders": (8, 0),
    "hazard_escalate_overdue": (8, 10),
    "expire_contracts_daily": (0, 20),
    "flag_missing_visits_daily": (7, 30),
    "iot_rollup_late_readings": (3, 7),
    "iot_purge_data": (3, 37),
}


def due_at(local: datetime) -> set[str]:
    """The periodic jobs the huey scheduler would enqueue at this local wall-clock time."""
    with time_machine.travel(local.replace(tzinfo=TZ), tick=False):
        return {task.name.rsplit(".", 1)[-1] for task in HUEY.read_periodic(utcnow())}


def test_every_periodic_job_names_a_local_time():
    """One convention: a bare huey.crontab (UTC) would fire 8 hours early in Shanghai."""
    for task_class in HUEY._registry._periodic_tasks:
        schedule = inspect.getclosurevars(task_class.validate_datetime).nonlocals["validate_datetime"]
        assert hasattr(schedule, "local"), f"{task_class.__name__} uses a UTC crontab, not core.jobs.local_crontab"
    assert {t.__name__ for t in HUEY._registry._periodic_tasks} >= set(DAILY)


@pytest.mark.parametrize(("job", "at"), DAILY.items())
def test_daily_job_fires_at_its_local_time_only(job, at):
    hour, minute = at
    assert job in due_at(datetime(2026, 12, 1, hour, minute))
    # Not at the same wall-clock time read as UTC (8 hours later in Shanghai), nor a minute off.
    assert job not in due_at(datetime(2026, 12, 1, (hour + 8) % 24, minute))
    assert job not in due_at(datetime(2026, 12, 1, hour, (minute + 1) % 60))


def test_expiry_job_fires_at_0020_shanghai_not_at_0820():
    assert "expire_contracts_daily" in due_at(datetime(2026, 12, 1, 0, 20))
    assert "expire_contracts_daily" not in due_at(datetime(2026, 12, 1, 8, 20))


def test_minutely_and_five_minute_jobs_still_fire():
    assert {"iot_detect_offline", "iot_escalate_alarms"} <= due_at(datetime(2026, 12, 1, 13, 1))
    assert {"iot_rollup_readings", "sweep_deliveries"} <= due_at(datetime(2026, 12, 1, 13, 5))
    assert "sweep_deliveries" not in due_at(datetime(2026, 12, 1, 13, 6))
