import os
import platform
import time
import unicodedata

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.registry import models as m
from safeserve.registry.management.commands.seed_demo import progress_printer
from safeserve_dev import registry_bench as b
from safeserve_dev.registry_seed import Seeder, reset_registry

BENCH_USER = "bench_town"


def pad(text: str, width: int) -> str:
    """Left-align in a monospace column: CJK characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cells)


BENCH_TOWN = "罗星街道"


class Command(BaseCommand):
    help = (
        "Benchmark the registry for a town officer: median and p95 server time and query count of the "
        "enterprise list (filtered: first and a deep page; a search), an enterprise detail page, the "
        "list API (first and a deep page), and a 20,000-row Excel import; query counts are measured "
        "at a small and at the full data size in the same run; every figure is compared with a "
        "baseline (the login page) and with its target (p95 < 150 ms; import < 20 s).\n\n"
        "DATABASE: it runs against the CONFIGURED database (DATABASE_URL, or the SQLite file in "
        "SAFESERVE_VAR_DIR) and seeds its own data there, so point it at a dedicated database, e.g. "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeserve_bench. It refuses a database that "
        "already holds enterprises unless --reset (delete the registry's organisations first) or "
        "--reuse (measure the data already there; no small-size query counts). It applies migrations "
        "first, and creates a town-officer user bench_town (罗星街道). The import adds its "
        "rows to the database. Exit status 1 if a target is missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=20000, help="full data size (default 20000)")
        parser.add_argument(
            "--small", type=int, default=1000, help="small data size for the query-count comparison (default 1000)"
        )
        parser.add_argument("--repeat", type=int, default=30, help="timed requests per figure (default 30)")
        parser.add_argument("--import-rows", type=int, default=20000, help="rows in the import file (default 20000)")
        parser.add_argument("--skip-import", action="store_true", help="do not measure the import")
        parser.add_argument(
            "--import-format",
            choices=sorted(b.IMPORT_WRITERS),
            default="excel",
            help="excel (default): strings in a shared-strings table, as Excel/WPS save the filled-in "
            "template; openpyxl: inline strings, as our own template and exports are written",
        )
        parser.add_argument("--seed", type=int, default=1)
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--reset", action="store_true", help="delete existing registry data first")
        group.add_argument("--reuse", action="store_true", help="measure the enterprises already in the database")

    def out(self, text=""):
        self.stdout.write(text)
        self.stdout.flush()

    def handle(self, *args, **o):
        n_full, n_small, repeat = o["enterprises"], o["small"], o["repeat"]
        if repeat < 1 or n_full < 1:
            raise CommandError("--repeat and --enterprises must be at least 1")
        # A fresh benchmark database (createdb safeserve_bench) needs its tables first.
        call_command("migrate", interactive=False, verbosity=0)
        existing = m.Enterprise.objects.count()
        if existing and not (o["reset"] or o["reuse"]):
            raise CommandError(
                f"the configured database already holds {existing} enterprises: point DATABASE_URL at a "
                "dedicated database, or pass --reset (deletes them) or --reuse (measures them)"
            )
        db = connection.settings_dict
        self.out(
            f"SafeServe benchmark · {timezone.now():%Y-%m-%d %H:%M %Z} · {platform.node()} "
            f"({os.cpu_count()} CPU, Python {platform.python_version()}) · database {connection.vendor} "
            f"{db['NAME']} · load average {os.getloadavg()[0]:.1f} (other work on the machine skews timings)"
        )
        t_start = time.perf_counter()
        seeder = Seeder(seed=o["seed"], stdout=self.stdout)
        compare = not (o["reuse"] and existing)
        if o["reset"] and existing:
            self.out(f"deleting {existing:,} enterprises and their organisations (--reset) ...")
            reset_registry(self.stdout)
        seeder.reference()
        if compare:
            n_small = max(1, min(n_small, n_full))
            self.out(f"seeding {n_small:,} enterprises (small size) ...")
            agencies = seeder.agencies(12)
            seeder.insurers()
            seeder.association_rows()
            seeder.enterprises(n_small, progress_printer(self.stdout, "enterprises"))
            seeder.experts(30, agencies)
            self.analyze()
        user = self.bench_user()
        scenarios = None
        if compare:
            self.out(f"measuring query counts at {n_small:,} enterprises ...")
            scenarios = b.measure(user, repeat=repeat, size_label="small", times=False)
            if n_full > n_small:
                self.out(f"seeding {n_full - n_small:,} more enterprises (full size {n_full:,}) ...")
                seeder.enterprises(n_full - n_small, progress_printer(self.stdout, "enterprises"))
                self.analyze()
        total = m.Enterprise.objects.count()
        visible = m.Enterprise.objects.visible_to(user).count()
        self.out(f"measuring at {total:,} enterprises ({visible:,} in {user.town.name}), {repeat} requests each ...")
        scenarios = b.measure(user, repeat=repeat, size_label="full", scenarios=scenarios)
        base = b.baseline_ms(repeat)
        base_median = b.statistics.median(base)

        figure = None
        if not o["skip_import"]:
            rows = o["import_rows"]
            fmt = o["import_format"]
            self.out(f"writing a {rows:,}-row .xlsx ({fmt} style) and importing it as {user.username} ...")
            figure = b.run_import(
                seeder, user, rows, file_format=fmt, progress=lambda d, t: self.out(f"  xlsx rows {d:,}/{t:,}")
            )
            figure.label = f"import {rows:,} rows (.xlsx, {fmt})"
        self.report(scenarios, base, base_median, figure, total, visible, repeat, compare, n_small)
        self.out(f"total run time {time.perf_counter() - t_start:.0f} s · load average {os.getloadavg()[0]:.1f}")
        failed = any(s.p95 >= b.PAGE_TARGET_MS for s in scenarios)
        failed |= compare and any(len(set(s.queries.values())) > 1 for s in scenarios)
        failed |= figure is not None and (figure.errors or figure.seconds >= b.IMPORT_TARGET_S)
        if failed:
            raise CommandError("benchmark: at least one target missed (see FAIL above)")

    def analyze(self):
        # After a bulk load PostgreSQL's autovacuum soon gathers planner statistics and sets the
        # visibility map (which index-only scans need); do it now rather than measure a cold table.
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                # VACUUM cannot run inside a transaction (e.g. when a test calls this command).
                cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")

    def bench_user(self):
        from safeserve.accounts.models import User

        town = m.Town.objects.get(name=BENCH_TOWN)
        user, _created = User.objects.update_or_create(
            username=BENCH_USER,
            defaults={"role": Role.TOWN, "town": town, "full_name": "基准测试（镇街）", "is_active": True},
        )
        if _created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def report(self, scenarios, base, base_median, figure, total, visible, repeat, compare, n_small):
        w = self.out
        w("")
        w(
            f"Results · {total:,} enterprises ({visible:,} visible to the town officer) · {connection.vendor} · "
            f"{repeat} timed requests per figure"
        )
        w(
            f"baseline: GET /accounts/login/ (anonymous)  median {base_median:.1f} ms  "
            f"p95 {b.percentile(base, 95):.1f} ms"
        )
        head = f"{'figure':<40} {'median':>8} {'p95':>8} {'×base':>6} {'queries':>8}"
        if compare:
            head += f" {'q@' + format(n_small, ','):>9} {'q equal':>7}"
        head += f"  {'target':<12} result"
        w(head)
        for s in scenarios:
            q_full = s.queries["full"]
            line = f"{pad(s.label, 40)} {s.median:>6.1f}ms {s.p95:>6.1f}ms {s.median / base_median:>6.1f} {q_full:>8}"
            equal = True
            if compare:
                q_small = s.queries.get("small")
                equal = q_small == q_full
                line += f" {q_small:>9} {'yes' if equal else 'NO':>7}"
            ok = s.p95 < b.PAGE_TARGET_MS and equal
            line += f"  {'p95 < 150 ms':<12} {'PASS' if ok else 'FAIL'}"
            w(line)
        if figure is not None:
            ok = not figure.errors and figure.seconds < b.IMPORT_TARGET_S
            w(
                f"{pad(figure.label, 40)} {figure.seconds:>7.2f}s {'':>8} "
                f"{figure.seconds * 1000 / base_median:>6.0f} {figure.queries:>8}"
                + (" " * 18 if compare else "")
                + f"  {'< 20 s':<12} {'PASS' if ok else 'FAIL'}"
            )
            w(f"  imported {figure.created:,} of {figure.rows:,} rows ({figure.rows / figure.seconds:,.0f} rows/s)")
            for e in figure.errors:
                w(f"  import error: {e}")
