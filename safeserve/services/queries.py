"""Reads shared by pages, API, jobs and statistics."""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core.hooks import IndicatorFigure
from safeserve.registry.models import Agency, Enterprise

from .choices import ContractStatus
from .models import ContractEnterprise, ServiceContract, ServiceVisit, VisitRating


def _covering(on_date: date) -> Q:
    """Links whose contract covered ``on_date`` (active then; drafts never count)."""
    return (
        Q(contract__start_date__lte=on_date, contract__end_date__gte=on_date)
        & Q(contract__status__in=(ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED))
        & (Q(contract__terminated_on__isnull=True) | Q(contract__terminated_on__gt=on_date))
    )


def has_socialized_service(enterprises, on_date: date | None = None) -> set[int]:
    """Ids of the given enterprises with a contract in force on ``on_date`` (today by default).

    ``enterprises`` is a queryset (used as a subquery) or an iterable of ids. One query.
    """
    on_date = on_date or timezone.localdate()
    ids = enterprises.values("pk") if isinstance(enterprises, QuerySet) else list(enterprises)
    return set(
        ContractEnterprise.objects.filter(_covering(on_date), enterprise_id__in=ids)
        .values_list("enterprise_id", flat=True)
        .distinct()
    )


def covered_by_contract(enterprise_ids, on_date: date | None = None):
    """Coverage channel "service_contract" (core.hooks.COVERAGE_CHANNELS): of ``enterprise_ids``
    (ids or a values() subquery; None: every enterprise), those with a contract in force on
    ``on_date`` (today by default), as a subquery."""
    on_date = on_date or timezone.localdate()
    links = ContractEnterprise.objects.filter(_covering(on_date))
    if enterprise_ids is not None:
        links = links.filter(enterprise_id__in=enterprise_ids)
    return links.values("enterprise_id")


def enterprises_served_by_agency(on_date: date | None = None, agency_ids=None) -> dict[int, int]:
    """{agency id: enterprises it serves under a contract in force on the date} (the public directory);
    only the agencies in ``agency_ids`` when given (an agency's page counts its own contracts only)."""
    on_date = on_date or timezone.localdate()
    rows = ContractEnterprise.objects.filter(_covering(on_date))
    if agency_ids is not None:
        rows = rows.filter(contract__agency_id__in=agency_ids)
    rows = rows.values("contract__agency_id").annotate(n=Count("enterprise_id", distinct=True))
    return {r["contract__agency_id"]: r["n"] for r in rows}


def rating_by_agency(agency_ids=None) -> dict[int, tuple[float, int]]:
    """{agency id: (average enterprise rating 1–5, number of ratings)}, for ``agency_ids`` when given."""
    rows = VisitRating.objects.all() if agency_ids is None else VisitRating.objects.filter(agency_id__in=agency_ids)
    rows = rows.values("agency_id").annotate(avg=Avg("score"), n=Count("id"))
    return {r["agency_id"]: (round(float(r["avg"]), 2), r["n"]) for r in rows}


def served_filter(on_date: date | None = None) -> Q:
    """A Q on Enterprise: has socialized service on the date (for annotations and counts)."""
    on_date = on_date or timezone.localdate()
    return Q(pk__in=ContractEnterprise.objects.filter(_covering(on_date)).values("enterprise_id"))


DUE_LIMIT = 500  # the overdue-visits page lists at most this many; the home card says "500+" beyond


