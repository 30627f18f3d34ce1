"""Benchmark the list export (the hazard list of a town-year) at several sizes; nothing is kept.

Prints, per size, the time until the response starts, the total time, rows per second and the file
size (safeserve_dev/export_bench.py; docs/decisions/0023-exports.md records the figures).
"""

from django.core.management.base import BaseCommand

from safeserve_dev import export_bench


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, nargs="+", default=[2000, 20000], help="hazard counts to export")

    def handle(self, *args, rows, **options):
        export_bench.run(sizes=rows, out=self.stdout.write)
