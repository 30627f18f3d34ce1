"""The delivery job's body: claim, send, record. Runs in the huey worker, never in the process that
wrote the notification (web request, MQTT ingestion worker).

Semantics (docs/decisions/0017-queued-delivery.md):
- **Claim first.** One conditional UPDATE moves a row ``pending`` -> ``sending``; a second job for
  the same row (a retry, a duplicate enqueue, two workers) finds nothing to claim and sends nothing.
- **Known failures are retried** (an exception from the channel, including a timeout) with backoff
  ``RETRY_SECONDS * 4**(attempt-1)`` until ``MAX_ATTEMPTS``, then ``failed``. The delivery key is the
  same on every attempt, so a receiver that honours ``Idempotency-Key`` drops a duplicate.
- **A crash between sending and recording is not retried**: the row stays ``sending`` and the sweep
  turns it ``unknown`` after ``SENDING_LEASE``, for a county officer to look at and resend by hand.
  At-most-once where the outcome is unknown, at-least-once where it is known to have failed.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .channels import configured_channels
from .models import Delivery, DeliveryStatus

log = logging.getLogger("safeserve.notifications")

SENDING_LEASE = timedelta(minutes=15)  # far beyond any channel's timeout (webhook: 5 s)
PENDING_GRACE = timedelta(minutes=5)  # a pending row this overdue has lost its job: the sweep requeues it
SWEEP_LIMIT = 5000


def max_attempts() -> int:
    return settings.SAFESERVE_NOTIFY_MAX_ATTEMPTS


def backoff(attempts: int) -> timedelta:
    """Delay before attempt ``attempts + 1``: 1, 4, 16, 64 ... times the base (60 s by default)."""
    return timedelta(seconds=settings.SAFESERVE_NOTIFY_RETRY_SECONDS * 4 ** max(attempts - 1, 0))


def channels_by_name() -> dict:
    return {ch.name: ch for ch in configured_channels()}


def delivery_key(delivery_id: int) -> str:
    return f"safeserve-delivery-{delivery_id}"


@dataclass
class DeliverResult:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # not claimable: already sent, claimed, or not yet due
    retry: dict[int, list[int]] = field(default_factory=dict)  # delay in seconds -> ids


def _claim(delivery_id: int, now) -> bool:
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _finish(delivery_id: int, **fields) -> None:
    if not Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING).update(**fields):
        log.warning("delivery %s was no longer 'sending' when its result arrived: %s", delivery_id, fields)


def deliver(ids, *, channels: dict | None = None) -> DeliverResult:
    """Attempt each delivery once (those that can be claimed). Never raises for a channel's failure."""
    channels = channels_by_name() if channels is None else channels
    result = DeliverResult()
    for delivery_id in ids:
        now = timezone.now()
        if not _claim(delivery_id, now):
            result.skipped.append(delivery_id)
            continue
        d = Delivery.objects.select_related("notification__recipient").get(pk=delivery_id)
        channel = channels.get(d.channel)
        try:
            if channel is None:
                raise LookupError(f"channel {d.channel!r} is not configured")
            detail = str(channel.send(d.notification, key=delivery_key(d.pk)))
        except Exception as exc:  # any failure of the channel is recorded, never raised
            error = f"{type(exc).__name__}: {exc}"[:500]
            if d.attempts < max_attempts():
                delay = backoff(d.attempts)
                _finish(d.pk, status=DeliveryStatus.PENDING, next_attempt_at=now + delay, last_error=error)
                result.retry.setdefault(int(delay.total_seconds()), []).append(d.pk)
            else:
                _finish(d.pk, status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=error)
                result.failed.append(d.pk)
            continue
        _finish(
            d.pk,
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            detail=detail[:500],
            next_attempt_at=None,
            last_error="",
        )
        result.sent.append(d.pk)
    return result


@dataclass
class SweepResult:
    unknown: int = 0
    requeue: list[int] = field(default_factory=list)


def sweep(*, now=None) -> SweepResult:
    """Rows a crashed worker left ``sending`` become ``unknown``; pending rows long overdue (their job
    was lost: a crash between commit and enqueue, a flushed queue) are handed back for requeueing."""
    now = now or timezone.now()
    unknown = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - SENDING_LEASE).update(
        status=DeliveryStatus.UNKNOWN, last_error="interrupted while sending: the outcome is unknown"
    )
    due = Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - PENDING_GRACE)
    return SweepResult(unknown=unknown, requeue=list(due.order_by("pk").values_list("pk", flat=True)[:SWEEP_LIMIT]))
