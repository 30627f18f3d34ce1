"""Page CPU benchmark: ``manage.py benchmark_pages`` (issue 16 §4; safeserve_dev/page_cpu.py)."""

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Median CPU ms and query count of each page type of the load mix, per role, in process (test "
        "client, force_login as the load accounts of `python -m safeserve_dev.loadtest prepare`), with "
        "the login page as the baseline in the same run. Run it with the production settings "
        "(DJANGO_DEBUG=0) against the load database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=15, help="timed requests per page (median)")
        parser.add_argument("--only", default="", help="only pages whose name contains this")
        parser.add_argument("--profile", default="", help="cProfile one page instead, e.g. 'home@town'")

    def handle(self, *args, requests, only, profile, **options):
        from safeserve_dev import page_cpu

        if requests < 1:
            raise CommandError("--requests at least 1")
        page_cpu.run(n=requests, only=only, profile=profile, out=self.stdout)
