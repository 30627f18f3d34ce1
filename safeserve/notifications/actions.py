"""notify(): put a message in users' inboxes and deliver it through the configured channels.

Idempotent per (recipient, dedup_key): calling it again with the same key sends nothing new, so
an alarm or an escalation step can never notify the same person twice. Delivery happens after the
surrounding transaction commits, so a rolled-back write never notifies anyone.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from .channels import configured_channels
from .models import Delivery, Level, Notification


def _deliver(ids):
    channels = configured_channels()
    for n in Notification.objects.filter(pk__in=ids).select_related("recipient"):
        for ch in channels:
            try:
                detail, ok = ch.send(n), True
            except Exception as exc:
                detail, ok = f"{type(exc).__name__}: {exc}", False
            Delivery.objects.create(notification=n, channel=ch.name, ok=ok, detail=str(detail)[:500])


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Level.INFO,
    dedup_key: str | None = None,
) -> list[Notification]:
    """Create one inbox message per recipient (skipping inactive users and already-sent keys)."""
    created = []
    for user in {u.pk: u for u in recipients if u is not None and u.is_active}.values():
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
        ids = [n.pk for n in created]
        transaction.on_commit(lambda: _deliver(ids))
    return created


def mark_read(*, actor, ids=None) -> int:
    qs = Notification.objects.visible_to(actor).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
