"""Premium floating (浮动费率) at renewal: the rule table as data, one explanation per factor.

The rate of a renewal is the sum of five factors' adjustments (percentage points), each read from the
enterprise's own records on the renewal's start date:

- accidents in the year before (the worst level counts once; none at all earns the discount), from the
  credit facts ``accident.<level>`` (core.hooks.credit_facts);
- the 安全生产先进单位 title recorded on the policy (municipal / provincial);
- hazards: a 重大事故隐患 found in the year before, and hazards open past their deadline on the day;
- the enterprise's current credit grade (core.hooks.credit_grades);
- its 安全生产标准化 grade.

The default table is the county's local example (DOMAIN: no accident −10%, 一般 +10%, 较大 +20%,
重大 or worse +30%, municipal advanced −5%, provincial −10%) plus the hazard, credit and
standardisation factors of issue 14; a year's table (``PremiumRuleTable``) overrides any code.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safeserve.core import hooks
from safeserve.hazards.choices import HazardLevel
from safeserve.hazards.models import Hazard
from safeserve.hazards.queries import OPEN_STATES

from .choices import SafetyHonour

# code -> (label, default adjustment in percentage points)
FACTORS = {
    "accident.none": (_l("上一年度无生产安全事故"), Decimal("-10")),
    "accident.general": (_l("上一年度发生一般事故"), Decimal("10")),
    "accident.serious": (_l("上一年度发生较大事故"), Decimal("20")),
    "accident.major": (_l("上一年度发生重大及以上事故"), Decimal("30")),
    "honour.municipal": (_l("市级安全生产先进单位"), Decimal("-5")),
    "honour.provincial": (_l("省级安全生产先进单位"), Decimal("-10")),
    "hazard.major": (_l("上一年度发现重大事故隐患"), Decimal("10")),
    "hazard.overdue": (_l("续保时存在逾期未整改隐患"), Decimal("5")),
    "credit.A+": (_l("信用等级 A+"), Decimal("-5")),
    "credit.A": (_l("信用等级 A"), Decimal("0")),
    "credit.B": (_l("信用等级 B"), Decimal("0")),
    "credit.C": (_l("信用等级 C"), Decimal("5")),
    "credit.D": (_l("信用等级 D"), Decimal("10")),
    "standardization.1": (_l("安全生产标准化一级"), Decimal("-10")),
    "standardization.2": (_l("安全生产标准化二级"), Decimal("-5")),
    "standardization.3": (_l("安全生产标准化三级"), Decimal("-3")),
}
DEFAULT_RULES = {code: str(value) for code, (_label, value) in FACTORS.items()}
ACCIDENT_RANK = {"general": 1, "serious": 2, "major": 3, "extraordinary": 4}
MAX_ADJUSTMENT = Decimal("100")


def rules_errors(rules) -> list[str]:
    """What is wrong with a rule table (unknown codes, values that are not numbers within ±100)."""
    if not isinstance(rules, dict):
        return [_("浮动规则须为“因素代码: 调整百分点”的键值表")]
    out = []
    for code, value in rules.items():
        if code not in FACTORS:
            out.append(_("未知的因素代码：%(c)s（可用：%(all)s）") % {"c": code, "all": "、".join(FACTORS)})
            continue
        try:
            v = Decimal(str(value))
        except (InvalidOperation, ValueError):
            out.append(_("“%(c)s”的调整值须为数字") % {"c": code})
            continue
        if not v.is_finite() or abs(v) > MAX_ADJUSTMENT:
            out.append(_("“%(c)s”的调整值须在 -100 至 100 之间") % {"c": code})
    return out


def table_for(year: int) -> dict[str, Decimal]:
    """The year's table: the defaults, overridden by the stored table of that year if any."""
    from .models import PremiumRuleTable

    stored = PremiumRuleTable.objects.filter(year=year).values_list("rules", flat=True).first() or {}
    merged = {**DEFAULT_RULES, **stored}
    return {code: Decimal(str(v)) for code, v in merged.items()}


