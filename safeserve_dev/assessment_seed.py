"""Demo assessments: last year's town assessment, finalised, and this year's, open for objections.

Everything goes through the actions (the system acting for the county, ``actor=None``): figures are
computed from the seeded hazards, contracts, visits and alarms and frozen as a real opening does."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from safeserve.assessment import actions
from safeserve.assessment.models import Assessment, Score
from safeserve.core import hooks
from safeserve_dev.assessment_fixtures import INDICATORS

NAME = "乡镇安全生产社会化服务考核"
LEDGER = "社会化服务工作台账"
LEDGER_REASONS = ["台账完整，服务记录规范", "台账基本完整，个别记录缺签字", "台账缺少季度小结"]


def _manual_scores(rng, assessment):
    for score in Score.objects.filter(sheet__assessment=assessment, indicator__name=LEDGER).select_related("indicator"):
        k = rng.randrange(len(LEDGER_REASONS))
        points = score.indicator.weight - Decimal(2 * k)
        actions.score_adjust(actor=None, score=score, points=points, reason=LEDGER_REASONS[k])


def demo_indicators() -> list[dict]:
    """The test scheme, with the policy's 5% participation target in it when coverage is installed."""
    rows = [dict(r) for r in INDICATORS]
    key = next((k for k in sorted(hooks.INDICATOR_SOURCES) if k.startswith("coverage.") and "overall" in k), None)
    if key:
        rows[0]["weight"] = Decimal(30)
        rows.insert(
            0,
            {"name": "社会化服务覆盖率", "weight": Decimal(10), "source": key, "rule": "linear",
             "low": Decimal(0), "high": Decimal(5)},
        )  # fmt: skip
    return rows


def seed_assessment(rng, stdout) -> dict:
    if Assessment.objects.exists():
        stdout.write("  已有考核数据：跳过考核演示数据。")
        return {"assessments": 0}
    today = timezone.localdate()
    last = today.year - 1
    rows = demo_indicators()
    old_scheme = actions.scheme_save(
        actor=None, data={"subject": "town", "year": last, "name": NAME, "note": "演示方案"}, indicators=rows
    )
    old = actions.assessment_open(actor=None, scheme=old_scheme, cut_off=date(last, 12, 31))
    # Demo history: last year's objection period ended in January.
    Assessment.objects.filter(pk=old.pk).update(objection_deadline=date(today.year, 1, 10))
    _manual_scores(rng, old)
    old = actions.assessment_finalise(actor=None, assessment=Assessment.objects.get(pk=old.pk))
    new_scheme = actions.scheme_save(
        actor=None, data={"subject": "town", "year": today.year, "name": NAME, "note": "演示方案"}, indicators=rows
    )
    cut_off = max(date(today.year, 1, 1), today - timedelta(days=1))
    new = actions.assessment_open(actor=None, scheme=new_scheme, cut_off=cut_off)
    _manual_scores(rng, new)
    stdout.write(f"  考核：{old.title}（已定稿），{new.title}（异议期至 {new.objection_deadline.isoformat()}）")
    return {"assessments": 2}
