"""Coverage reads shared by pages, API, exports, the snapshot job and the indicator sources.

An enterprise **participates** on a date D when it is in any counting channel on D (core.hooks
coverage channels: a service contract in force, an online smart-electrical device, later a 安责险
policy), computed from the records' own validity dates. Every figure is one aggregate query grouped
by town or village (conditional counts over an ``IN`` subquery per channel): the number of queries
never depends on the number of enterprises.
"""

import hashlib
import math
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import hooks
from safeserve.core.scoping import get_visible_or_404
from safeserve.registry.choices import EnterpriseStatus
from safeserve.registry.models import Enterprise, Industry, Town, Village

from .choices import BUILTIN_KINDS, TargetKind
from .models import DEFAULT_SHARES, CoverageSnapshot, CoverageTarget

MAX_TREND_MONTHS = 36
# The population: every enterprise on the register except those struck off (注销). The register
# carries no founding or closing dates, so a past date counts today's register (docs/domain.md).
POPULATION = ~Q(status=EnterpriseStatus.CANCELLED)


# ---------------------------------------------------------------- channels and participation


def channels() -> list[str]:
    """The counting channels (setting SAFESERVE["COVERAGE_CHANNELS"]; None or absent: every registered one)."""
    chosen = settings.SAFESERVE.get("COVERAGE_CHANNELS")
    names = list(hooks.COVERAGE_CHANNELS)
    return names if chosen is None else [c for c in chosen if c in hooks.COVERAGE_CHANNELS]


def channel_labels() -> list[str]:
    return [str(hooks.COVERAGE_LABELS.get(c, c)) for c in channels()]


def participation_q(on_date: date, population=None) -> Q:
    """A Q on Enterprise: in at least one counting channel on ``on_date`` (``covered_sql``). No
    channel: nobody. PostgreSQL hashes the channels' UNION once per query and probes it per row."""
    sql, params = covered_sql(on_date, population)
    if not sql:
        return Q(pk__in=[])
    # Compiled Django queries and our own identifiers; every value is a bound parameter.
    eid = connection.ops.quote_name("enterprise_id")
    return Q(pk__in=RawSQL(f"SELECT u.{eid} FROM ({sql}) u", params))  # noqa: S608, S611


def covered_sql(on_date: date, population=None) -> tuple[str, list]:
    """SQL of the ids covered on ``on_date`` by any counting channel (one UNION), with its params.

    Each channel (core.hooks) is asked about ``population`` (a town's enterprises narrow its work;
    default: the whole register, asked as None so that a channel need not semi-join the register),
    once per query whatever the number of targets."""
    ids = population.order_by().values("pk") if population is not None else None
    subs = hooks.coverage_subqueries(ids, on_date, channels())
    parts, params = [], []
    for sub in subs:
        sql, p = sub.order_by().query.sql_with_params()
        parts.append(sql)
        params.extend(p)
    return " UNION ".join(parts), params


# ---------------------------------------------------------------- targets


@dataclass
class Target:
    code: str
    label: str
    share: Decimal
    kind: str
    q: Q
    signature: str
    row_id: int | None = None  # the stored target it came from (None: the policy's default)


def key_industry_q() -> Q:
    # The key industries' ids as a subquery: a hashed lookup per row instead of a join with Industry.
    return Q(industry_id__in=Industry.objects.filter(is_key=True).values("pk"))


def target_q(t: CoverageTarget | None, kind: str) -> Q:
    if kind == TargetKind.OVERALL:
        return Q()
    if kind == TargetKind.VILLAGE_SMALL:
        return Q(is_village_small=True)
    if kind == TargetKind.KEY_INDUSTRY:
        return key_industry_q()
    q = Q()
    if t.industry_id:
        q &= Q(industry_id=t.industry_id) | Q(industry__parent_id=t.industry_id)
    if t.key_industry:
        q &= key_industry_q()
    if t.village_small:
        q &= Q(is_village_small=True)
    if t.size_class:
        q &= Q(size_class=t.size_class)
    if t.risk_level:
        q &= Q(risk_level=t.risk_level)
    if t.is_hazchem:
        q &= Q(is_hazchem=True)
    if t.has_major_hazard_source:
        q &= Q(has_major_hazard_source=True)
    return q


