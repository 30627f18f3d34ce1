"""Scheduled jobs (huey): bodies live in actions.py so tests call them with a frozen clock."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import actions


@db_periodic_task(crontab(hour="0", minute="20"))
def expire_contracts_daily():
    return actions.expire_contracts()


@db_periodic_task(crontab(hour="7", minute="30"))
def flag_missing_visits_daily():
    return actions.flag_missing_visits()
