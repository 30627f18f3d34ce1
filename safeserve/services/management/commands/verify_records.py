"""Verify the hash chain of every agency's visit records, and every chain another app registered
(``core.hooks.RECORD_CHAINS``, e.g. the experts' 安责险 prevention visits); exit 1 if any record was
changed outside the app."""

from django.core.management.base import BaseCommand, CommandError

from safeserve.core import hooks
from safeserve.services.chain import verify_all


class Command(BaseCommand):
    help = "校验服务记录哈希链：报告在系统外被修改、删除或替换照片的记录（发现问题时以非零状态退出）"

    def add_arguments(self, parser):
        parser.add_argument("--agency", type=int, help="只校验一个机构")
        parser.add_argument("--skip-files", action="store_true", help="不重新计算照片文件哈希")

    def handle(self, *args, agency=None, skip_files=False, **options):
        from safeserve.services.models import ServiceVisit

        qs = ServiceVisit.objects.all()
        if agency:
            qs = qs.filter(agency_id=agency)
        report = verify_all(qs, check_files=not skip_files)
        for visit_id, agency_id, seq, reason in report.broken:
            self.stdout.write(f"BROKEN visit={visit_id} agency={agency_id} seq={seq}: {reason}")
        checked, broken = report.checked, len(report.broken)
        if not agency:  # the other chains belong to no agency
            for name, chain in sorted(hooks.RECORD_CHAINS.items()):
                n, bad = chain.verify(not skip_files)
                for record_id, key, seq, reason in bad:
                    self.stdout.write(f"BROKEN {name}={record_id} chain={key} seq={seq}: {reason}")
                checked, broken = checked + n, broken + len(bad)
        self.stdout.write(f"checked {checked} records, {broken} broken")
        if broken:
            raise CommandError(f"{broken} record(s) failed verification")