def _signature(code: str, filters: str) -> str:
    raw = f"{code}|{filters}|{','.join(sorted(channels()))}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _target(row: CoverageTarget | None, kind: str, share=None) -> Target:
    code = row.code if row is not None else kind
    filters = row.filter_signature() if row is not None and kind == TargetKind.CUSTOM else kind
    return Target(
        code=code,
        label=row.label if row is not None else str(TargetKind(kind).label),
        share=row.share if row is not None else share,
        kind=kind,
        q=target_q(row, kind),
        signature=_signature(code, filters),
        row_id=row.pk if row is not None else None,
    )


class TargetBook:
    """Every target of some years, loaded in one query: the county's, each town's overrides, defaults."""

    def __init__(self, years):
        self.rows = list(CoverageTarget.objects.filter(year__in=set(years)).order_by("kind", "code", "id"))

    def for_area(self, year: int, town_id: int | None) -> list[Target]:
        county = {r.code: r for r in self.rows if r.year == year and r.town_id is None}
        own = {r.code: r for r in self.rows if r.year == year and town_id and r.town_id == town_id}
        merged = {**county, **own}
        out = []
        for kind in BUILTIN_KINDS:
            row = merged.pop(str(kind), None)
            out.append(_target(row, kind, DEFAULT_SHARES[kind]))
        out += [_target(r, TargetKind.CUSTOM) for r in sorted(merged.values(), key=lambda r: r.code)]
        return out


# ---------------------------------------------------------------- figures


def gap(total: int, covered: int, share: Decimal) -> int:
    """Enterprises still to reach the target share (0 when met)."""
    need = math.ceil((Decimal(total) * share / 100).quantize(Decimal("0.0001")))
    return max(0, need - covered)


def percent(covered: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(covered) * 100 / Decimal(total)).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Figure:
    code: str
    label: str
    total: int
    covered: int
    target: Decimal

    @property
    def value(self):
        return percent(self.covered, self.total)

    @property
    def gap(self) -> int:
        return gap(self.total, self.covered, self.target)

    @property
    def met(self) -> bool:
        return self.gap == 0

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "label": self.label,
            "total": self.total,
            "covered": self.covered,
            "value": None if self.value is None else float(self.value),
            "target": float(self.target),
            "gap": self.gap,
        }


@dataclass
class Row:
    id: int | None
    name: str
    figures: list[Figure] = field(default_factory=list)
    url: str = ""


def _counts(population, group: str, targets_by_sig: dict[str, Target], on_date: date, narrow=False) -> dict:
    """{group id: {signature: (total, covered)}} in one query.

    The population (each enterprise once, with a flag per target scope ``k0``, ``k1``, …) is
    left-joined to the UNION of the channels' covered ids and **grouped by** the group, the flags and
    "covered": a few dozen groups, summed here per target. The channels are read once per query,
    whatever the number of targets, and joined by hash; one plain ``COUNT(*)`` per group costs
    PostgreSQL far less than two conditional counts per target on every row (decisions/0044)."""
    flags = {}
    sigs = list(targets_by_sig)
    for i, sig in enumerate(sigs):
        q = targets_by_sig[sig].q
        flags[f"k{i}"] = ExpressionWrapper(q if q else Q(pk__isnull=False), output_field=BooleanField())
    inner = population.order_by().annotate(**flags).values(group, "id", *flags)
    sql, params = inner.query.sql_with_params()
    qn = connection.ops.quote_name
    # A town or village asks the channels about its own enterprises; the county about the register.
    covered, covered_params = covered_sql(on_date, population if narrow else None)
    keys = ", ".join(f"s.{qn(f'k{i}')}" for i in range(len(sigs)))
    if covered:
        join = f"LEFT JOIN (SELECT u.{qn('enterprise_id')} AS eid FROM ({covered}) u) c ON c.eid = s.{qn('id')}"  # noqa: S608 - compiled queries, values are parameters
    else:  # no channel counts: nobody participates
        join, covered_params = "LEFT JOIN (SELECT NULL AS eid) c ON 1 = 0", []
    positions = ", ".join(str(p) for p in range(1, len(sigs) + 3))
    outer = f"SELECT s.{qn(group)}, {keys}, c.eid IS NOT NULL, COUNT(*) FROM ({sql}) s {join} GROUP BY {positions}"  # noqa: S608 - compiled queries, values are parameters
    out = {}
    n = len(sigs)
    with connection.cursor() as cur:
        cur.execute(outer, (*params, *covered_params))
        for row in cur.fetchall():
            per = out.setdefault(row[0], dict.fromkeys(sigs, (0, 0)))
            is_covered, number = row[n + 1], row[n + 2]
            for i, sig in enumerate(sigs):
                if row[1 + i]:
                    total, cov = per[sig]
                    per[sig] = (total + number, cov + (number if is_covered else 0))
    return out


