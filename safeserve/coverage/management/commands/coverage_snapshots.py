"""Recompute the monthly coverage snapshots for a range of months (e.g. after changing targets)."""

import re
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from safeserve.core.audit import record_job
from safeserve.coverage.models import CoverageSnapshot
from safeserve.coverage.queries import add_months, compute_snapshots, month_start

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, name: str) -> date:
    m = MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise CommandError(f"{name}: 请按 YYYY-MM 填写月份（例如 2026-01），收到“{text}”")
    return date(int(m.group(1)), int(m.group(2)), 1)


class Command(BaseCommand):
    help = "重新计算覆盖率月度快照：--from YYYY-MM --to YYYY-MM（不晚于本月）"

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="起始月份 YYYY-MM")
        parser.add_argument("--to", dest="end", required=True, help="结束月份 YYYY-MM")

    def handle(self, *args, start, end, **options):
        first, last = parse_month(start, "--from"), parse_month(end, "--to")
        if last < first:
            raise CommandError("--to 不能早于 --from")
        if last > month_start(timezone.localdate()):
            raise CommandError("--to 不能晚于本月")
        months = []
        m = first
        while m <= last:
            months.append(m)
            m = add_months(m, 1)
        total = 0
        for i, month in enumerate(months, 1):
            t0 = time.perf_counter()
            rows = compute_snapshots(month)
            total += rows
            self.stdout.write(f"[{i}/{len(months)}] {month:%Y-%m}: {rows} rows in {time.perf_counter() - t0:.2f} s")
        record_job(job="coverage.snapshots", model=CoverageSnapshot, summary={"from": start, "to": end, "rows": total})
        self.stdout.write(self.style.SUCCESS(f"{len(months)} months, {total} snapshot rows"))
