"""Coverage benchmark (PostgreSQL): ``manage.py benchmark_coverage --enterprises 200000``."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = "覆盖率性能基准：县级覆盖率页、镇街未参与清单、36个月趋势的 p50/p95 与查询数（两种数据量）"

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=50_000, help="生成的企业数（分两批：1/4，然后全部）")
        parser.add_argument("--runs", type=int, default=20, help="每个场景请求次数")
        parser.add_argument("--no-seed", action="store_true", help="不生成数据，只测当前数据库（一种数据量）")
        parser.add_argument("--allow-sqlite", action="store_true", help="允许在 SQLite 上运行（仅试跑）")

    def handle(self, *args, enterprises, runs, no_seed, allow_sqlite, **options):
        from safeserve_dev import coverage_bench

        if connection.vendor != "postgresql" and not allow_sqlite:
            raise CommandError("请在 PostgreSQL 上运行（设置 DATABASE_URL），或加 --allow-sqlite 试跑")
        if enterprises < 4 or runs < 1:
            raise CommandError("--enterprises 至少为 4，--runs 至少为 1")
        ok = coverage_bench.run(enterprises, runs, self.stdout, seed_data=not no_seed)
        if not ok:
            raise CommandError("查询数随数据量变化")
