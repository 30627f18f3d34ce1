"""Periodic jobs (huey). The bodies live in jobs.py and maintenance.py so tests call them with a
frozen clock. Daily jobs run at 03:xx local time (core.jobs.local_crontab), the quiet hours."""

from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import jobs, maintenance
from .models import Alarm


@db_periodic_task(local_crontab(minute="*"))
def iot_detect_offline():
    opened = jobs.detect_offline()
    if opened:  # every minute: a summary only when it opened alarms
        record_job(job="iot.detect_offline", model=Alarm, summary={"opened": opened})
    return opened


@db_periodic_task(local_crontab(minute="*"))
def iot_escalate_alarms():
    return jobs.escalate_alarms()


@db_periodic_task(local_crontab(minute="*/5"))
def iot_rollup_readings():
    return jobs.rollup_readings()


@db_periodic_task(local_crontab(hour="3", minute="7"))
def iot_rollup_late_readings():
    """Hours changed by late (buffered) readings since the 5-minute job rolled them up."""
    return maintenance.rollup_late_readings().stale_hours


@db_periodic_task(local_crontab(hour="3", minute="37"))
def iot_purge_data():
    """Retention: raw readings, rollups and dead letters (docs/iot-protocol.md)."""
    result = maintenance.purge()
    return {"readings": result.readings, "rollups": result.rollups, "dead_letters": result.dead_letters}
