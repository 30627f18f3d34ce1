"""Simulated electrical fire monitors: realistic readings with occasional leaks, overheating and outages.

Simulated devices are named ``SIM-00001``...; their secret is derived from SECRET_KEY and the code
(HMAC), so the simulator can recreate it without storing it. Only simulated devices work that way.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from safeserve.iot import actions
from safeserve.iot.ingest import devices
from safeserve.iot.models import Device


def sim_secret(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"iot-sim:{code}".encode(), hashlib.sha256).hexdigest()


def _sim_enterprises(n: int):
    from safeserve.registry.models import Enterprise, Industry, Town
    from safeserve_dev.testkit import make_credit_code

    existing = list(Enterprise.objects.order_by("id")[: max(1, min(n, 50))])
    if existing:
        return existing
    town = Town.objects.order_by("sort_order", "id").first() or Town.objects.create(code="330421901", name="模拟镇")
    industry = Industry.objects.filter(level="division").first() or Industry.objects.create(
        code="C33", name="金属制品业", level="division"
    )
    return [
        Enterprise.objects.create(
            credit_code=make_credit_code(900000 + i),
            name=f"模拟五金厂{i + 1:02d}",
            address="模拟地址",
            town=town,
            industry=industry,
            legal_representative="模拟",
        )
        for i in range(min(n, 10))
    ]


def provision(n: int, prefix: str = "SIM", interval_s: int = 60) -> list[tuple[str, str]]:
    """Create the simulated devices that do not exist yet; return [(code, secret)]."""
    codes = [f"{prefix}-{i:05d}" for i in range(1, n + 1)]
    have = set(Device.objects.filter(code__in=codes).values_list("code", flat=True))
    missing = [c for c in codes if c not in have]
    if missing:
        enterprises = _sim_enterprises(len(missing))
        profile = actions.default_profile()
        places = ["一车间", "二车间", "仓库", "办公楼", "配电房"]
        circuits = ["照明回路", "动力回路", "空调回路", "插座回路"]
        rows = []
        for i, code in enumerate(missing):
            rows.append(
                Device(
                    enterprise=enterprises[i % len(enterprises)],
                    code=code,
                    name=f"模拟监测终端{code[-5:]}",
                    place=places[i % len(places)],
                    circuit=circuits[i % len(circuits)],
                    device_model="SIM-EFM-4T",
                    rated_current_a=63,
                    interval_s=interval_s,
                    profile=profile,
                    secret_hash=devices.hash_secret(sim_secret(code)),
                )
            )
        with transaction.atomic():
            Device.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return [(c, sim_secret(c)) for c in codes]


@dataclass
class SimDevice:
    code: str
    secret: str
    rng: random.Random
    base_residual: float = 120.0
    base_temp: float = 38.0
    load: float = 0.4
    leak_left: int = 0
    heat_left: int = 0
    outage_left: int = 0
    last_ts: int = 0
    events: list = field(default_factory=list)

    def next(self, now_ms: int, *, leak_p=0.002, heat_p=0.001, outage_p=0.0005, all_metrics=True) -> dict | None:
        r = self.rng
        if self.outage_left > 0:
            self.outage_left -= 1
            return None
        if r.random() < outage_p:
            self.outage_left = r.randint(5, 30)
            self.events.append(("outage", now_ms))
            return None
        if self.leak_left == 0 and r.random() < leak_p:
            self.leak_left = r.randint(3, 20)
            self.events.append(("leak", now_ms))
        if self.heat_left == 0 and r.random() < heat_p:
            self.heat_left = r.randint(3, 20)
            self.events.append(("overheat", now_ms))
        self.load = min(0.95, max(0.05, self.load + r.uniform(-0.03, 0.03)))
        residual = self.base_residual + r.gauss(0, 8)
        if self.leak_left:
            self.leak_left -= 1
            residual = r.uniform(330, 650)
        temp = self.base_temp + self.load * 15 + r.gauss(0, 0.6)
        temps = [temp, temp - r.uniform(0, 3), temp - r.uniform(0, 4), temp - r.uniform(0, 5)]
        if self.heat_left:
            self.heat_left -= 1
            temps[0] = r.uniform(72, 95)
        volts = [220 + r.gauss(0, 3) for _ in range(3)]
        rated = 63
        amps = [rated * self.load * r.uniform(0.9, 1.1) for _ in range(3)]
        values = {"residual_ma": round(max(residual, 0), 1)}
        if all_metrics:
            values.update(
                {
                    "t1_c": round(temps[0], 1),
                    "t2_c": round(temps[1], 1),
                    "t3_c": round(temps[2], 1),
                    "t4_c": round(temps[3], 1),
                    "ua_v": round(volts[0], 1),
                    "ub_v": round(volts[1], 1),
                    "uc_v": round(volts[2], 1),
                    "ia_a": round(amps[0], 2),
                    "ib_a": round(amps[1], 2),
                    "ic_a": round(amps[2], 2),
                    "arc": 0,
                }
            )
        ts = max(now_ms, self.last_ts + 1)
        self.last_ts = ts
        return {"ts": ts, "values": values}


def make_devices(pairs, seed=1) -> list[SimDevice]:
    out = []
    for i, (code, secret) in enumerate(pairs):
        rng = random.Random(seed * 1_000_003 + i)
        out.append(
            SimDevice(
                code=code, secret=secret, rng=rng, base_residual=rng.uniform(60, 180), base_temp=rng.uniform(28, 40)
            )
        )
    return out


def now_ms() -> int:
    return int(time.time() * 1000)