@dataclass(frozen=True)
class Line:
    factor: str  # 事故 / 先进单位 / 隐患 / 信用 / 标准化
    code: str  # the rule that applied, "" when none did
    adjustment: Decimal
    reason: str  # what was found, in Chinese

    def as_dict(self) -> dict:
        return {"factor": self.factor, "code": self.code, "adjustment": str(self.adjustment), "reason": self.reason}


def _line(table, factor, code, reason) -> Line:
    if not code:
        return Line(factor, "", Decimal("0"), reason)
    return Line(factor, code, table.get(code, Decimal("0")), f"{FACTORS[code][0]}：{reason}")


def compute(*, enterprise, on: date, honour: str = SafetyHonour.NONE, table=None) -> tuple[Decimal, list[Line]]:
    """The floating rate for a policy of ``enterprise`` starting ``on`` and each factor's explanation."""
    table = table if table is not None else table_for(on.year)
    since = on - timedelta(days=365)
    lines = []

    # 1. accidents in the year before the start date (the credit facts of the accident records)
    accidents = [
        f
        for f in hooks.credit_facts("enterprise", [enterprise.pk], on)
        if f.kind.startswith("accident.") and f.kind != "accident.concealed" and since <= f.date < on
    ]
    if not accidents:
        lines.append(_line(table, _("事故"), "accident.none", _("%(a)s 至 %(b)s 无事故记录") % _span(since, on)))
    else:
        worst = max(accidents, key=lambda f: ACCIDENT_RANK.get(f.kind.split(".", 1)[1], 0))
        level = worst.kind.split(".", 1)[1]
        code = "accident.major" if ACCIDENT_RANK.get(level, 0) >= 3 else f"accident.{level}"
        lines.append(_line(table, _("事故"), code, "；".join(f.label for f in accidents)))

    # 2. the advanced-unit title recorded on the policy
    if honour in (SafetyHonour.MUNICIPAL, SafetyHonour.PROVINCIAL):
        lines.append(_line(table, _("先进单位"), f"honour.{honour}", _("保单登记的称号")))
    else:
        lines.append(_line(table, _("先进单位"), "", _("未登记先进单位称号，不调整")))

    # 3. hazards: a major one found in the year before; any open past its deadline on the day
    hazards = Hazard.objects.filter(enterprise_id=enterprise.pk)
    major = hazards.filter(level=HazardLevel.MAJOR, reported_at__date__gte=since, reported_at__date__lt=on).count()
    overdue = hazards.filter(state__in=OPEN_STATES, deadline__lt=on).count()
    if major:
        lines.append(_line(table, _("隐患"), "hazard.major", _("重大事故隐患 %(n)d 项") % {"n": major}))
    if overdue:
        lines.append(_line(table, _("隐患"), "hazard.overdue", _("逾期未整改隐患 %(n)d 项") % {"n": overdue}))
    if not major and not overdue:
        lines.append(_line(table, _("隐患"), "", _("无重大事故隐患、无逾期隐患，不调整")))

    # 4. the current credit grade
    grade = hooks.credit_grades("enterprise", [enterprise.pk]).get(enterprise.pk)
    if grade and f"credit.{grade}" in FACTORS:
        lines.append(_line(table, _("信用"), f"credit.{grade}", _("当前信用等级 %(g)s") % {"g": grade}))
    else:
        lines.append(_line(table, _("信用"), "", _("暂无信用等级，不调整")))

    # 5. the standardisation grade
    sg = enterprise.standardization_grade
    if f"standardization.{sg}" in FACTORS:
        lines.append(_line(table, _("标准化"), f"standardization.{sg}", enterprise.get_standardization_grade_display()))
    else:
        lines.append(_line(table, _("标准化"), "", _("未定级，不调整")))

    return sum((line.adjustment for line in lines), Decimal("0")), lines


def _span(a: date, b: date) -> dict:
    return {"a": a.isoformat(), "b": (b - timedelta(days=1)).isoformat()}
