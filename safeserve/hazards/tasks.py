"""Scheduled jobs (huey): reminders before the deadline and the daily escalation of overdue hazards."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import actions


@db_periodic_task(crontab(hour="8", minute="0"))
def hazard_deadline_reminders():
    return actions.send_deadline_reminders()


@db_periodic_task(crontab(hour="8", minute="10"))
def hazard_escalate_overdue():
    return actions.escalate_overdue()
