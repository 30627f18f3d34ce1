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
    notices = hooks.agencies_with_notice(agency_ids, on)
    served = service_queries.enterprises_served_by_agency(on)
    ratings = service_queries.rating_by_agency()
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
