"""Scheduled jobs (huey), at local times (Asia/Shanghai): reminders before the deadline at 08:00 and the
daily escalation of overdue hazards at 08:10."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions, conf
from .models import Hazard


@db_periodic_task(local_crontab(hour="8", minute="0"))
def hazard_deadline_reminders():
    today = timezone.localdate()
    sent = actions.send_deadline_reminders(today)
    summary = {"notified": sent, "today": today, "reminder_days": conf.get("HAZARD_REMINDER_DAYS")}
    record_job(job="hazards.deadline_reminders", model=Hazard, summary=summary)
    return sent


@db_periodic_task(local_crontab(hour="8", minute="10"))
def hazard_escalate_overdue():
    today = timezone.localdate()
    sent = actions.escalate_overdue(today)
    record_job(job="hazards.escalate_overdue", model=Hazard, summary={"notified": sent, "deadline_before": today})
    return sent
