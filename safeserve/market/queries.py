"""What the public portal and the directory show: computed on the day, from the records' own dates.

Every figure here is public by design: aggregate numbers, and of each agency only what it publishes
about itself (profile, prices, office phone) plus what the register and its record establish
(qualifications, certified staff count, enterprises served, ratings, grade). No person's data.
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.utils import timezone

from safeserve.core import hooks
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, AgencyQualification, AgencyStaff, Enterprise, Expert, Town
from safeserve.services import queries as service_queries
from safeserve.services.models import ServiceVisit

from .models import AgencyProfile, CaseStatus, CaseStory, PriceItem

TYPE_LABELS = dict(ServiceType.choices)


@dataclass
class Listing:
    agency: Agency
    types: list[str]
    qualifications: list[AgencyQualification]
    certified_staff: int
    served: int
    rating: float | None
    ratings: int
    grade: str | None
    notice: bool | None  # None: the practice-notice system does not exist yet
    prices: list[PriceItem]
    towns: list[str]  # [] = the whole county
    profile: AgencyProfile | None = None
    yearly: object | None = None  # core.hooks.YearlyGrade: the latest finalised yearly grading
    meets_staff_minimum: bool = field(init=False)

    def __post_init__(self):
        self.meets_staff_minimum = self.certified_staff >= settings.SAFESERVE_MARKET["STAFF_MINIMUM"]

    @property
    def types_display(self) -> str:
        return "、".join(str(TYPE_LABELS.get(t, t)) for t in self.types)

    @property
    def lowest_price(self):
        return min((p.price_min for p in self.prices), default=None)


def licensed_types() -> set[str]:
    return set(settings.SAFESERVE["LICENSED_SERVICE_TYPES"])


def effective_types(agency: Agency, quals, on: date) -> list[str]:
    """The agency's service types it may offer on ``on``: a licensed type only while a valid,
    county-confirmed qualification covers it (an expired one removes the type it covers)."""
    licensed = licensed_types()
    return [
        t
        for t in agency.service_types
        if t not in licensed or any(q.service_type == t and q.counts_on(on) for q in quals)
    ]


def directory(
    on: date | None = None,
    *,
    service_type: str = "",
    town: int | None = None,
    min_rating: float | None = None,
    grade: str = "",
    price_max=None,
    text: str = "",
    sort: str = "rating",
    ids=None,
) -> list[Listing]:
    """The agencies the public may choose from on ``on``, filtered and sorted. A fixed number of
    queries whatever the number of agencies."""
    on = on or timezone.localdate()
    agencies = (
        Agency.objects.filter(is_active=True)
        .exclude(market_profile__hidden=True)
        .select_related("market_profile")
        .prefetch_related(
            Prefetch("qualifications", queryset=AgencyQualification.objects.order_by("valid_until")),
            Prefetch("price_items", queryset=PriceItem.objects.order_by("service_type", "price_min", "id")),
            Prefetch("market_profile__towns_served", queryset=Town.objects.order_by("sort_order", "code")),
        )
        .order_by("name", "id")
    )
    if ids is not None:
        agencies = agencies.filter(pk__in=ids)
    if text:
        agencies = agencies.filter(Q(name__contains=text) | Q(market_profile__intro__contains=text))
    agencies = list(agencies)
    agency_ids = [a.pk for a in agencies]
    listed = hooks.listed_ids("agency", agency_ids, on)
    grades = hooks.credit_grades("agency", agency_ids)
    yearly = hooks.agency_yearly_grades(agency_ids)
    notices = hooks.agencies_with_notice(agency_ids, on)
    some = None if ids is None else agency_ids  # a page or a comparison counts only its own agencies
    served = service_queries.enterprises_served_by_agency(on, some)
    ratings = service_queries.rating_by_agency(some)
    staff_counts: dict[int, int] = {}
    for person in AgencyStaff.objects.filter(agency_id__in=agency_ids, is_active=True, is_registered_engineer=True):
        if person.is_qualified_on(on):
            staff_counts[person.agency_id] = staff_counts.get(person.agency_id, 0) + 1
    out = []
    for a in agencies:
        if a.pk in listed:
            continue
        quals = list(a.qualifications.all())
        profile = getattr(a, "market_profile", None)
        towns = [t.name for t in profile.towns_served.all()] if profile else []
        town_ids = {t.pk for t in profile.towns_served.all()} if profile else set()
        rating, n = ratings.get(a.pk, (None, 0))
        listing = Listing(
            agency=a,
            types=effective_types(a, quals, on),
            qualifications=[q for q in quals if q.counts_on(on)],
            certified_staff=staff_counts.get(a.pk, 0),
            served=served.get(a.pk, 0),
            rating=rating,
            ratings=n,
            grade=grades.get(a.pk),
            notice=None if notices is None else a.pk in notices,
            prices=[p for p in a.price_items.all() if p.service_type in effective_types(a, quals, on)],
            towns=towns,
            profile=profile,
            yearly=yearly.get(a.pk),
        )
        if not listing.types:
            continue
        if service_type and service_type not in listing.types:
            continue
        if town and town_ids and town not in town_ids:
            continue
        if min_rating is not None and (listing.rating is None or listing.rating < min_rating):
            continue
        if grade and listing.grade != grade:
            continue
        if price_max is not None:
            relevant = [p for p in listing.prices if not service_type or p.service_type == service_type]
            if not any(p.price_min <= price_max for p in relevant):
                continue
        out.append(listing)
    if sort == "served":
        out.sort(key=lambda x: (-x.served, x.agency.name))
    elif sort == "price":
        out.sort(key=lambda x: (x.lowest_price is None, x.lowest_price or 0, x.agency.name))
    else:
        out.sort(key=lambda x: (x.rating is None, -(x.rating or 0), -x.ratings, x.agency.name))
    return out


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def portal_figures(on: date | None = None) -> dict:
    """The county's aggregate figures for the public home, cached for a few minutes."""
    on = on or timezone.localdate()
    key = f"market:portal-figures:{on.isoformat()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    active = Enterprise.objects.filter(status="active")
    subqueries = hooks.coverage_subqueries(active.values("pk"), on)
    participating = Q(pk__in=[])
    for sq in subqueries:
        participating |= Q(pk__in=sq)
    targets = settings.SAFESERVE_MARKET
    groups = {
        "all": (active, targets["TARGET_ALL"]),
        "village_small": (active.filter(is_village_small=True), targets["TARGET_VILLAGE_SMALL"]),
        "key_industry": (active.filter(industry__is_key=True), targets["TARGET_KEY_INDUSTRY"]),
    }
    figures = {}
    for name, (qs, target) in groups.items():
        total = qs.count()
        part = qs.filter(participating).count() if subqueries else 0
        figures[name] = {"total": total, "participating": part, "share": _share(part, total), "target": target}
    year_start = on.replace(month=1, day=1)
    result = {
        "on": on,
        "coverage": figures,
        "agencies": len(directory(on)),
        "experts": Expert.objects.filter(is_active=True).count(),
        "visits_this_year": ServiceVisit.objects.filter(visited_at__date__gte=year_start).count(),
    }
    cache.set(key, result, settings.SAFESERVE_MARKET["PORTAL_CACHE_SECONDS"])
    return result


