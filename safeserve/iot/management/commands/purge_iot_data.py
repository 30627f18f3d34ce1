import time

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.audit import record_job
from safeserve.iot import maintenance
from safeserve.iot.models import Reading, iot_setting, ms_to_dt

PROGRESS_SECONDS = 5  # a progress line at most this often, and one when a step ends


def _when(ms: int) -> str:
    return timezone.localtime(ms_to_dt(ms)).strftime("%Y-%m-%d %H:%M")


class Command(BaseCommand):
    help = (
        "Retention of the iot tables: delete raw readings, hourly rollups and dead letters older than "
        "RAW_RETENTION_DAYS, ROLLUP_RETENTION_DAYS and DEADLETTER_RETENTION_DAYS (the daily job does the same). "
        "Raw readings are deleted only for hours whose rollup matches them; missing rollups are computed first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what would be deleted, change nothing")
        parser.add_argument("--batch", type=int, default=maintenance.BATCH, help="rows per delete transaction")

    def handle(self, *args, **opts):
        self.t0 = time.perf_counter()
        dry = opts["dry_run"]
        now = timezone.now()
        self.labels = {
            "check": _("核对小时汇总"),
            "rollup": _("补算小时汇总"),
            "readings": _("监测数据"),
            "rollups": _("小时汇总"),
            "dead_letters": _("死信"),
        }
        if dry:
            self.stdout.write(_("试运行：只统计，不删除。"))
        result = maintenance.PurgeResult(dry_run=dry)
        steps = [
            (maintenance.purge_readings, "readings", "RAW_RETENTION_DAYS"),
            (maintenance.purge_rollups, "rollups", "ROLLUP_RETENTION_DAYS"),
            (maintenance.purge_dead_letters, "dead_letters", "DEADLETTER_RETENTION_DAYS"),
        ]
        for step, name, setting in steps:
            step(now=now, batch=opts["batch"], dry_run=dry, progress=self.progress, result=result)
            count = getattr(result, name)
            line = _("%(table)s：保留 %(days)s 天（%(cutoff)s 之前的数据）%(verb)s %(count)s 条") % {
                "table": self.labels[name],
                "days": iot_setting(setting),
                "cutoff": _when(result.cutoffs[name]),
                "verb": _("将删除") if dry else _("已删除"),
                "count": f"{count:,}",
            }
            self.stdout.write(line)
            if name == "readings" and result.rollup_windows:
                template = (
                    _("（删除前需补算 %(n)s 个时段的小时汇总）")
                    if dry
                    else _("（删除前补算了 %(n)s 个时段的小时汇总）")
                )
                self.stdout.write("  " + template % {"n": result.rollup_windows})
            if name == "readings" and result.kept_hours:
                self.stdout.write(
                    self.style.WARNING(
                        "  " + _("%(n)s 个小时的汇总与原始数据不符，原始数据已保留") % {"n": result.kept_hours}
                    )
                )
        if not dry:
            record_job(job="iot.purge (purge_iot_data)", model=Reading, summary=maintenance.purge_summary(result))
        self.stdout.write(self.style.SUCCESS(_("完成，用时 %(s).1f 秒") % {"s": time.perf_counter() - self.t0}))

    def progress(self, step, done, total, rows):
        now = time.perf_counter()
        if done < total and now - getattr(self, "last", 0) < PROGRESS_SECONDS:
            return
        self.last = now
        text = _("  %(step)s:%(done)s/%(total)s,%(rows)s 条，%(s).1f 秒") % {
            "step": self.labels[step],
            "done": f"{done:,}",
            "total": f"{total:,}",
            "rows": f"{rows:,}",
            "s": time.perf_counter() - self.t0,
        }
        self.stdout.write(text)
        self.stdout.flush()
