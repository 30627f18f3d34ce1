"""Scheduled job (huey), local time: remind the graded parties of the objection deadline at 08:20."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions, conf
from .models import Assessment


@db_periodic_task(local_crontab(hour="8", minute="20"))
def assessment_deadline_reminders():
    today = timezone.localdate()
    sent = actions.remind_objection_deadline(today)
    summary = {"notified": sent, "today": today, "reminder_days": conf.get("ASSESSMENT_REMINDER_DAYS")}
    record_job(job="assessment.deadline_reminders", model=Assessment, summary=summary)
    return sent