def published_cases():
    return CaseStory.objects.filter(status=CaseStatus.PUBLISHED).select_related("town").order_by("-published_at")


# ---------------------------------------------------------------- needs and quotes (issue 17 §2)


def agency_types_on(agency: Agency, on: date | None = None) -> list[str]:
    """The service types ``agency`` may offer on ``on``: nothing when it is not in the public
    directory (not in register, hidden by the county, on the serious-default list)."""
    on = on or timezone.localdate()
    if not agency.is_active:
        return []
    profile = AgencyProfile.objects.filter(agency=agency).first()
    if profile is not None and profile.hidden:
        return []
    if agency.pk in hooks.listed_ids("agency", [agency.pk], on):
        return []
    return effective_types(agency, list(agency.qualifications.all()), on)


def bar_reason(agency: Agency, enterprise, on: date | None = None) -> str:
    """Why ``agency`` may not quote for ``enterprise`` on ``on`` ("" when it may)."""
    from django.utils.translation import gettext as _

    from .models import Bar

    on = on or timezone.localdate()
    if agency.pk in hooks.listed_ids("agency", [agency.pk], on):
        return _("本机构已被列入严重失信名单，不能报价。")
    if AgencyProfile.objects.filter(agency=agency, hidden=True).exists():
        return _("本机构已被县局在服务超市中隐藏，不能报价。")
    bar = Bar.objects.filter(agency=agency, enterprise=enterprise).first()
    if bar is not None:
        return _("县局已禁止本机构为该企业报价：%(r)s") % {"r": bar.reason}
    return ""


