"""Scheduled jobs (huey), at local times (Asia/Shanghai): contracts expire at 00:20, missing visits are
flagged at 07:30, photos chosen but never saved with a visit are deleted at 03:40. Bodies live in
actions.py so tests call them with a frozen clock."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions
from .models import PendingPhoto, ServiceContract, ServiceVisit


@db_periodic_task(local_crontab(hour="0", minute="20"))
def expire_contracts_daily():
    today = timezone.localdate()
    n = actions.expire_contracts(today)
    record_job(job="services.expire_contracts", model=ServiceContract, summary={"expired": n, "end_date_before": today})
    return n


@db_periodic_task(local_crontab(hour="7", minute="30"))
def flag_missing_visits_daily():
    today = timezone.localdate()
    sent = actions.flag_missing_visits(today)
    record_job(job="services.flag_missing_visits", model=ServiceVisit, summary={"notified": sent, "today": today})
    return sent


@db_periodic_task(local_crontab(hour="3", minute="40"))
def purge_pending_photos_daily():
    n = actions.purge_pending_photos()
    record_job(job="services.purge_pending_photos", model=PendingPhoto, summary={"deleted": n})
    return n
