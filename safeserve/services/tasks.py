"""Scheduled jobs (huey), at local times (Asia/Shanghai): contracts expire at 00:20, missing visits are
flagged at 07:30. Bodies live in actions.py so tests call them with a frozen clock."""

from huey.contrib.djhuey import db_periodic_task

from safeserve.core.jobs import local_crontab

from . import actions


@db_periodic_task(local_crontab(hour="0", minute="20"))
def expire_contracts_daily():
    return actions.expire_contracts()


@db_periodic_task(local_crontab(hour="7", minute="30"))
def flag_missing_visits_daily():
    return actions.flag_missing_visits()
