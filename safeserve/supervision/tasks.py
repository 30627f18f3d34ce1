"""Scheduled jobs (huey), at local times (Asia/Shanghai): on the 5th of January and July at 08:30 the
county is reminded to run the sampling round of the half year just ended (until it has)."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions
from .models import SamplingRound


@db_periodic_task(local_crontab(month="1,7", day="5-15", hour="8", minute="30"))
def remind_sampling_daily():
    today = timezone.localdate()
    sent = actions.remind_sampling(today)
    record_job(job="supervision.remind_sampling", model=SamplingRound, summary={"notified": sent, "today": today})
    return sent
