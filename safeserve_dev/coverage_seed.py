"""Demo data for coverage: this year's targets (the policy's three, a custom one, a town override)
and the monthly snapshots of the last 12 complete months (``seed_coverage`` is called by seed_demo)."""

from decimal import Decimal

from django.utils import timezone

from safeserve.coverage.models import CoverageSnapshot, CoverageTarget
from safeserve.coverage.queries import add_months, compute_snapshots, month_start
from safeserve.registry.models import Town

SNAPSHOT_MONTHS = 12


def reset_coverage(stdout=None) -> None:
    CoverageSnapshot.objects.all().delete()
    CoverageTarget.objects.all().delete()


def seed_coverage(rng, stdout) -> dict:
    year = timezone.localdate().year
    made = 0
    county = [
        ("overall", "", "", Decimal("5"), {}),
        ("village_small", "", "", Decimal("100"), {}),
        ("key_industry", "", "", Decimal("100"), {}),
        ("custom", "hazchem", "危化品单位", Decimal("100"), {"is_hazchem": True}),
        ("custom", "red_risk", "红色风险企业", Decimal("80"), {"risk_level": "red"}),
    ]
    for y in (year - 1, year):
        for kind, code, name, share, filters in county:
            _obj, created = CoverageTarget.objects.get_or_create(
                year=y,
                town=None,
                code=code or kind,
                defaults={"kind": kind, "name": name, "share": share, "note": "演示数据", **filters},
            )
            made += created
    town = Town.objects.order_by("sort_order", "code").first()
    if town is not None:  # one town aims higher than the county (a town's own target overrides)
        made += CoverageTarget.objects.get_or_create(
            year=year,
            town=town,
            code="overall",
            defaults={"kind": "overall", "share": Decimal("8"), "note": "演示数据"},
        )[1]
    this_month = month_start(timezone.localdate())
    rows = sum(compute_snapshots(add_months(this_month, -k)) for k in range(SNAPSHOT_MONTHS, 0, -1))
    stdout.write(f"  覆盖率目标 {made} 条，月度快照 {rows} 条（近 {SNAPSHOT_MONTHS} 个月）")
    return {"targets": made, "snapshots": rows}
