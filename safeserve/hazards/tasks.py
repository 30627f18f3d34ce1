"""Scheduled jobs (huey), at local times (Asia/Shanghai): reminders before the deadline at 08:00 and the
daily escalation of overdue hazards at 08:10."""

from huey.contrib.djhuey import db_periodic_task

from safeserve.core.jobs import local_crontab

from . import actions


@db_periodic_task(local_crontab(hour="8", minute="0"))
def hazard_deadline_reminders():
    return actions.send_deadline_reminders()


@db_periodic_task(local_crontab(hour="8", minute="10"))
def hazard_escalate_overdue():
    return actions.escalate_overdue()