class Area:
    """Where the figures are: the county, one town or one village (as the user may see it)."""

    def __init__(self, user, town: Town | None = None, village: Village | None = None):
        self.user, self.town, self.village = user, town, village

    @property
    def level(self) -> str:
        return "village" if self.village else "town" if self.town else "county"

    @property
    def town_id(self):
        return self.town.pk if self.town else None

    @property
    def name(self) -> str:
        if self.village:
            return f"{self.town.name}{self.village.name}"
        return self.town.name if self.town else _("全县")

    def population(self):
        qs = visible_enterprises(self.user).filter(POPULATION)
        if self.village:
            return qs.filter(village=self.village)
        if self.town:
            return qs.filter(town=self.town)
        return qs


def visible_enterprises(user):
    """The enterprises whose coverage the user may see: county all, a town its own, others none."""
    if not user.has_perm("coverage.view_coverage"):
        return Enterprise.objects.none()
    return Enterprise.objects.visible_to(user)


def area_for(user, town_id=None, village_id=None) -> Area:
    """The area asked for, authorised (another town is a 404). A town officer starts at the own town."""
    if village_id:
        village = get_visible_or_404(Village.objects.select_related("town"), user, pk=village_id)
        return Area(user, village.town, village)
    if town_id:
        return Area(user, get_visible_or_404(Town, user, pk=town_id))
    if user.role == "town":
        return Area(user, get_visible_or_404(Town, user, pk=user.town_id))
    return Area(user)


def coverage(area: Area, on_date: date, book: TargetBook | None = None) -> dict:
    """The area's figures and one row per child (towns of the county, villages of a town)."""
    book = book or TargetBook([on_date.year])
    population = area.population()
    if area.level == "county":
        group, children = "town_id", {t.pk: t.name for t in Town.objects.visible_to(area.user).order_by("sort_order")}
    else:
        group = "village_id"
        villages = Village.objects.filter(town=area.town).order_by("code")
        if area.village:
            villages = villages.filter(pk=area.village.pk)
        children = {v.pk: v.name for v in villages}
    # Each child measures against its own targets (a town's override); the area against its own.
    own_targets = book.for_area(on_date.year, area.town_id)
    child_targets = {cid: (book.for_area(on_date.year, cid) if group == "town_id" else own_targets) for cid in children}
    measures = {t.signature: t for t in own_targets}
    for ts in child_targets.values():
        measures.update({t.signature: t for t in ts})
    counts = _counts(population, group, measures, on_date, narrow=area.level != "county")
    totals = {}
    for per in counts.values():
        for sig, (t, c) in per.items():
            a, b = totals.get(sig, (0, 0))
            totals[sig] = (a + t, b + c)

    def figures(targets, per):
        return [Figure(t.code, t.label, *per.get(t.signature, (0, 0)), t.share) for t in targets]

    rows = [Row(cid, name, figures(child_targets[cid], counts.get(cid, {}))) for cid, name in children.items()]
    if group == "village_id" and None in counts:
        rows.append(Row(None, _("未填村（社区）"), figures(own_targets, counts[None])))
    return {
        "area": area,
        "on_date": on_date,
        "figures": figures(own_targets, totals),
        "targets": own_targets,
        "rows": rows,
        "group": group,
    }


# ---------------------------------------------------------------- the work list


def work_list(
    user,
    on_date: date,
    *,
    town=None,
    village=None,
    industry=None,
    key_industry=None,
    village_small=None,
    risk_level=None,
):
    """The enterprises of the user's scope that do not participate on ``on_date``, filtered."""
    qs = visible_enterprises(user).filter(POPULATION)
    if town:
        qs = qs.filter(town=town)
    if village:
        qs = qs.filter(village=village)
    if industry:
        qs = qs.filter(Q(industry=industry) | Q(industry__parent=industry))
    if key_industry is not None:
        qs = qs.filter(industry__is_key=key_industry)
    if village_small is not None:
        qs = qs.filter(is_village_small=village_small)
    if risk_level:
        qs = qs.filter(risk_level=risk_level)
    qs = qs.exclude(participation_q(on_date, qs))
    # Within one town the index (town, name, id) gives the order (and a page) without sorting the town.
    if town or village or user.role == "town":
        return qs.order_by("name", "id")
    return qs.order_by("town__sort_order", "name", "id")


