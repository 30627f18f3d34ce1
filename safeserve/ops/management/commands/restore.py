"""``manage.py restore ARCHIVE``: into an empty database and media folder, then checked (docs/deployment.md)."""

from django.core.management.base import BaseCommand, CommandError

from safeserve.ops import backups


class Command(BaseCommand):
    help = "从备份归档恢复到空数据库和空的上传目录，并核对记录数与哈希链"

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive, **options):
        try:
            manifest = backups.restore(archive, progress=self.stdout.write)
        except (backups.BackupError, OSError) as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {sum(manifest['tables'].values()):,} rows in {len(manifest['tables'])} tables, "
                f"{len(manifest['chains'])} chains and {len(manifest['files']) - 1} files; counts and chains match"
            )
        )
