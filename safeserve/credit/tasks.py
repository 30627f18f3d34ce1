"""Scheduled jobs (huey), at local times: every grade recomputed nightly at 01:30 (facts of other apps
and states such as an overdue 重大 hazard change without an event here), and the county warned of
listings that end in 30 days or today at 08:20."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions, conf
from .models import CreditGrade, Listing


@db_periodic_task(local_crontab(hour="1", minute="30"))
def credit_regrade_all():
    today = timezone.localdate()
    changed = {s: actions.recompute_grades(s, None, today) for s in ("enterprise", "agency")}
    record_job(job="credit.regrade_all", model=CreditGrade, summary={**changed, "as_of": today})
    return changed


@db_periodic_task(local_crontab(hour="8", minute="20"))
def credit_listing_expiry_warnings():
    today = timezone.localdate()
    sent = actions.warn_expiring(today)
    summary = {"notified": sent, "today": today, "warning_days": conf.get("CREDIT_EXPIRY_WARNING_DAYS")}
    record_job(job="credit.listing_expiry", model=Listing, summary=summary)
    return sent
