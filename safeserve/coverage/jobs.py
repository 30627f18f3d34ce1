"""Job bodies (called by tasks.py and by tests with a frozen clock)."""

from django.utils import timezone

from .queries import add_months, compute_snapshots, month_start


def snapshot_last_month():
    month = add_months(month_start(timezone.localdate()), -1)
    return month, compute_snapshots(month)