# ---------------------------------------------------------------- monthly trend and snapshots


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    return d.replace(day=monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def trend(area: Area, months: int, until: date) -> dict:
    """The area's figures at each month's end (``until`` for its own month), oldest first.

    Complete months come from snapshots whose signature matches today's targets and channels; the
    others are computed (one aggregate query per month). Villages are always computed."""
    months = max(1, min(MAX_TREND_MONTHS, months))
    first = add_months(month_start(until), -(months - 1))
    month_list = [add_months(first, i) for i in range(months)]
    book = TargetBook({m.year for m in month_list})
    today = timezone.localdate()
    towns = [area.town.pk] if area.town else list(Town.objects.visible_to(area.user).values_list("pk", flat=True))
    snaps = {}
    if area.level != "village":
        for s in CoverageSnapshot.objects.filter(month__in=month_list, town_id__in=towns).values(
            "month", "town_id", "code", "signature", "total", "covered"
        ):
            snaps[(s["month"], s["town_id"], s["code"])] = s
    labels, series, used_snapshots = [], {}, 0
    for m in month_list:
        as_of = min(month_end(m), until)
        targets = book.for_area(m.year, area.town_id)
        figs = None
        if as_of == month_end(m) and as_of < today and area.level != "village":
            figs = _from_snapshots(snaps, m, towns, targets)
            used_snapshots += figs is not None
        if figs is None:
            figs = coverage(area, as_of, book)["figures"]
        labels.append(m.strftime("%Y-%m"))
        for f in figs:
            s = series.setdefault(f.code, {"code": f.code, "label": f.label, "values": [], "targets": []})
            s["values"].append(None if f.value is None else float(f.value))
            s["targets"].append(float(f.target))
    n = len(labels)
    for s in series.values():  # a custom target that exists only in some years: pad the others
        s["values"] = [None] * (n - len(s["values"])) + s["values"]
        s["targets"] = [None] * (n - len(s["targets"])) + s["targets"]
    return {"labels": labels, "series": list(series.values()), "from_snapshots": used_snapshots}


def _from_snapshots(snaps, m, towns, targets):
    """The area's figures for month ``m`` from snapshots, or None when any is missing or stale
    (a signature differs: the target's scope or the channels changed since it was stored)."""
    figs = []
    for t in targets:
        total = covered = 0
        for tid in towns:
            s = snaps.get((m, tid, t.code))
            if s is None or s["signature"] != t.signature:
                return None
            total, covered = total + s["total"], covered + s["covered"]
        figs.append(Figure(t.code, t.label, total, covered, t.share))
    return figs


def compute_snapshots(month: date, stdout=None) -> int:
    """Store every town's figures for every target of ``month`` (as of its last day). Idempotent."""
    month = month_start(month)
    as_of = min(month_end(month), timezone.localdate())
    book = TargetBook([month.year])
    towns = list(Town.objects.all())
    # The county-wide targets, counted in every town: the county trend sums them, a town trend uses
    # them where the town has no override of its own scope (a share-only override keeps the scope).
    targets = book.for_area(month.year, None)
    measures = {t.signature: t for t in targets}
    counts = _counts(Enterprise.objects.filter(POPULATION), "town_id", measures, as_of)
    rows = []
    for town in towns:
        per = counts.get(town.pk, {})
        for t in targets:
            total, covered = per.get(t.signature, (0, 0))
            rows.append(
                CoverageSnapshot(
                    month=month,
                    as_of=as_of,
                    town=town,
                    code=t.code,
                    signature=t.signature,
                    total=total,
                    covered=covered,
                )
            )
    with transaction.atomic():
        CoverageSnapshot.objects.filter(month=month).delete()
        CoverageSnapshot.objects.bulk_create(rows)
    if stdout is not None:
        stdout.write(f"{month:%Y-%m}: {len(towns)} towns, {len(rows)} figures as of {as_of}")
    return len(rows)
