"""Periodic jobs (huey). The bodies live in actions.py so tests call them with a frozen clock."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import actions


@db_periodic_task(crontab(minute="*"))
def iot_detect_offline():
    return actions.detect_offline()


@db_periodic_task(crontab(minute="*"))
def iot_escalate_alarms():
    return actions.escalate_alarms()


@db_periodic_task(crontab(minute="*/5"))
def iot_rollup_readings():
    return actions.rollup_readings()
