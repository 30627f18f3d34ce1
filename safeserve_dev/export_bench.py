"""The export benchmark: how long the generic list export (core.views.ObjectExportView) takes.

``manage.py benchmark_exports`` drives this module. Inside one transaction that is rolled back at
the end, it creates a town, enterprises and N hazards in that town over one year (the 隐患台账 of a
town-year, the largest export people ask for), then downloads the hazard list export as the town
officer and as the county, in-process with ``django.test.Client``, for each size. It prints the
time to the first byte (the workbook is built before the response starts), the file size and the
rows per second. Nothing is left in the database.
"""

import random
import time
from datetime import datetime, timedelta

from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeserve.accounts.models import User
from safeserve.hazards.choices import HazardLevel, HazardSource, HazardState
from safeserve.hazards.models import Hazard
from safeserve.registry import models as m
from safeserve_dev.testkit import make_credit_code


class Rollback(Exception):
    pass


def seed(n: int, *, enterprises: int = 500, seed: int = 11) -> tuple[User, int]:
    rng = random.Random(seed)
    town = m.Town.objects.create(code="339999901", name="基准测试镇", sort_order=99)
    industry = m.Industry.objects.get_or_create(code="C", defaults={"name": "制造业", "level": "section"})[0]
    ents = m.Enterprise.objects.bulk_create(
        m.Enterprise(
            credit_code=make_credit_code(900000 + i),
            name=f"基准测试企业{i:05d}有限公司",
            address=f"基准测试镇{i}号",
            town=town,
            industry=industry,
            size_class="small",
            employees=20,
            legal_representative="张三",
            safety_manager="李四",
            safety_manager_phone=f"138{i:08d}",
        )
        for i in range(enterprises)
    )
    today = timezone.localdate()
    rows = []
    for k in range(n):
        e = rng.choice(ents)
        found = today - timedelta(days=rng.randint(0, 364))
        at = timezone.make_aware(datetime.combine(found, datetime.min.time()) + timedelta(hours=rng.randint(8, 17)))
        closed = rng.random() < 0.8
        rows.append(
            Hazard(
                enterprise_id=e.pk,
                town_id=town.pk,
                source=HazardSource.INSPECTION,
                level=HazardLevel.MAJOR if rng.random() < 0.03 else HazardLevel.GENERAL,
                location=f"车间{k % 17}号",
                description="消防通道堆放杂物，灭火器过期未更换",
                responsible_person="李四",
                deadline=found + timedelta(days=15),
                state=HazardState.CLOSED if closed else HazardState.RECTIFYING,
                reported_at=at,
                closed_at=at + timedelta(days=5) if closed else None,
            )
        )
    Hazard.objects.bulk_create(rows, batch_size=2000)
    officer = User.objects.create(username="bench_export_town", role="town", town=town, full_name="基准镇安监员")
    return officer, town.pk


def measure(user, query: dict) -> dict:
    client = Client()
    client.force_login(user)
    started = time.perf_counter()
    resp = client.get(reverse("hazards:hazard_export"), query)
    first_byte = time.perf_counter() - started
    body = b"".join(resp.streaming_content) if resp.streaming else resp.content
    total = time.perf_counter() - started
    return {"status": resp.status_code, "first_byte_s": first_byte, "total_s": total, "bytes": len(body)}


def run(sizes=(2000, 20000), out=print) -> list[dict]:
    results = []
    for n in sizes:
        try:
            with transaction.atomic():
                officer, _town = seed(n)
                start = timezone.localdate() - timedelta(days=365)
                query = {"reported_from": start.isoformat(), "reported_to": timezone.localdate().isoformat()}
                r = measure(officer, query)
                r.update(rows=n, rows_per_s=n / r["total_s"] if r["total_s"] else 0.0)
                results.append(r)
                out(
                    f"{n:>7} rows: HTTP {r['status']}, first byte {r['first_byte_s']:.2f} s, "
                    f"total {r['total_s']:.2f} s, {r['rows_per_s']:,.0f} rows/s, {r['bytes'] / 1024:,.0f} KiB"
                )
                raise Rollback
        except Rollback:
            pass
    return results
