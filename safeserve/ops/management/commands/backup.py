"""``manage.py backup``: database + uploaded files + manifest in one archive (docs/deployment.md)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safeserve.ops import backups


class Command(BaseCommand):
    help = "备份数据库与上传文件到一个归档（含清单：各表记录数、哈希链校验值、文件校验和）"

    def add_arguments(self, parser):
        parser.add_argument("--out", default=None, help="folder for the archive (default SAFESERVE_BACKUP_DIR)")
        parser.add_argument("--keep-daily", type=int, default=None, help="then keep the newest archive of N days")
        parser.add_argument("--keep-weekly", type=int, default=0, help="... and of N ISO weeks")

    def handle(self, *args, out=None, keep_daily=None, keep_weekly=0, **options):
        try:
            result = backups.make_backup(out, progress=self.stdout.write)
        except (backups.BackupError, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        tables = result.manifest["tables"]
        self.stdout.write(
            f"{len(tables)} tables, {sum(tables.values()):,} rows, {len(result.manifest['chains'])} chains, "
            f"{len(result.manifest['files']) - 1} files"
        )
        if keep_daily is not None:
            removed = backups.prune(out or settings.SAFESERVE_BACKUP_DIR, keep_daily, keep_weekly)
            self.stdout.write(f"pruned {len(removed)} older archive(s)")
