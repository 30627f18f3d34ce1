import time
from datetime import date, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.iot import jobs, maintenance
from safeserve.iot.models import Device, Reading, dt_to_ms


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(_("日期格式应为 YYYY-MM-DD:%(v)s") % {"v": value}) from exc


def oldest_reading_ms() -> int | None:
    """The oldest ``ts`` of all readings, found device by device along the primary key."""
    firsts = (
        Reading.objects.filter(device_id=pk).order_by("ts").values_list("ts", flat=True).first()
        for pk in Device.objects.order_by("pk").values_list("pk", flat=True)
    )
    return min((ts for ts in firsts if ts is not None), default=None)


class Command(BaseCommand):
    help = (
        "Recompute the hourly rollups (ReadingHour) from the raw readings, day by day (days in local time). "
        "Idempotent. Use after a restore or after devices uploaded old buffered readings. Without --since: "
        "everything. Hours whose raw readings were purged keep their rollup. --late: only the hours that late "
        "readings changed in the last MAX_TS_AGE_DAYS + 2 days (what the daily job does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", type=_day, help="first day, YYYY-MM-DD (default: the oldest reading)")
        parser.add_argument("--until", type=_day, help="last day, included, YYYY-MM-DD (default: today)")
        parser.add_argument("--late", action="store_true", help="only hours changed by late readings")

    def handle(self, *args, **opts):
        t0 = time.perf_counter()
        if opts["late"]:
            if opts["since"] or opts["until"]:
                raise CommandError(_("--late 不能与 --since/--until 同时使用"))
            return self.late(t0)
        tz = timezone.get_current_timezone()
        now = timezone.now()
        today = timezone.localdate(now)
        first = opts["since"]
        if first is None:
            oldest = oldest_reading_ms()
            if oldest is None:
                self.stdout.write(_("没有监测数据。"))
                return
            first = timezone.localtime(datetime.fromtimestamp(oldest / 1000, tz=tz)).date()
        last = opts["until"] or today
        if last < first:
            raise CommandError(_("--until 不能早于 --since"))
        total_rows, days = 0, 0
        day = first
        while day <= last:
            start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
            since_ms = dt_to_ms(start)
            until_ms = min(dt_to_ms(start + timedelta(days=1)), dt_to_ms(now))
            t = time.perf_counter()
            rows = jobs.rollup_readings(since_ms=since_ms, until_ms=until_ms) if until_ms > since_ms else 0
            total_rows += rows
            days += 1
            self.stdout.write(
                _("%(day)s:%(rows)s 条小时汇总，%(s).1f 秒")
                % {"day": day.isoformat(), "rows": f"{rows:,}", "s": time.perf_counter() - t}
            )
            self.stdout.flush()
            day += timedelta(days=1)
        self.stdout.write(
            self.style.SUCCESS(
                _("完成：%(days)s 天，%(rows)s 条小时汇总，用时 %(s).1f 秒")
                % {"days": days, "rows": f"{total_rows:,}", "s": time.perf_counter() - t0}
            )
        )

    def late(self, t0):
        def progress(step, done, total, rows):
            label = _("核对") if step == "check" else _("补算")
            self.stdout.write(
                _("  %(step)s:%(done)s/%(total)s,%(s).1f 秒")
                % {"step": label, "done": f"{done:,}", "total": f"{total:,}", "s": time.perf_counter() - t0}
            )
            self.stdout.flush()

        r = maintenance.rollup_late_readings(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "完成：%(devices)s 台设备有迟到数据，%(hours)s 个小时需补算，分 %(windows)s 段重算 %(rows)s 条，用时 %(s).1f 秒"
                )
                % {
                    "devices": r.devices,
                    "hours": r.stale_hours,
                    "windows": r.windows,
                    "rows": f"{r.rows:,}",
                    "s": time.perf_counter() - t0,
                }
            )
        )
