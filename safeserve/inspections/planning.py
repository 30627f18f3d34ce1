"""The arithmetic of a yearly plan: each enterprise's frequency and cap, the mandatory list, the
random pool and the per-month load. Pure reads (no writes); actions.py commits what a preview shows.

Frequency of an enterprise = the largest matching rule (risk colour, 标准化 grade, hazchem / major
hazard source / metal smelting, credit grade) + the non-participation extra when it uses no
socialized service (core.hooks.coverage_subqueries) — never above its yearly cap (conf caps by grade,
the higher table for hazardous chemicals and metal smelting). Case-driven inspections never count.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import hooks
from safeserve.hazards.choices import HazardLevel, HazardState
from safeserve.hazards.models import Hazard
from safeserve.registry.choices import EnterpriseStatus, RiskLevel
from safeserve.registry.models import Enterprise

from . import conf
from .choices import InspectionKind, RuleKind, TargetStatus
from .models import FrequencyRule, Inspection, PlanTarget

# The register's risk levels, lowest first (RiskLevel lists them from red down to blue).
RISK_ORDER = {level: i for i, level in enumerate(reversed(RiskLevel.values))}
# Ticket weights of the random draw (core.draws ticket rule): riskier units are drawn more often.
RISK_WEIGHTS = {level: order + 1 for level, order in RISK_ORDER.items()}  # blue 1 … red 4 tickets


def is_high(ent: dict) -> bool:
    """Hazardous chemicals or metal smelting: the higher cap table."""
    return bool(ent["is_hazchem"]) or is_metal_smelting(ent)


def is_metal_smelting(ent: dict) -> bool:
    codes = tuple(conf.get("INSPECTION_METAL_SMELTING_CODES"))
    code = ent.get("industry__code") or ""
    return any(code.startswith(c) for c in codes)


def cap_for(ent: dict) -> int:
    table = conf.get("INSPECTION_CAPS_HIGH" if is_high(ent) else "INSPECTION_CAPS")
    return int(table.get(ent["standardization_grade"] or "none", table["none"]))


ENT_FIELDS = (
    "pk",
    "name",
    "town_id",
    "risk_level",
    "standardization_grade",
    "is_hazchem",
    "has_major_hazard_source",
    "industry__code",
)


def area_enterprises(plan):
    qs = Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE)
    if plan.town_id:
        qs = qs.filter(town_id=plan.town_id)
    return qs


def participants(ids, on_date: date) -> set:
    """The enterprises among ``ids`` that use a socialized service on ``on_date`` (any counting channel)."""
    out = set()
    for sub in hooks.coverage_subqueries(ids, on_date):
        out |= set(Enterprise.objects.filter(pk__in=sub).values_list("pk", flat=True))
    return out


def open_major_hazard_ids(ids) -> set:
    return set(
        Hazard.objects.filter(enterprise_id__in=ids, level=HazardLevel.MAJOR)
        .exclude(state=HazardState.CLOSED)
        .values_list("enterprise_id", flat=True)
    )


def cap_load(ids, year: int, exclude_plan=None) -> Counter:
    """Routine inspections an enterprise already has in ``year``: planned or done targets (not void)
    plus counting inspections recorded outside any plan. Case-driven inspections never count."""
    targets = PlanTarget.objects.filter(enterprise_id__in=ids, plan__year=year).exclude(status=TargetStatus.VOID)
    if exclude_plan is not None:
        targets = targets.exclude(plan=exclude_plan)
    load = Counter(targets.values_list("enterprise_id", flat=True))
    load.update(
        Inspection.objects.filter(enterprise_id__in=ids, inspected_on__year=year, plan_target__isnull=True)
        .exclude(kind=InspectionKind.CASE)
        .values_list("enterprise_id", flat=True)
    )
    return load


def _matches(rule, ent: dict, credit: str | None) -> bool:
    if rule.kind == RuleKind.RISK:
        return ent["risk_level"] == rule.match
    if rule.kind == RuleKind.GRADE:
        return (ent["standardization_grade"] or "none") == rule.match
    if rule.kind == RuleKind.FLAG:
        return {
            "hazchem": bool(ent["is_hazchem"]),
            "major_hazard_source": bool(ent["has_major_hazard_source"]),
            "metal_smelting": is_metal_smelting(ent),
        }.get(rule.match, False)
    if rule.kind == RuleKind.CREDIT:
        return credit is not None and str(credit) == rule.match
    return False


@dataclass
class Frequency:
    wanted: int  # what the rules ask for
    cap: int
    reasons: list[str] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return min(self.wanted, self.cap)

    @property
    def capped(self) -> bool:
        return self.wanted > self.cap


def frequency(ent: dict, rules, *, participating: bool, credit=None) -> Frequency:
    base, reasons = 0, []
    for rule in rules:
        if rule.kind != RuleKind.NONPARTICIPANT and _matches(rule, ent, credit) and rule.per_year >= base:
            if rule.per_year > base:
                reasons = []
            base = rule.per_year
            reasons.append(rule.name)
    extra = 0 if participating else sum(r.per_year for r in rules if r.kind == RuleKind.NONPARTICIPANT)
    if extra:
        reasons.append(_("未开展社会化服务 +%(n)s") % {"n": extra})
    return Frequency(wanted=base + extra, cap=cap_for(ent), reasons=reasons)


def active_rules():
    return list(FrequencyRule.objects.filter(is_active=True).order_by("kind", "match", "id"))


def rule_warnings(rules=None) -> list[dict]:
    """For each active rule, how many active enterprises it would push above their yearly cap."""
    rules = active_rules() if rules is None else rules
    ents = list(Enterprise.objects.filter(status=EnterpriseStatus.ACTIVE).values(*ENT_FIELDS))
    out = []
    for rule in rules:
        if rule.kind == RuleKind.NONPARTICIPANT:
            over = sum(1 for e in ents if rule.per_year > cap_for(e))
        else:
            over = sum(1 for e in ents if _matches(rule, e, None) and rule.per_year > cap_for(e))
        if over:
            out.append({"rule": rule, "count": over})
    return out


def plan_months(plan, today: date | None = None) -> list[int]:
    today = today or timezone.localdate()
    start = today.month if plan.year == today.year else (1 if plan.year > today.year else 12)
    return list(range(start, 13))


def spread(count: int, months: list[int], seed: int) -> list[int]:
    """``count`` months spread evenly over ``months``; ``seed`` (the enterprise id) staggers units."""
    n = len(months)
    if count <= 0 or n == 0:
        return []
    offset = seed % max(1, n // count)
    return [months[min(n - 1, (i * n) // count + offset)] for i in range(count)]


@dataclass
class MandatoryRow:
    enterprise: dict
    reasons: list[str]
    frequency: Frequency
    count: int  # what the plan schedules: the frequency (at least 1), within the cap left
    months: list[int]


@dataclass
class Preview:
    plan: object
    months: list[int]
    rows: list[MandatoryRow]
    random_slots: int
    per_month: list[dict]
    warnings: list[str]
    capped: int  # units whose rules asked for more than their cap

    @property
    def mandatory_count(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def mandatory_days(self) -> Decimal:
        return Decimal(self.mandatory_count) * self.plan.days_per_inspection


def mandatory_reasons(ent: dict, *, participating: bool, open_major: bool) -> list[str]:
    reasons = []
    if ent["risk_level"] == "red":
        reasons.append(_("重大风险（红）"))
    if ent["has_major_hazard_source"]:
        reasons.append(_("重大危险源"))
    if open_major:
        reasons.append(_("有未销号的重大事故隐患"))
    level = conf.get("INSPECTION_NONPARTICIPANT_MANDATORY_RISK")
    if not participating and RISK_ORDER.get(ent["risk_level"], 0) >= RISK_ORDER.get(level, 9):
        reasons.append(_("未开展社会化服务且风险较高"))
    return reasons


def preview(plan, today: date | None = None) -> Preview:
    today = today or timezone.localdate()
    on = max(date(plan.year, 1, 1), min(today, date(plan.year, 12, 31)))
    months = plan_months(plan, today)
    ents = list(area_enterprises(plan).values(*ENT_FIELDS).order_by("pk"))
    ids = [e["pk"] for e in ents]
    joined = participants(ids, on)
    majors = open_major_hazard_ids(ids)
    credit = hooks.credit_grades("enterprise", ids)
    load = cap_load(ids, plan.year, exclude_plan=plan)
    rules = active_rules()
    rows, capped = [], 0
    for ent in ents:
        participating = ent["pk"] in joined
        reasons = mandatory_reasons(ent, participating=participating, open_major=ent["pk"] in majors)
        if not reasons:
            continue
        freq = frequency(ent, rules, participating=participating, credit=credit.get(ent["pk"]))
        capped += freq.capped
        room = max(0, freq.cap - load.get(ent["pk"], 0))
        count = min(max(freq.planned, 1), room)
        rows.append(MandatoryRow(ent, reasons + freq.reasons, freq, count, spread(count, months, ent["pk"])))
    per = defaultdict(int)
    for r in rows:
        for m in r.months:
            per[m] += 1
    slots = plan.random_slots
    random_per = spread_slots(slots, months)
    month_capacity = Decimal(plan.capacity) / len(months) if months else Decimal(0)
    per_month = []
    for m in months:
        count = per[m] + random_per.get(m, 0)
        per_month.append(
            {
                "month": m,
                "mandatory": per[m],
                "random": random_per.get(m, 0),
                "days": Decimal(count) * plan.days_per_inspection,
                "capacity": month_capacity.quantize(Decimal("0.1")),
                "over": Decimal(count) * plan.days_per_inspection > month_capacity,
            }
        )
    warnings = []
    mandatory_days = Decimal(sum(r.count for r in rows)) * plan.days_per_inspection
    if mandatory_days > plan.mandatory_capacity:
        warnings.append(
            _("重点检查需要 %(d)s 人日，超过重点检查可用人日 %(c)s，请增加人员或调整占比。")
            % {"d": mandatory_days, "c": plan.mandatory_capacity}
        )
    if capped:
        warnings.append(_("%(n)s 家企业按规则的频次超过年度检查上限，已按上限安排。") % {"n": capped})
    return Preview(plan, months, rows, slots, per_month, warnings, capped)


def spread_slots(slots: int, months: list[int]) -> dict[int, int]:
    if not months:
        return {}
    base, extra = divmod(slots, len(months))
    return {m: base + (1 if i < extra else 0) for i, m in enumerate(months)}


def random_pool(plan, year: int | None = None):
    """(candidates, exclusions) of the plan's next target draw: active units of the area not on its
    mandatory list, not already drawn in it, and below their yearly cap; weights by risk colour."""
    year = year or plan.year
    ents = list(area_enterprises(plan).values(*ENT_FIELDS).order_by("pk"))
    ids = [e["pk"] for e in ents]
    in_plan = dict(
        PlanTarget.objects.filter(plan=plan)
        .exclude(status=TargetStatus.VOID)
        .values_list("enterprise_id", "kind")
        .distinct()
    )
    load = cap_load(ids, year)
    candidates, exclusions = [], []
    for e in ents:
        pk = e["pk"]
        if pk in in_plan:
            reason = _("已列入本计划重点检查") if in_plan[pk] == "mandatory" else _("已在本计划中抽中")
            exclusions.append({"id": str(pk), "label": e["name"], "reason": reason})
        elif load.get(pk, 0) >= cap_for(e):
            exclusions.append(
                {"id": str(pk), "label": e["name"], "reason": _("已达年度检查上限（%(n)s次）") % {"n": cap_for(e)}}
            )
        else:
            candidates.append({"id": str(pk), "label": e["name"], "weight": RISK_WEIGHTS.get(e["risk_level"], 1)})
    return candidates, exclusions


def officer_pool(enterprise, *, on: date | None = None):
    """(candidates, exclusions) of an inspector draw for ``enterprise``: certified county officers and
    the certified officers of its town, minus declared conflicts and who inspected it last round."""
    from datetime import timedelta

    from .models import OfficerConflict, certified_officers

    on = on or timezone.localdate()
    officers = list(
        certified_officers().filter(Q(role="county") | Q(role="town", town_id=enterprise.town_id)).order_by("pk")
    )
    conflicts = {
        c.officer_id: c.reason
        for c in OfficerConflict.objects.filter(enterprise=enterprise, is_active=True).order_by("declared_on")
    }
    since = on - timedelta(days=int(conf.get("INSPECTION_LAST_ROUND_DAYS")))
    last = {}
    for i in Inspection.objects.filter(enterprise=enterprise, inspected_on__gte=since).order_by("inspected_on"):
        last[i.officer_1_id] = last[i.officer_2_id] = i.inspected_on
    candidates, exclusions = [], []
    for o in officers:
        label = str(o)
        if o.pk in conflicts:
            exclusions.append(
                {"id": str(o.pk), "label": label, "reason": _("申报回避：%(r)s") % {"r": conflicts[o.pk]}}
            )
        elif o.pk in last:
            exclusions.append(
                {
                    "id": str(o.pk),
                    "label": label,
                    "reason": _("上一轮（%(d)s）检查过该企业") % {"d": last[o.pk].isoformat()},
                }
            )
        else:
            candidates.append({"id": str(o.pk), "label": label})
    return candidates, exclusions
