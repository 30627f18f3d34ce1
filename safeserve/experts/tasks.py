"""Scheduled job (huey): every 10 minutes, invitations past their answer deadline expire and the next
reserve is called (experts.actions.expire_invitations)."""

from huey.contrib.djhuey import db_periodic_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import actions
from .models import Invitation


@db_periodic_task(local_crontab(minute="*/10"))
def expert_invitations_expire():
    expired = actions.expire_invitations()
    if expired:
        record_job(job="experts.expire_invitations", model=Invitation, summary={"expired": expired})
    return expired
