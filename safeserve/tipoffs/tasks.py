"""Scheduled jobs (local times): the daily escalation of overdue reports at 08:20, and the purge of
the public doors' counters at 03:40."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions
from .models import Tipoff, TrackingAttempt


@db_periodic_task(local_crontab(hour="8", minute="20"))
def tipoffs_escalate_overdue():
    today = timezone.localdate()
    sent = actions.escalate_overdue(today)
    record_job(job="tipoffs.escalate_overdue", model=Tipoff, summary={"notified": sent, "deadline_before": today})
    return sent


@db_periodic_task(local_crontab(hour="3", minute="40"))
def tipoffs_purge_attempts():
    deleted = actions.purge_attempts()
    record_job(job="tipoffs.purge_attempts", model=TrackingAttempt, summary={"deleted": deleted})
    return deleted
