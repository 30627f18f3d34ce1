"""Periodic job: the previous month's coverage snapshot, early on the 1st (local time)."""

from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import jobs
from .models import CoverageSnapshot


@db_periodic_task(local_crontab(day="1", hour="2", minute="17"))
def coverage_monthly_snapshot():
    month, rows = jobs.snapshot_last_month()
    record_job(
        job="coverage.monthly_snapshot", model=CoverageSnapshot, summary={"month": f"{month:%Y-%m}", "rows": rows}
    )
    return rows