def missing_visits(user, today: date | None = None, limit: int | None = None, contract_id=None) -> list[dict]:
    """(Active contract, enterprise) pairs whose next visit is overdue against the contract frequency.

    ``user`` None means every contract (the background job); otherwise only contracts the user sees
    and, on them, only the enterprises the user sees (a county-paid contract covering two towns shows
    each town officer its own enterprises only).
    """
    today = today or timezone.localdate()
    contracts = ServiceContract.objects.filter(status=ContractStatus.ACTIVE, start_date__lte=today)
    if contract_id is not None:
        contracts = contracts.filter(pk=contract_id)
    if user is not None:
        contracts = contracts.filter(pk__in=ServiceContract.objects.visible_to(user).values("pk"))
    last = (
        ServiceVisit.objects.filter(contract_id=OuterRef("contract_id"), enterprise_id=OuterRef("enterprise_id"))
        .order_by("-visited_at")
        .values("visited_at")[:1]
    )
    links = ContractEnterprise.objects.filter(contract__in=contracts)
    if user is not None:
        links = links.filter(enterprise__in=Enterprise.objects.visible_to(user).values("pk"))
    links = (
        links.annotate(last_visit=Subquery(last))
        .values(
            "contract_id",
            "enterprise_id",
            "last_visit",
            "contract__number",
            "contract__start_date",
            "contract__visits_per_year",
            "contract__agency_id",
            "contract__agency__name",
            "enterprise__name",
            "enterprise__town_id",
        )
        .order_by("contract_id", "enterprise_id")
    )
    rows = []
    for link in links.iterator(chunk_size=2000):
        interval = -(-365 // max(1, link["contract__visits_per_year"]))
        last_day = timezone.localtime(link["last_visit"]).date() if link["last_visit"] else None
        due = (last_day or link["contract__start_date"]) + timedelta(days=interval)
        if due < today:
            rows.append(
                {
                    "contract_id": link["contract_id"],
                    "contract_number": link["contract__number"],
                    "enterprise_id": link["enterprise_id"],
                    "enterprise_name": link["enterprise__name"],
                    # For the pages' enterprise_link (an unsaved stand-in: no query per row).
                    "enterprise": Enterprise(pk=link["enterprise_id"], name=link["enterprise__name"]),
                    "agency_id": link["contract__agency_id"],
                    "agency_name": link["contract__agency__name"],
                    "town_id": link["enterprise__town_id"],
                    "visits_per_year": link["contract__visits_per_year"],
                    "last_visit": last_day,
                    "due": due,
                    "days_overdue": (today - due).days,
                }
            )
            if limit and len(rows) >= limit:
                break
    return rows


def agency_ratings(user):
    """Agencies the user may see with their average rating and number of ratings."""
    return (
        Agency.objects.visible_to(user)
        .annotate(rating_avg=Avg("ratings__score"), rating_count=Count("ratings"))
        .order_by("-rating_avg", "name")
    )


def rating_of(agency_id) -> dict:
    return VisitRating.objects.filter(agency_id=agency_id).aggregate(avg=Avg("score"), count=Count("id"))


def visits_for(user):
    return ServiceVisit.objects.visible_to(user).select_related("enterprise", "agency", "contract", "rating")


def last_visit_per_enterprise(user):
    return visits_for(user).values("enterprise_id").annotate(last=Max("visited_at"))


def home_summary(user) -> dict:
    """Cards for the role home page (core.home hook)."""
    cards = []
    if not user.has_perm("services.view_servicevisit"):
        return {"cards": cards, "charts": []}
    today = timezone.localdate()
    if user.role in ("agency", "town"):  # the county sees them per town on the due page
        missing = missing_visits(user, today=today, limit=DUE_LIMIT)
        cards.append(
            {
                "key": "visits-due",
                "label": _("逾期未上门服务"),
                "value": len(missing) if len(missing) < DUE_LIMIT else f"{DUE_LIMIT}+",
                "url": reverse("services:visit_due"),
            }
        )
    month_start = timezone.make_aware(datetime.combine(today.replace(day=1), time.min))
    cards.append(
        {
            "key": "visits-month",
            "label": _("本月服务记录"),
            "value": ServiceVisit.objects.visible_to(user).filter(visited_at__gte=month_start).count(),
            "url": reverse("services:visit_list") + f"?date_from={today.replace(day=1).isoformat()}",
        }
    )
    if user.role == "enterprise":
        cards.append(
            {
                "key": "visits-unrated",
                "label": _("待评价服务"),
                "value": ServiceVisit.objects.visible_to(user).filter(rating__isnull=True).count(),
                "url": reverse("services:visit_list") + "?rated=false",
            }
        )
        cards.append(
            {
                "key": "visits-unconfirmed",
                "label": _("待确认服务"),
                "value": ServiceVisit.objects.visible_to(user).filter(confirmation__confirmed_at__isnull=True).count(),
                "url": reverse("services:visit_list") + "?confirmed=false",
            }
        )
    if user.role == "agency":
        r = rating_of(user.agency_id)
        cards.append(
            {
                "key": "rating",
                "label": _("服务评价（平均分/次数）"),
                "value": f"{r['avg']:.1f} / {r['count']}" if r["count"] else "— / 0",
                "url": reverse("services:ratings"),
            }
        )
    return {"cards": cards, "charts": []}


def enterprises_in_force_for_agency(agency_id, on_date: date | None = None):
    """Subquery: enterprises an agency serves under a contract in force on ``on_date`` (today)."""
    on_date = on_date or timezone.localdate()
    return ContractEnterprise.objects.filter(_covering(on_date), contract__agency_id=agency_id).values("enterprise_id")


def agencies_in_force_for(enterprise_id, on_date: date | None = None) -> list[int]:
    """Agencies serving an enterprise under a contract in force on ``on_date`` (today). One query."""
    on_date = on_date or timezone.localdate()
    return sorted(
        set(
            ContractEnterprise.objects.filter(_covering(on_date), enterprise_id=enterprise_id).values_list(
                "contract__agency_id", flat=True
            )
        )
    )


def contract_enterprises_for(user):
    """The enterprises ``user`` is shown on the contracts it sees.

    Those it may see anyway; for an agency, every enterprise its own contracts name, drafts too: it is
    the other party and decides whether to sign (activate), so it must know whom it would serve. This
    shows names on its contracts only; it does not open the enterprises' pages (Enterprise.scope_q).
    """
    if getattr(user, "role", None) == "agency":
        return Enterprise.objects.only("id", "name", "town_id").order_by("name")
    return Enterprise.objects.visible_to(user).only("id", "name", "town_id").order_by("name")


def contracts_for(user, action: str = "view"):
    """Contracts ``user`` may reach for ``action``; for viewing, each with ``named_enterprises``."""
    qs = ServiceContract.objects.visible_to(user, action)
    if action != "view":
        return qs
    ents = contract_enterprises_for(user)
    return qs.prefetch_related(Prefetch("enterprises", queryset=ents, to_attr="named_enterprises"))


def contract_enterprise_search(user, q: str, limit: int = 20):
    """Enterprises ``user`` may name on a contract, matching ``q`` in name or credit code (at most ``limit``)."""
    rows = Enterprise.objects.visible_to(user).select_related("town").order_by("name")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(credit_code__istartswith=q))
    return list(rows[:limit])


