"""Reads shared by pages, the public page, the progress chart and the assessment indicator."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.hooks import IndicatorFigure
from safeserve.registry.models import Town

from . import conf
from .choices import TargetStatus
from .models import Inspection, PlanTarget, TargetDraw


def add_working_days(start: date, n: int) -> date:
    """``start`` + ``n`` working days (Monday to Friday; public holidays are not modelled)."""
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def publish_due(inspection) -> date:
    return add_working_days(inspection.inspected_on, int(conf.get("INSPECTION_PUBLISH_WORKING_DAYS")))


def my_tasks(user, today: date | None = None):
    """The planned inspections drawn to ``user`` for this month (and any overdue from earlier months)."""
    today = today or timezone.localdate()
    return (
        PlanTarget.objects.visible_to(user)
        .filter(Q(officer_1=user) | Q(officer_2=user), status=TargetStatus.PLANNED, plan__year=today.year)
        .filter(month__lte=today.month)
        .select_related("enterprise", "plan", "officer_1", "officer_2")
        .order_by("month", "enterprise__name", "pk")
    )


def progress(user, year: int) -> dict:
    """Planned vs done by month and by town, of the targets the user may see (void ones left out)."""
    rows = (
        PlanTarget.objects.visible_to(user)
        .filter(plan__year=year)
        .exclude(status=TargetStatus.VOID)
        .values_list("month", "enterprise__town_id", "status")
    )
    by_month = {m: [0, 0] for m in range(1, 13)}
    by_town = defaultdict(lambda: [0, 0])
    for month, town_id, status in rows:
        done = status == TargetStatus.DONE
        by_month[month][0] += 1
        by_month[month][1] += done
        by_town[town_id][0] += 1
        by_town[town_id][1] += done
    towns = dict(Town.objects.filter(pk__in=list(by_town)).values_list("pk", "name"))
    town_rows = sorted(
        ({"town": towns.get(t, ""), "planned": v[0], "done": v[1]} for t, v in by_town.items()),
        key=lambda r: r["town"],
    )
    return {
        "months": [f"{m}月" for m in range(1, 13)],
        "planned": [by_month[m][0] for m in range(1, 13)],
        "done": [by_month[m][1] for m in range(1, 13)],
        "towns": [r["town"] for r in town_rows],
        "town_planned": [r["planned"] for r in town_rows],
        "town_done": [r["done"] for r in town_rows],
        "town_rows": town_rows,
    }


# ---------------------------------------------------------------- 一公开 (no login)


def public_draws(limit: int = 50):
    return TargetDraw.objects.select_related("draw", "plan", "plan__town").order_by("-created_at", "-id")[:limit]


def public_results(limit: int = 100):
    """Published results only: enterprise name, date, result, summary. Never officers or contacts."""
    return (
        Inspection.objects.filter(published_at__isnull=False)
        .select_related("enterprise", "town")
        .only("enterprise__name", "town__name", "inspected_on", "result", "result_summary", "kind", "published_at")
        .order_by("-inspected_on", "-id")[:limit]
    )


def public_section(request):
    count = Inspection.objects.filter(published_at__isnull=False).count()
    return {
        "key": "inspections",
        "title": _("双随机抽查与检查结果公示"),
        "url": reverse("inspections:public"),
        "summary": _("已公示检查结果 %(n)s 条") % {"n": count},
    }


# ---------------------------------------------------------------- assessment indicator


def plan_completion(subject: str, subject_ids, start: date, end: date) -> dict:
    """监督检查计划完成率 per town: of the planned inspections due in months within [start, end],
    the share done by ``end`` (an inspection dated on or before the cut-off)."""
    if subject != "town":
        return {}
    ids = list(subject_ids) if subject_ids is not None else list(Town.objects.values_list("pk", flat=True))
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    cond = Q(pk__in=[])
    for y, m in months:
        cond |= Q(plan__year=y, month=m)
    rows = (
        PlanTarget.objects.filter(cond, enterprise__town_id__in=ids)
        .exclude(status=TargetStatus.VOID)
        .values_list("pk", "enterprise__town_id", "inspection__inspected_on")
    )
    planned, done = defaultdict(list), defaultdict(list)
    for pk, town_id, on in rows:
        planned[town_id].append(pk)
        if on is not None and on <= end:
            done[town_id].append(pk)
    out = {}
    for town_id in ids:
        p, d = len(planned[town_id]), len(done[town_id])
        value = (Decimal(d) * 100 / p).quantize(Decimal("0.1")) if p else None
        out[town_id] = IndicatorFigure(
            value=value, numerator=d, denominator=p, records={"inspections.plantarget": sorted(planned[town_id])}
        )
    return out


def enterprise_panels(request, enterprise) -> list[dict]:
    """监督检查 of one enterprise as the viewer may see them (core.hooks.ENTERPRISE_PANELS)."""
    user = request.user
    if not user.has_perm("inspections.view_inspection"):
        return []
    qs = Inspection.objects.visible_to(user).filter(enterprise_id=enterprise.pk)
    year = timezone.localdate().year
    url = reverse("inspections:inspection_list") + f"?enterprise={enterprise.pk}"
    items = [
        {
            "text": f"{i.inspected_on.isoformat()} · {i.get_kind_display()}",
            "url": i.get_absolute_url(),
            "meta": i.get_result_display(),
            "badge": None,
        }
        for i in qs.order_by("-inspected_on", "-id")[:5]
    ]
    return [
        {
            "key": "inspections",
            "title": _("监督检查"),
            "figures": [
                {"key": "year", "label": _("本年检查"), "value": qs.filter(inspected_on__year=year).count(), "url": url}
            ],
            "items": items,
            "url": url,
            "more": _("全部检查记录"),
        }
    ]
