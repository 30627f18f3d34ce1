"""Periodic jobs run at local times.

huey matches a ``crontab`` against its own clock, which is UTC (``utc=True``, its default and ours):
``crontab(hour="8")`` fires at 16:00 in Asia/Shanghai. Every periodic job in SafeServe therefore
names a **local** time, in ``settings.TIME_ZONE``, through ``local_crontab``; the queue itself
(retry times, scheduled jobs) stays in UTC. docs/decisions/0017-queued-delivery.md
"""

from datetime import UTC
from zoneinfo import ZoneInfo

from django.conf import settings
from huey import crontab


def local_crontab(minute="*", hour="*", day="*", month="*", day_of_week="*"):
    """``huey.crontab`` read in ``settings.TIME_ZONE``: ``local_crontab(hour="0", minute="20")`` fires
    at 00:20 Asia/Shanghai (16:20 UTC), whatever the server's clock or huey's ``utc`` flag."""
    matches = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, strict=True)

    def validate_datetime(timestamp):
        from huey.contrib.djhuey import HUEY

        # huey hands over a naive datetime: UTC when HUEY.utc (ours), else the process's local time.
        aware = timestamp.replace(tzinfo=UTC) if HUEY.utc else timestamp.astimezone()
        return matches(aware.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None))

    validate_datetime.local = {"minute": minute, "hour": hour, "day": day, "month": month, "day_of_week": day_of_week}
    return validate_datetime