def needs_open_to(agency_id, on: date | None = None) -> list[int]:
    """Ids of the open needs agency ``agency_id`` sees: in a town it serves (none chosen = the whole
    county), open to all and asking for a type it offers on the day, or inviting it; never a need
    of an enterprise it is barred from. A handful of queries whatever the number of needs."""
    from .models import Bar, Need, NeedStatus

    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        return []
    types = set(agency_types_on(agency, on))
    if not types:
        return []
    profile = AgencyProfile.objects.filter(agency=agency).first()
    towns = set(profile.towns_served.values_list("pk", flat=True)) if profile else set()
    invited = set(Need.invited.through.objects.filter(agency_id=agency_id).values_list("need_id", flat=True))
    barred = set(Bar.objects.filter(agency_id=agency_id).values_list("enterprise_id", flat=True))
    out = []
    rows = Need.objects.filter(status=NeedStatus.OPEN).values_list(
        "pk", "service_types", "town_id", "open_to_all", "enterprise_id"
    )
    for pk, need_types, town_id, open_to_all, enterprise_id in rows:
        if enterprise_id in barred or (towns and town_id not in towns):
            continue
        if pk in invited or (open_to_all and types & set(need_types or ())):
            out.append(pk)
    return out


def _median(values):
    from statistics import median

    return round(median(values), 1) if values else None


def market_stats(user, on: date | None = None) -> dict:
    """The market as the county (every town) or a town (its own) sees it. Everything is counted from
    the rows the user may see (``Need.scope_q``)."""
    from datetime import timedelta

    from django.db.models import Count, Min

    from .models import Need, NeedStatus, Quote, QuoteStatus

    on = on or timezone.localdate()
    days = settings.SAFESERVE_MARKET["NO_DELIVERY_DAYS"]
    needs = Need.objects.visible_to(user, "view")
    quotes = Quote.objects.filter(need__in=needs).exclude(status=QuoteStatus.WITHDRAWN)
    n_needs = needs.count()
    n_quotes = quotes.count()
    firsts = needs.annotate(
        first=Min("quotes__created_at", filter=~Q(quotes__status=QuoteStatus.WITHDRAWN))
    ).values_list("created_at", "first")
    waits = [(first - posted).total_seconds() / 3600 for posted, first in firsts if first is not None]
    contracted = needs.filter(quotes__contract__isnull=False).distinct().count()
    # Price ranges per service type and town (a quote counts once for each type its need asks for).
    ranges: dict[tuple[str, str], list] = {}
    for price, types, town in quotes.values_list("price", "need__service_types", "need__town__name"):
        for t in types or ():
            ranges.setdefault((t, town), []).append(price)
    price_rows = [
        {
            "type": str(TYPE_LABELS.get(t, t)),
            "town": town,
            "n": len(v),
            "min": float(min(v)),
            "median": float(_median(v)),
            "max": float(max(v)),
        }
        for (t, town), v in sorted(ranges.items())
    ]
    # Quoted, won, and no visit recorded on the resulting contract within ``days`` of acceptance.
    cutoff = timezone.now() - timedelta(days=days)
    won = quotes.filter(contract__isnull=False, accepted_at__lte=cutoff).select_related("agency")
    visits: dict[int, list] = {}
    for contract_id, at in ServiceVisit.objects.filter(contract__in=won.values("contract_id")).values_list(
        "contract_id", "visited_at"
    ):
        visits.setdefault(contract_id, []).append(at)
    idle: dict[int, dict] = {}
    for q in won:
        if not any(at <= q.accepted_at + timedelta(days=days) for at in visits.get(q.contract_id, ())):
            row = idle.setdefault(q.agency_id, {"agency": q.agency, "count": 0})
            row["count"] += 1
    by_town = (
        needs.values("town__name", "town__sort_order")
        .annotate(n=Count("pk", distinct=True))
        .order_by("town__sort_order", "town__name")
    )
    return {
        "on": on,
        "needs": n_needs,
        "open": needs.filter(status=NeedStatus.OPEN).count(),
        "quotes": n_quotes,
        "quotes_per_need": round(n_quotes / n_needs, 2) if n_needs else 0,
        "median_hours_to_first_quote": _median(waits),
        "contracted": contracted,
        "contract_share": _share(contracted, n_needs),
        "prices": price_rows,
        "no_delivery": sorted(idle.values(), key=lambda r: (-r["count"], r["agency"].name)),
        "no_delivery_days": days,
        "by_town": [{"town": r["town__name"], "n": r["n"]} for r in by_town],
    }
