"""notify(): put a message in users' inboxes and queue its delivery through the configured channels.

Idempotent per (recipient, dedup_key): calling it again with the same key sends nothing new, so
an alarm or an escalation step can never notify the same person twice. The inbox entry and one
``pending`` Delivery per channel are written in the caller's transaction; the delivery job is
queued after it commits (a rolled-back write notifies nobody) and runs in the huey worker, never
in the committing process (docs/decisions/0017-queued-delivery.md).
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.audit import AuditAction, record
from safeserve.core.scoping import get_visible_or_404

from . import tasks
from .delivery import channels_by_name
from .models import Delivery, DeliveryStatus, Level, Notification

RETRYABLE = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)


def notify(
    *,
    actor,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Level.INFO,
    dedup_key: str | None = None,
) -> list[Notification]:
    """Create one inbox message per recipient (skipping inactive users and already-sent keys).

    ``actor`` is the user whose action this message reports, or None for a job (the system). It is
    required, so that no caller forgets it: nobody is told of what they did themselves, whatever the
    kind of message (an enterprise that reports its own hazard is not notified of it).
    """
    created = []
    actor_pk = getattr(actor, "pk", None)
    for user in {u.pk: u for u in recipients if u is not None and u.is_active and u.pk != actor_pk}.values():
        if dedup_key and Notification.objects.filter(recipient=user, dedup_key=dedup_key).exists():
            continue
        try:
            with transaction.atomic():
                n = Notification.objects.create(
                    recipient=user, kind=kind, level=level, title=title[:200], body=body, link=link, dedup_key=dedup_key
                )
        except IntegrityError:  # a concurrent worker sent the same key first
            continue
        created.append(n)
    if created:
        now = timezone.now()
        rows = Delivery.objects.bulk_create(
            Delivery(notification=n, channel=name, next_attempt_at=now) for n in created for name in channels_by_name()
        )
        ids = [d.pk for d in rows]
        if ids:
            transaction.on_commit(lambda: tasks.enqueue_delivery(ids))
    return created


def mark_read(*, actor, ids=None) -> int:
    qs = Notification.objects.visible_to(actor).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


@transaction.atomic
def delivery_retry(*, actor, delivery_id: int) -> Delivery:
    """A county officer sends a failed (or unknown) delivery once more. Audited; queued on commit."""
    d = get_visible_or_404(Delivery.objects.select_for_update(of=("self",)), actor, "change", pk=delivery_id)
    if d.status not in RETRYABLE:
        raise ValidationError(_("只有发送失败或结果未知的投递可以重试"))
    before = d.status
    Delivery.objects.filter(pk=d.pk).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now())
    d.refresh_from_db()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=d,
        changes={"status": [before, d.status]},
        note=_("人工重试投递"),
    )
    transaction.on_commit(lambda: tasks.enqueue_delivery([d.pk]))
    return d