def _contract_status_badge(status) -> str:
    return {ContractStatus.ACTIVE: "success", ContractStatus.DRAFT: "secondary"}.get(status, "light")


def enterprise_panels(request, enterprise) -> list[dict]:
    """Contracts and visits of one enterprise, as the viewer may see them (core.hooks.ENTERPRISE_PANELS)."""
    user = request.user
    panels = []
    pk = enterprise.pk
    if user.has_perm("services.view_servicecontract"):
        links = ContractEnterprise.objects.filter(enterprise_id=pk).values("contract_id")
        contracts = ServiceContract.objects.visible_to(user).filter(pk__in=links)
        agg = contracts.aggregate(total=Count("id"), active=Count("id", filter=Q(status=ContractStatus.ACTIVE)))
        url = reverse("services:servicecontract_list") + f"?enterprise={pk}"
        panels.append(
            {
                "key": "contracts",
                "title": _("服务合同"),
                "figures": [
                    {"key": "active", "label": _("履行中"), "value": agg["active"], "url": f"{url}&status=active"},
                    {"key": "total", "label": _("全部合同"), "value": agg["total"], "url": url},
                ],
                "items": [
                    {
                        "text": f"{c.number} · {c.agency.name}",
                        "badge": _contract_status_badge(c.status),
                        "url": c.get_absolute_url(),
                        "meta": f"{c.get_status_display()} {c.end_date:%Y-%m-%d}",
                    }
                    for c in contracts.select_related("agency").order_by("-start_date", "-id")[:5]
                ],
                "url": url,
            }
        )
    if user.has_perm("services.view_servicevisit"):
        visits = ServiceVisit.objects.visible_to(user).filter(enterprise_id=pk)
        agg = visits.aggregate(total=Count("id"), rating=Avg("rating__score"))
        url = reverse("services:visit_list") + f"?enterprise={pk}"
        panels.append(
            {
                "key": "visits",
                "title": _("上门服务记录"),
                "figures": [
                    {"key": "total", "label": _("服务记录"), "value": agg["total"], "url": url},
                    {
                        "key": "rating",
                        "label": _("平均评分"),
                        "value": f"{agg['rating']:.1f}" if agg["rating"] is not None else "—",
                    },
                ],
                "items": [
                    {
                        "text": f"{timezone.localtime(v.visited_at):%Y-%m-%d %H:%M} · {v.agency.name}",
                        "url": v.get_absolute_url(),
                        "meta": f"{v.rating.score}★" if getattr(v, "rating", None) else _("未评价"),
                    }
                    for v in visits.select_related("agency", "rating").order_by("-visited_at", "-id")[:5]
                ],
                "url": url,
            }
        )
    return panels


