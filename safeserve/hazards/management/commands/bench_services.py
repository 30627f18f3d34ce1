"""Benchmark the services and hazards pages on the data already in the configured database.

Seed first (``seed_demo`` with ``seed_services``), then run this. It prints median and p95 server time
and query count for each role's home page, the hazard list (filtered, deep pages), the visit and
contract lists, the quarterly statistics and a town's one-year ledger export; exit status 1 when a
target is missed (pages p95 < 200 ms, ledger < 10 s).
"""

import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

PAGE_TARGET_MS = 200
LEDGER_TARGET_MS = 10_000


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20)

    def handle(self, *args, repeat=20, **options):
        from safeserve.accounts.models import User
        from safeserve.hazards.models import Hazard
        from safeserve.registry.models import Town
        from safeserve.services.models import ServiceContract

        if not Hazard.objects.exists():
            raise CommandError("没有隐患数据：请先运行 seed_demo 并生成服务与隐患数据")
        if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        town = Town.objects.annotate(n=Count("enterprises")).order_by("-n").first()
        agency_id = ServiceContract.objects.values("agency_id").annotate(n=Count("id")).order_by("-n")[0]["agency_id"]
        ent_id = Hazard.objects.values("enterprise_id").annotate(n=Count("id")).order_by("-n")[0]["enterprise_id"]

        def user(name, role, **links):
            u, _ = User.objects.get_or_create(username=name, defaults={"role": role, "full_name": name, **links})
            if u.has_usable_password():
                u.set_unusable_password()
                u.save()
            return u

        users = {
            "county": user("bench_svc_county", "county"),
            "town": user("bench_svc_town", "town", town=town),
            "agency": user("bench_svc_agency", "agency", agency_id=agency_id),
            "enterprise": user("bench_svc_ent", "enterprise", enterprise_id=ent_id),
        }
        end = timezone.localdate()
        start = end - timedelta(days=365)
        scenarios = [(f"home ({p})", p, "/", repeat, False, PAGE_TARGET_MS) for p in users] + [
            ("hazard list, open, page 1", "county", "/hazards/?open=true", repeat, False, PAGE_TARGET_MS),
            ("hazard list, open, page 200", "county", "/hazards/?open=true&page=200", repeat, False, PAGE_TARGET_MS),
            ("hazard list, overdue, page 5", "town", "/hazards/?overdue=true&page=5", repeat, False, PAGE_TARGET_MS),
            ("hazard list, page 50", "town", "/hazards/?page=50", repeat, False, PAGE_TARGET_MS),
            ("hazard list, closed, page 3", "agency", "/hazards/?state=closed&page=3", repeat, False, PAGE_TARGET_MS),
            ("visit list, page 10", "agency", "/services/visits/?page=10", repeat, False, PAGE_TARGET_MS),
            ("contract list, page 20", "county", "/services/contracts/?page=20", repeat, False, PAGE_TARGET_MS),
            ("quarterly statistics by town", "county", "/hazards/statistics/", repeat, False, PAGE_TARGET_MS),
            (
                "ledger, town, one year (xlsx)",
                "town",
                f"/hazards/ledger/?start={start}&end={end}&download=1",
                3,
                True,
                LEDGER_TARGET_MS,
            ),
        ]
        self.stdout.write(
            f"{connection.vendor}; hazards {Hazard.objects.count():,}; town {town.name}: "
            f"{Hazard.objects.filter(town=town).count():,} hazards"
        )
        missed = 0
        for label, persona, url, n, stream, target in scenarios:
            c = Client()
            c.force_login(users[persona])
            times, queries = [], 0
            for _ in range(n):
                with CaptureQueriesContext(connection) as q:
                    t0 = time.perf_counter()
                    resp = c.get(url)
                    if stream:
                        b"".join(resp.streaming_content)
                    times.append((time.perf_counter() - t0) * 1000)
                if resp.status_code != 200:
                    raise CommandError(f"{url}: HTTP {resp.status_code}")
                queries = len(q.captured_queries)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            ok = p95 < target
            missed += not ok
            self.stdout.write(
                f"{label:34s} median {statistics.median(times):8.1f} ms  p95 {p95:8.1f} ms  "
                f"queries {queries:3d}  {'ok' if ok else 'MISSED'} (< {target} ms)"
            )
        if missed:
            raise CommandError(f"{missed} target(s) missed")
