"""Planned vs done for a purchase project, computed from its contract's visits and hazards.

Read for a project the caller already reached through ``visible_to``: the figures are aggregates of
that project's own contract (counts and shares, no names), so they are not scoped again per row.
"""

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q
from django.utils.translation import gettext_lazy as _

from safeserve.core import hooks
from safeserve.hazards.choices import HazardLevel, HazardState
from safeserve.hazards.models import Hazard, HazardEvent
from safeserve.services.models import ServiceVisit, VisitRating

from .models import ProjectTarget

# The figures an indicator may be suggested from (Indicator.figure): key -> label. Each is a share 0..1.
FIGURES = {
    "visited_share": _("目标企业服务覆盖率"),
    "frequency_share": _("服务频次达标率"),
    "closure_share": _("隐患整改闭环率"),
    "recheck_share": _("复核（验收）通过率"),
    "satisfaction_share": _("企业满意度"),
}


def _share(num, den) -> Decimal | None:
    if not den:
        return None
    return (Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def figures(project, as_of: date) -> dict:
    """Plain values (JSON-ready strings for decimals) describing the contract's performance on ``as_of``."""
    target_ids = list(ProjectTarget.objects.filter(project=project).values_list("enterprise_id", flat=True))
    n = len(target_ids)
    start, end = project.start_date, project.end_date
    term_days = max(1, (end - start).days + 1) if end else 1
    elapsed = max(0, min((as_of - start).days + 1, term_days))
    per_enterprise_term = math.ceil(project.visits_per_year * project.term_months / 12)
    per_enterprise_due = math.ceil(per_enterprise_term * elapsed / term_days) if elapsed else 0
    out = {
        "as_of": as_of.isoformat(),
        "targets": n,
        "planned_visits_term": n * per_enterprise_term,
        "planned_visits_due": n * per_enterprise_due,
        "visits": 0,
        "visited": 0,
        "frequency_met": 0,
        "hazards": 0,
        "major": 0,
        "closed": 0,
        "accepted": 0,
        "rejected": 0,
        "ratings": 0,
        "rating_avg": None,
        "complaints": None,  # None: no complaint source is installed (docs/decisions/0041)
    }
    contract = project.contract
    if contract is not None:
        visits = ServiceVisit.objects.filter(contract=contract, visited_at__date__lte=as_of)
        per = dict(
            visits.filter(enterprise_id__in=target_ids)
            .values("enterprise_id")
            .annotate(n=Count("id"))
            .values_list("enterprise_id", "n")
        )
        out["visits"] = visits.count()
        out["visited"] = len(per)
        out["frequency_met"] = sum(1 for eid in target_ids if per.get(eid, 0) >= max(1, per_enterprise_due))
        hz = Hazard.objects.filter(visit__contract=contract, reported_at__date__lte=as_of).aggregate(
            total=Count("id"),
            major=Count("id", filter=Q(level=HazardLevel.MAJOR)),
            closed=Count("id", filter=Q(state=HazardState.CLOSED)),
        )
        out["hazards"], out["major"], out["closed"] = hz["total"], hz["major"], hz["closed"]
        ev = HazardEvent.objects.filter(hazard__visit__contract=contract, at__date__lte=as_of).aggregate(
            accepted=Count("id", filter=Q(action="accept")), rejected=Count("id", filter=Q(action="reject"))
        )
        out["accepted"], out["rejected"] = ev["accepted"], ev["rejected"]
        r = VisitRating.objects.filter(visit__contract=contract).aggregate(n=Count("id"), avg=Avg("score"))
        out["ratings"] = r["n"]
        out["rating_avg"] = str(Decimal(str(r["avg"])).quantize(Decimal("0.01"))) if r["avg"] is not None else None
    out["complaints"] = _verified_complaints(contract, start, min(as_of, end) if end else as_of)
    shares = {
        "visited_share": _share(out["visited"], n),
        "frequency_share": _share(out["frequency_met"], n),
        "closure_share": _share(out["closed"], out["hazards"]),
        "recheck_share": _share(out["accepted"], out["accepted"] + out["rejected"]),
        "satisfaction_share": _share(Decimal(out["rating_avg"]), 5) if out["rating_avg"] is not None else None,
    }
    out.update({k: (str(v) if v is not None else None) for k, v in shares.items()})
    return out


COMPLAINT_SOURCE = "tipoffs.agency_verified_reports"


def _verified_complaints(contract, start: date, end: date) -> int | None:
    """查实的投诉举报: reports against the supplier closed as 属实/部分属实 within the term up to ``end``,
    through the indicator the yearly agency grading reads (the same reports, counted the same way).
    None when no report source is installed; 0 before a contract or before the term starts."""
    source = hooks.INDICATOR_SOURCES.get(COMPLAINT_SOURCE)
    if source is None:
        return None
    if contract is None or end < start:
        return 0
    return source.compute("agency", [contract.agency_id], start, end)[contract.agency_id].numerator


def percent(value) -> str:
    """A stored share ("0.8125") as "81.3%"; "—" when there was nothing to measure."""
    if value in (None, ""):
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal('0.1'))}%"