# ---------------------------------------------------------------- indicator source (assessments)


def indicator_visits_on_time(subject, subject_ids, start, end):
    """合同上门服务按时完成率 (core.hooks.INDICATOR_SOURCES "services.visits_on_time").

    Each (contract, enterprise) pair owes one visit per interval (365 / visits a year, rounded up),
    counted from the contract's start: windows [start + k·interval, start + (k+1)·interval). A window
    is due when it ends inside the period, before the cut-off and while the contract was in force; it
    is on time when a visit of that contract to that enterprise falls inside it. The figure is on-time
    windows / due windows, from the records' own dates as of ``end``; the visits that made windows on
    time and the contracts are the records behind it.
    """
    ids = list(subject_ids)
    field = {"town": "enterprise__town_id", "agency": "contract__agency_id"}[subject]
    links = (
        ContractEnterprise.objects.filter(**{f"{field}__in": ids})
        .filter(
            contract__status__in=(ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED),
            contract__start_date__lte=end,
            contract__end_date__gte=start,
        )
        .values_list(
            field,
            "contract_id",
            "enterprise_id",
            "contract__start_date",
            "contract__end_date",
            "contract__terminated_on",
            "contract__visits_per_year",
        )
        .order_by()
    )
    links = list(links)
    visits: dict = {}
    pairs = {(c, e) for _s, c, e, *_rest in links}
    if pairs:
        tz = timezone.get_current_timezone()
        hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
        rows = ServiceVisit.objects.filter(contract_id__in={c for c, _e in pairs}, visited_at__lt=hi).values_list(
            "pk", "contract_id", "enterprise_id", "visited_at"
        )
        for pk, c, e, at in rows.order_by("visited_at", "pk"):
            if (c, e) in pairs:
                visits.setdefault((c, e), []).append((timezone.localtime(at).date(), pk))
    due = dict.fromkeys(ids, 0)
    done = dict.fromkeys(ids, 0)
    behind: dict = {sid: set() for sid in ids}
    contracts: dict = {sid: set() for sid in ids}
    for sid, c, e, c_start, c_end, terminated, per_year in links:
        interval = -(-365 // max(1, per_year))
        last = min(end, c_end, (terminated - timedelta(days=1)) if terminated else c_end)
        contracts[sid].add(c)
        k = 0
        while True:
            w_start = c_start + timedelta(days=k * interval)
            w_end = w_start + timedelta(days=interval - 1)
            if w_end > last:
                break
            k += 1
            if w_end < start:
                continue
            due[sid] += 1
            hit = next((pk for day, pk in visits.get((c, e), ()) if w_start <= day <= w_end), None)
            if hit is not None:
                done[sid] += 1
                behind[sid].add(hit)
    return {
        sid: IndicatorFigure(
            value=(Decimal(done[sid]) * 100 / Decimal(due[sid])).quantize(Decimal("0.01")) if due[sid] else None,
            numerator=done[sid],
            denominator=due[sid],
            records={"services.servicevisit": sorted(behind[sid]), "services.servicecontract": sorted(contracts[sid])},
        )
        for sid in ids
    }


# ---------------------------------------------------------------- agency grading sources (年度考评)

CONFIRM_HOURS_DEFAULT = 48


def confirm_hours() -> int:
    """Hours after the visit within which its record is entered and the enterprise confirms (signs) it;
    ``settings.SAFESERVE["VISIT_CONFIRM_HOURS"]``, default 48."""
    from django.conf import settings

    value = getattr(settings, "SAFESERVE", {}).get("VISIT_CONFIRM_HOURS")
    return int(value if value is not None else CONFIRM_HOURS_DEFAULT)


def _local_range(start: date, end: date):
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return lo, hi


def indicator_agency_rating(subject, subject_ids, start, end):
    """企业服务评价 (core.hooks.INDICATOR_SOURCES "services.agency_rating"): the mean of the enterprises'
    ratings (1–5) of the agency's visits made in the period (local date of the visit, up to the
    cut-off). None when no visit of the period was rated. The ratings are the records behind it."""
    lo, hi = _local_range(start, end)
    rows = VisitRating.objects.filter(
        agency_id__in=list(subject_ids), visit__visited_at__gte=lo, visit__visited_at__lt=hi
    ).values_list("pk", "agency_id", "score")
    by_agency: dict = {}
    for pk, agency_id, score in rows.order_by("pk"):
        by_agency.setdefault(agency_id, []).append((pk, score))
    out = {}
    for sid in subject_ids:
        got = by_agency.get(sid, [])
        total = sum(s for _pk, s in got)
        out[sid] = IndicatorFigure(
            value=(Decimal(total) / len(got)).quantize(Decimal("0.01"), ROUND_HALF_UP) if got else None,
            numerator=total,
            denominator=len(got),
            records={"services.visitrating": [pk for pk, _s in got]},
        )
    return out


def indicator_visits_confirmed_on_time(subject, subject_ids, start, end):
    """服务记录及时确认率 (core.hooks.INDICATOR_SOURCES "services.visits_confirmed_on_time").

    Of the agency's visits made in the period (local date, up to the cut-off), the share whose record
    was entered (server time ``recorded_at``) *and* confirmed by the enterprise's signature
    (``signed_at``) within ``confirm_hours()`` (48) hours of the visit. A visit never signed, or signed
    or entered later, is late. The on-time visits are the records behind the figure."""
    lo, hi = _local_range(start, end)
    limit = timedelta(hours=confirm_hours())
    rows = ServiceVisit.objects.filter(
        agency_id__in=list(subject_ids), visited_at__gte=lo, visited_at__lt=hi
    ).values_list("pk", "agency_id", "visited_at", "recorded_at", "signed_at")
    due = dict.fromkeys(subject_ids, 0)
    on_time: dict = {sid: [] for sid in subject_ids}
    for pk, agency_id, visited, recorded, signed in rows.order_by("pk"):
        due[agency_id] += 1
        if recorded and signed and recorded - visited <= limit and signed - visited <= limit:
            on_time[agency_id].append(pk)
    out = {}
    for sid in subject_ids:
        n, ok = due[sid], len(on_time[sid])
        out[sid] = IndicatorFigure(
            value=(Decimal(ok * 100) / n).quantize(Decimal("0.1"), ROUND_HALF_UP) if n else None,
            numerator=ok,
            denominator=n,
            records={"services.servicevisit": on_time[sid]},
        )
    return out
