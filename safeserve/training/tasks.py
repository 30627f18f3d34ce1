"""Scheduled job (huey), local time: certificates expiring within the reminder window are announced
at 08:10. The body lives in actions.py so tests call it with a frozen clock."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions
from .models import Certificate


@db_periodic_task(local_crontab(hour="8", minute="10"))
def remind_expiring_certificates_daily():
    today = timezone.localdate()
    sent = actions.remind_expiring_certificates(today)
    record_job(
        job="training.remind_expiring_certificates", model=Certificate, summary={"notified": sent, "today": today}
    )
    return sent
