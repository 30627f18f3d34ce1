"""Delivery channels behind one interface. Configured by SAFESERVE_NOTIFY_CHANNELS (default: log).

A channel has ``name`` and ``send(notification, *, key) -> str`` (a detail string); raising means
failure. ``key`` names the delivery (notification x channel) and stays the same across retries, so
a receiver can drop a message it has already seen. Channels run only in the delivery job
(``notifications.tasks``), never in the process that wrote the notification.
"""

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

log = logging.getLogger("safeserve.notifications")


class LogChannel:
    name = "log"

    def send(self, notification, *, key=""):
        log.info("notify %s [%s] %s", notification.recipient_id, notification.kind, notification.title)
        return "logged"


class EmailChannel:
    name = "email"

    def send(self, notification, *, key=""):
        email = notification.recipient.email
        if not email:
            return "no email address"
        send_mail(notification.title, f"{notification.body}\n{notification.link}", None, [email])
        return f"sent to {email}"


class WebhookChannel:
    """POSTs JSON to SAFESERVE_NOTIFY_WEBHOOK_URL (an SMS gateway or chat bot sits behind it).

    The delivery key travels as the ``Idempotency-Key`` header and the payload's ``id``."""

    name = "webhook"

    def send(self, notification, *, key=""):
        url = getattr(settings, "SAFESERVE_NOTIFY_WEBHOOK_URL", "")
        if not url:
            return "no webhook configured"
        payload = {
            "id": key,
            "recipient": notification.recipient.username,
            "phone": notification.recipient.phone,
            "kind": notification.kind,
            "level": notification.level,
            "title": notification.title,
            "body": notification.body,
            "link": notification.link,
        }
        req = urllib.request.Request(  # noqa: S310 - URL comes from the operator's settings
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
            return f"HTTP {resp.status}"


BUILTIN = {"log": LogChannel, "email": EmailChannel, "webhook": WebhookChannel, "sms": WebhookChannel}


def configured_channels():
    names = getattr(settings, "SAFESERVE_NOTIFY_CHANNELS", ["log"])
    return [BUILTIN[n]() if n in BUILTIN else import_string(n)() for n in names]
