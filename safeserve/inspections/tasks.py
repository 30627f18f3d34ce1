"""Scheduled jobs (huey), at local times (Asia/Shanghai)."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions
from .models import Inspection


@db_periodic_task(local_crontab(hour="8", minute="20"))
def inspection_publish_reminders():
    """一公开: remind officers before a result's publication deadline; the county once it is late."""
    today = timezone.localdate()
    sent = actions.remind_unpublished(today)
    record_job(job="inspections.publish_reminders", model=Inspection, summary={"notified": sent, "today": today})
    return sent
