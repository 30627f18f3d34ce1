"""The coverage benchmark: server time and query count of the county coverage page, one town's work
list and the 36-month trend, at two data sizes (``manage.py benchmark_coverage --help``).

Seeding (``--enterprises N``) adds N enterprises to the current database in 12 towns of 20 villages,
about 8% of them with a service contract (random dates over three years, some terminated, some
drafts) and 3% with a smart-electrical device reporting on every month's last day and on the last
two days. It measures first with a quarter of them, then with all: the query counts must be equal.
Times are in-process (django.test.Client, force_login, perf_counter), as registry_bench does.
"""

import os
import random
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeserve.accounts.models import User
from safeserve.coverage import queries
from safeserve.coverage.models import CoverageSnapshot
from safeserve.iot.models import Device, DeviceProfile, ReadingHour
from safeserve.registry import models as m
from safeserve.services.models import ContractEnterprise, ServiceContract
from safeserve_dev.registry_bench import baseline_ms, percentile, timing_settings
from safeserve_dev.testkit import make_credit_code

TOWNS, VILLAGES = 12, 20
PAGE_TARGET_MS, TREND_TARGET_MS = 300.0, 1000.0
BATCH = 5000


def _towns():
    towns = []
    for i in range(TOWNS):
        t, _ = m.Town.objects.get_or_create(
            code=f"3304999{i:02d}", defaults={"name": f"基准镇{i:02d}", "sort_order": 50 + i}
        )
        towns.append(t)
        for j in range(VILLAGES):
            m.Village.objects.get_or_create(
                town=t, code=f"3304999{i:02d}{j:03d}", defaults={"name": f"基准村{i:02d}{j:02d}"}
            )
    villages = {t.pk: list(m.Village.objects.filter(town=t)) for t in towns}
    return towns, villages


def _industries():
    key = m.Industry.objects.get_or_create(
        code="ZB1", defaults={"name": "基准重点行业", "level": "section", "is_key": True}
    )[0]
    other = m.Industry.objects.get_or_create(code="ZB2", defaults={"name": "基准一般行业", "level": "section"})[0]
    return [key, other]


