"""Delivery jobs (huey). ``notify()`` enqueues ``deliver_notifications`` on commit; the job sends and
schedules its own retries; the sweep requeues deliveries whose job was lost."""

import logging

from huey.contrib.djhuey import db_periodic_task, db_task

from safeserve.core.audit import record_job
from safeserve.core.jobs import local_crontab

from . import delivery
from .models import Delivery

log = logging.getLogger("safeserve.notifications")
CHUNK = 200


def enqueue_delivery(ids, *, delay: int | None = None) -> None:
    """Queue the delivery job for ``ids``. A queue that cannot be reached loses nothing: the rows stay
    ``pending`` and the sweep requeues them."""
    for i in range(0, len(ids), CHUNK):
        part = list(ids[i : i + CHUNK])
        try:
            if delay:
                deliver_notifications.schedule(args=(part,), delay=delay)
            else:
                deliver_notifications(part)
        except Exception:
            log.exception("could not queue deliveries %s; the sweep will requeue them", part)


@db_task()
def deliver_notifications(ids):
    result = delivery.deliver(ids)
    for delay, retry_ids in result.retry.items():
        enqueue_delivery(retry_ids, delay=delay)
    return {"sent": len(result.sent), "failed": len(result.failed), "retry": sum(map(len, result.retry.values()))}


@db_periodic_task(local_crontab(minute="*/5"))
def sweep_deliveries():
    result = delivery.sweep()
    enqueue_delivery(result.requeue)
    if result.unknown or result.requeue:
        record_job(
            job="notifications.sweep_deliveries",
            model=Delivery,
            summary={"marked_unknown": result.unknown, "requeued": len(result.requeue)},
        )
    return {"unknown": result.unknown, "requeued": len(result.requeue)}