def seed(n: int, start: int, rng: random.Random, stdout) -> None:
    """Enterprises ``start .. start+n-1`` of the benchmark, with their contracts and devices."""
    towns, villages = _towns()
    industries = _industries()
    agency = m.Agency.objects.get_or_create(
        credit_code=make_credit_code(1, "91330498"), defaults={"name": "基准服务机构", "service_types": ["consulting"]}
    )[0]
    profile = DeviceProfile.objects.get_or_create(name="基准设备配置")[0]
    today = timezone.localdate()
    t0 = time.perf_counter()
    for lo in range(start, start + n, BATCH):
        hi = min(start + n, lo + BATCH)
        ents = []
        for i in range(lo, hi):
            town = towns[i % TOWNS]
            ents.append(
                m.Enterprise(
                    credit_code=make_credit_code(i, "91330499"),
                    name=f"基准企业{i:07d}",
                    address="基准地址",
                    town=town,
                    village=rng.choice(villages[town.pk]) if rng.random() < 0.9 else None,
                    industry=industries[0] if rng.random() < 0.1 else industries[1],
                    is_village_small=rng.random() < 0.3,
                    risk_level=rng.choice(["red", "orange", "yellow", "blue", "blue"]),
                    status="cancelled" if rng.random() < 0.02 else "active",
                    legal_representative="某",
                )
            )
        ents = m.Enterprise.objects.bulk_create(ents, batch_size=BATCH)
        contracts, links, devices = [], [], []
        for e in ents:
            if rng.random() < 0.08:
                s = today - timedelta(days=rng.randint(0, 3 * 365))
                status = rng.choice(["active", "active", "expired", "terminated", "draft"])
                contracts.append(
                    (
                        ServiceContract(
                            number=f"JZ-{e.credit_code}",
                            agency=agency,
                            items=["hazard"],
                            start_date=s,
                            end_date=s + timedelta(days=rng.randint(90, 730)),
                            fee=Decimal("8000"),
                            status=status,
                            terminated_on=s + timedelta(days=60) if status == "terminated" else None,
                        ),
                        e,
                    )
                )
            if rng.random() < 0.03:
                devices.append(
                    Device(
                        enterprise=e,
                        code=f"JZ-{e.pk}",
                        name="配电箱",
                        place="车间",
                        circuit="总回路",
                        rated_current_a=32,
                        profile=profile,
                        secret_hash="x",
                    )
                )
        made = ServiceContract.objects.bulk_create([c for c, _e in contracts], batch_size=BATCH)
        links = [ContractEnterprise(contract=c, enterprise=e) for c, (_c, e) in zip(made, contracts, strict=True)]
        ContractEnterprise.objects.bulk_create(links, batch_size=BATCH)
        devices = Device.objects.bulk_create(devices, batch_size=BATCH)
        days = [queries.month_end(queries.add_months(queries.month_start(today), -k)) for k in range(1, 37)]
        days += [today, today - timedelta(days=1)]
        rows = []
        for d in devices:
            for day in days:
                if rng.random() < 0.85:
                    noon = timezone.make_aware(datetime.combine(day, dtime(12)))
                    rows.append(ReadingHour(device=d, hour=int(noon.timestamp()) // 3600, n=60))
        ReadingHour.objects.bulk_create(rows, batch_size=BATCH, ignore_conflicts=True)
        stdout.write(f"  seeded {hi - start}/{n} enterprises ({time.perf_counter() - t0:.0f} s)")
    if connection.vendor == "postgresql":  # statistics and the visibility map (index-only scans)
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")


def _users():
    county = User.objects.get_or_create(
        username="bench_cov_county", defaults={"role": "county", "full_name": "基准县局"}
    )[0]
    town = m.Town.objects.get(code="330499900")
    officer = User.objects.get_or_create(
        username="bench_cov_town", defaults={"role": "town", "town": town, "full_name": "基准镇街"}
    )[0]
    return county, officer, town


def measure(runs: int, label: str, stdout) -> dict:
    county, officer, _town = _users()
    cc, tc = Client(), Client()
    cc.force_login(county)
    tc.force_login(officer)
    scenarios = [
        ("county page", cc, reverse("coverage:overview"), runs, PAGE_TARGET_MS),
        ("town work list", tc, reverse("coverage:work_list") + "?page=3", runs, PAGE_TARGET_MS),
        (
            "town work list (red, key)",
            tc,
            reverse("coverage:work_list") + "?risk_level=red&key_industry=1",
            runs,
            PAGE_TARGET_MS,
        ),
        (
            "trend 36 months (snapshots)",
            cc,
            reverse("coverage:trend") + "?months=36",
            max(3, runs // 4),
            TREND_TARGET_MS,
        ),
        ("API figures", cc, "/api/v1/coverage/figures/", runs, PAGE_TARGET_MS),
    ]
    n = m.Enterprise.objects.count()
    with timing_settings():
        base = statistics.median(baseline_ms(runs))
        load = os.getloadavg()
        stdout.write(
            f"{label}: {n} enterprises in the database; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
            f"baseline (login page) p50 {base:.1f} ms"
        )
        out = {}
        for name, client, url, reps, target in scenarios:
            client.get(url)  # warm
            times, nq = [], None
            for _ in range(reps):
                with CaptureQueriesContext(connection) as ctx:
                    t = time.perf_counter()
                    resp = client.get(url)
                    times.append((time.perf_counter() - t) * 1000)
                assert resp.status_code == 200, (url, resp.status_code)
                nq = len(ctx.captured_queries)
            p50, p95 = statistics.median(times), percentile(times, 95)
            flag = "ok" if p95 < target else "SLOW"
            stdout.write(
                f"  {name:32s} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ×{p50 / base:5.1f} baseline  queries {nq:3d}"
                f"  (target p95 < {target:.0f} ms: {flag})"
            )
            out[name] = (p50, p95, nq)
        load = os.getloadavg()
        stdout.write(f"  load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return out


def run(enterprises: int, runs: int, stdout, seed_data: bool = True) -> bool:
    """Seed a quarter, measure, seed the rest, measure again: the query counts must be equal. With
    ``seed_data`` False, measure the database as it is, once."""
    rng = random.Random(2026)
    first = enterprises // 4
    if not seed_data:
        _snapshots(stdout)
        measure(runs, "as is", stdout)
        stdout.write(f"Trend without snapshots {_live_trend(stdout):.0f} ms")
        return True
    stdout.write(f"Seeding {first} enterprises …")
    seed(first, 0, rng, stdout)
    snap_s = _snapshots(stdout)
    small = measure(runs, "size 1", stdout)
    stdout.write(f"Seeding {enterprises - first} more …")
    seed(enterprises - first, first, rng, stdout)
    _snapshots(stdout)
    large = measure(runs, "size 2", stdout)
    live = _live_trend(stdout)
    equal = all(small[k][2] == large[k][2] for k in small)
    stdout.write(
        f"Query counts equal at both sizes: {'yes' if equal else 'NO'}; snapshots of 36 months took {snap_s:.1f} s; trend without snapshots {live:.0f} ms"
    )
    return equal


def _snapshots(stdout) -> float:
    today = timezone.localdate()
    t = time.perf_counter()
    for k in range(35, 0, -1):
        queries.compute_snapshots(queries.add_months(queries.month_start(today), -k))
    s = time.perf_counter() - t
    stdout.write(f"  snapshots for 35 complete months: {s:.1f} s")
    return s


def _live_trend(stdout) -> float:
    county, _o, _t = _users()
    area = queries.area_for(county)
    saved = list(CoverageSnapshot.objects.all())
    CoverageSnapshot.objects.all().delete()
    t = time.perf_counter()
    queries.trend(area, 36, timezone.localdate())
    ms = (time.perf_counter() - t) * 1000
    CoverageSnapshot.objects.bulk_create(saved)
    return ms
