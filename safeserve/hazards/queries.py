"""Reads of hazards shared by pages, API, exports, statistics and the home page."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, DurationField, ExpressionWrapper, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core.hooks import IndicatorFigure
from safeserve.core.scoping import get_visible_or_404
from safeserve.registry.models import Agency, Enterprise, Town

from . import transitions
from .choices import HazardLevel, HazardSource, HazardState
from .models import Hazard, IssuedNotice

STATE_COLOURS = {
    HazardState.REPORTED: "#f2c94c",
    HazardState.RECTIFYING: "#2f80ed",
    HazardState.AWAITING: "#9b51e0",
    HazardState.CLOSED: "#27ae60",
}


OPEN_STATES = (HazardState.REPORTED, HazardState.RECTIFYING, HazardState.AWAITING)
# The enterprise's to-do: reported or being rectified (not yet waiting for acceptance).
TO_RECTIFY_Q = Q(state__in=(HazardState.REPORTED, HazardState.RECTIFYING))


def overdue_q(today: date | None = None) -> Q:
    """Overdue is computed, never stored: the deadline has passed and the hazard is not closed."""
    today = today or timezone.localdate()
    return Q(deadline__lt=today, state__in=OPEN_STATES)


def org_name(user) -> str:
    """The name of the organisation a user acts for (a document's issuer, a ledger's scope)."""
    if user.role == "county":
        return _("县应急管理局")
    for link in ("town", "agency", "enterprise", "insurer"):
        obj = getattr(user, link, None)
        if obj is not None and user.role == link:
            return obj.name + (_("安监办") if link == "town" else "")
    if user.role == "expert" and getattr(user, "expert", None) is not None:
        return _("安全生产专家 %(n)s") % {"n": user.expert.name}
    return ""


def appointable_agencies(user):
    """The agencies ``user`` may appoint to accept a major hazard: those in the register they see."""
    return Agency.objects.visible_to(user).filter(is_active=True)


def report_enterprise_choice(user, visit=None) -> str:
    """How a new hazard's enterprise is chosen on the report form: ``"visit"`` (the visit's
    enterprise), ``"own"`` (an enterprise reports on itself), ``"pick"`` (an agency picks among the
    few enterprises it serves) or ``"code"`` (others type the unified social credit code)."""
    if visit is not None:
        return "visit"
    if user.role == Role.ENTERPRISE:
        return "own"
    return "pick" if user.role == Role.AGENCY else "code"


def report_enterprise(user, *, visit=None, enterprise=None) -> Enterprise:
    """The enterprise a new hazard names, for the page and the API alike: the visit's if it comes
    from a visit; else the one chosen, which must be in the reporter's scope (404 otherwise); else
    the reporter's own enterprise. Nothing chosen by anyone else is a validation error."""
    if visit is not None:
        return visit.enterprise
    if enterprise is not None:
        return get_visible_or_404(Enterprise, user, pk=getattr(enterprise, "pk", enterprise))
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        return get_visible_or_404(Enterprise, user, pk=user.enterprise_id)
    raise ValidationError({"enterprise": _("请指定企业或服务记录")})


def hazards_for(user, action: str = "view", today: date | None = None):
    """The hazards a user's lists and exports show, with ``overdue_for`` (how long overdue, zero
    unless overdue) computed in the database so that 逾期天数 sorts there."""
    today = today or timezone.localdate()
    overdue_for = Case(
        When(overdue_q(today), then=ExpressionWrapper(Value(today) - F("deadline"), output_field=DurationField())),
        default=Value(timedelta(0)),
        output_field=DurationField(),
    )
    return (
        Hazard.objects.visible_to(user, action)
        .select_related("enterprise", "town", "criterion", "agency")
        .annotate(overdue_for=overdue_for)
    )


def day_bounds(start: date, end: date):
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def ledger_rows(user, *, start: date, end: date, town=None, enterprise=None, today: date | None = None):
    """隐患台账: hazards found in [start, end] that the user may see, as spreadsheet rows."""
    today = today or timezone.localdate()
    lo, hi = day_bounds(start, end)
    qs = Hazard.objects.visible_to(user).filter(reported_at__gte=lo, reported_at__lt=hi)
    if town is not None:
        qs = qs.filter(town=town)
    if enterprise is not None:
        qs = qs.filter(enterprise=enterprise)
    qs = qs.order_by("town__sort_order", "enterprise__name", "reported_at", "id")
    headers = [
        _("序号"),
        _("镇（街道）"),
        _("企业名称"),
        _("统一社会信用代码"),
        _("发现日期"),
        _("来源"),
        _("隐患等级"),
        _("判定依据"),
        _("隐患部位"),
        _("隐患描述"),
        _("整改责任人"),
        _("整改期限"),
        _("状态"),
        _("是否逾期"),
        _("挂牌督办"),
        _("销号日期"),
    ]
    labels_state = {k: str(v) for k, v in HazardState.choices}
    labels_level = {k: str(v) for k, v in HazardLevel.choices}
    labels_source = {k: str(v) for k, v in HazardSource.choices}
    yes, no = str(_("是")), str(_("否"))
    tz = timezone.get_current_timezone()
    fields = (
        "town__name",
        "enterprise__name",
        "enterprise__credit_code",
        "reported_at",
        "source",
        "level",
        "criterion__text",
        "location",
        "description",
        "responsible_person",
        "deadline",
        "state",
        "supervised",
        "closed_at",
    )

    def rows():
        # Plain tuples, not model instances: a town's year is tens of thousands of rows.
        for n, r in enumerate(qs.values_list(*fields).iterator(chunk_size=5000), start=1):
            town, ent, code, at, src, lvl, crit, loc, desc, person, deadline, state, sup, closed = r
            yield [
                n,
                town,
                ent,
                code,
                at.astimezone(tz).date().isoformat(),
                labels_source.get(src, src),
                labels_level.get(lvl, lvl),
                crit or "",
                loc,
                desc,
                person,
                deadline.isoformat(),
                labels_state.get(state, state),
                yes if state != HazardState.CLOSED and deadline < today else no,
                yes if sup else no,
                closed.astimezone(tz).date().isoformat() if closed else "",
            ]

    return headers, rows()


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    end = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def statistics_grouping(user) -> str:
    """The statistics' default rows: the county compares its towns, everyone else its enterprises."""
    return "town" if user.role == Role.COUNTY else "enterprise"


def quarterly_statistics(user, year: int, quarter: int, by: str = "town"):
    """Found, rectified (closed) and overdue hazards in a quarter, 一般 and 重大, per town or enterprise.

    Found: reported within the quarter. Rectified: closed within the quarter. Overdue: not closed at
    the end of the quarter (or today, if earlier) with its deadline passed by then.
    """
    start, end = quarter_bounds(year, quarter)
    lo, hi = day_bounds(start, end)
    as_of = min(end, timezone.localdate())
    as_of_dt = day_bounds(as_of, as_of)[1]
    key = {"town": ("town_id",), "enterprise": ("enterprise_id",)}[by]
    G, M = HazardLevel.GENERAL, HazardLevel.MAJOR
    found = Q(reported_at__gte=lo, reported_at__lt=hi)
    closed = Q(closed_at__gte=lo, closed_at__lt=hi)
    # Three grouped counts, each on its own index (reported_at, closed_at, state/closed_at), merged
    # here: one query with an OR of the three would read every hazard of the county.
    base = Hazard.objects.visible_to(user).order_by()
    counts: dict = {}
    names: dict = {}
    # Overdue then = still open now, or closed only after the as-of day (two index-friendly halves).
    overdue_open = Q(state__in=OPEN_STATES, deadline__lt=as_of)
    if as_of < timezone.localdate():
        overdue_open &= Q(reported_at__lt=as_of_dt)
    overdue_closed_later = Q(closed_at__gte=as_of_dt, deadline__lt=as_of, reported_at__lt=as_of_dt)
    parts = [("found", found), ("closed", closed), ("overdue", overdue_open)]
    if as_of < timezone.localdate():  # nothing is closed in the future: only past quarters need this half
        parts.append(("overdue", overdue_closed_later))
    for name, cond in parts:
        # Grouped without joining the names in: with the join SQLite plans around the town index.
        for r in base.filter(cond).values(key[0], "level").annotate(n=Count("id")):
            names[r[key[0]]] = None
            counts[(r[key[0]], name, r["level"])] = counts.get((r[key[0]], name, r["level"]), 0) + r["n"]
    model = Town if by == "town" else Enterprise
    ids = list(names)
    for i in range(0, len(ids), 5000):
        names.update(model.objects.filter(pk__in=ids[i : i + 5000]).values_list("pk", "name"))
    fields = [(n, lvl) for n in ("found", "closed", "overdue") for lvl in (G, M)]
    order = sorted(names, key=lambda k: names[k] or "")
    headers = [
        _("镇（街道）") if by == "town" else _("企业"),
        _("发现一般隐患"),
        _("发现重大隐患"),
        _("整改销号一般隐患"),
        _("整改销号重大隐患"),
        _("逾期一般隐患"),
        _("逾期重大隐患"),
    ]
    data = [[names[k], *[counts.get((k, n, lvl), 0) for n, lvl in fields]] for k in order]
    totals = [_("合计"), *[sum(r[i + 1] for r in data) for i in range(len(fields))]]
    return {"headers": headers, "rows": data, "totals": totals, "start": start, "end": end, "as_of": as_of}


def by_state(user, counts=None):
    if counts is None:
        counts = dict(Hazard.objects.visible_to(user).values_list("state").annotate(n=Count("id")).order_by())
    return [(str(label), counts.get(v, 0), STATE_COLOURS[v]) for v, label in HazardState.choices]


def home_summary(user) -> dict:
    cards, charts = [], []
    if not user.has_perm("hazards.view_hazard"):
        return {"cards": cards, "charts": charts}
    today = timezone.localdate()
    qs = Hazard.objects.visible_to(user)
    # Per-state counts (one GROUP BY on the state index), then aggregates over open hazards only.
    per_state = dict(qs.values_list("state").annotate(n=Count("id")).order_by())
    states = by_state(user, per_state)
    weeks = [today + timedelta(days=7 * i) for i in range(5)]
    agg = qs.filter(state__in=OPEN_STATES).aggregate(
        overdue=Count("id", filter=Q(deadline__lt=today)),
        major_open=Count("id", filter=Q(level=HazardLevel.MAJOR)),
        due_soon=Count("id", filter=Q(deadline__gte=today, deadline__lte=today + timedelta(days=7))),
        to_rectify=Count("id", filter=TO_RECTIFY_Q),
        **{
            f"w{i}": Count("id", filter=Q(deadline__gte=weeks[i], deadline__lt=weeks[i + 1]))
            for i in range(len(weeks) - 1)
        },
        later=Count("id", filter=Q(deadline__gte=weeks[-1])),
    )
    agg["open"] = sum(per_state.get(s, 0) for s in OPEN_STATES)
    agg["awaiting"] = per_state.get(HazardState.AWAITING, 0)
    url = reverse("hazards:hazard_list")
    if user.role == "enterprise":
        cards.append(
            {
                "key": "hazards-to-rectify",
                "label": _("待整改隐患"),
                "value": agg["to_rectify"],
                "url": url + "?to_rectify=true",
            }
        )
    cards += [
        {"key": "hazards-open", "label": _("未销号隐患"), "value": agg["open"], "url": url + "?open=true"},
        {
            "key": "hazards-overdue",
            "label": _("逾期隐患"),
            "value": agg["overdue"],
            "url": url + "?overdue=true&sort=-overdue_days",
        },
        {
            "key": "hazards-major",
            "label": _("重大隐患（挂牌督办）"),
            "value": agg["major_open"],
            "url": url + "?level=major&open=true",
        },
        {
            "key": "hazards-due-soon",
            "label": _("7日内到期"),
            "value": agg["due_soon"],
            "url": url + "?due_within=7",
        },
        {
            "key": "hazards-awaiting",
            "label": _("待验收"),
            "value": agg["awaiting"],
            "url": url + f"?state={HazardState.AWAITING}",
        },
    ]
    charts.append(
        {
            "id": "hazards-by-state",
            "kind": "pie",
            "title": _("隐患按状态"),
            "labels": [s[0] for s in states],
            "values": [s[1] for s in states],
            "colors": [s[2] for s in states],
        }
    )
    towns = list(Town.objects.visible_to(user).values_list("pk", "name")) if user.role == "county" else []
    if len(towns) > 1:
        counts = dict(qs.filter(overdue_q(today)).values_list("town_id").annotate(n=Count("id")).order_by())
        charts.append(
            {
                "id": "hazards-overdue-by-town",
                "kind": "bar",
                "title": _("逾期隐患（按镇街）"),
                "labels": [name for _pk, name in towns],
                "values": [counts.get(pk, 0) for pk, _name in towns],
            }
        )
    if user.role != "county":
        # Town, enterprise and agency: open hazards by deadline week (the overdue ones first).
        agg2 = agg
        labels = [_("已逾期")] + [f"{w:%m-%d}" for w in weeks[:-1]] + [_("更晚")]
        values = [agg2["overdue"]] + [agg2[f"w{i}"] for i in range(len(weeks) - 1)] + [agg2["later"]]
        charts.append(
            {
                "id": "hazards-deadlines",
                "kind": "bar",
                "title": _("未销号隐患整改期限"),
                "labels": labels,
                "values": values,
            }
        )
    return {"cards": cards, "charts": charts}


def visit_hazards(user, visit):
    """Hazards found on one service visit that ``user`` may see."""
    return Hazard.objects.visible_to(user).filter(visit=visit).select_related("criterion")


def urge_summary(hazard) -> dict:
    """督办 count and the last one, from the hazard's history (never stored twice)."""
    from django.db.models import Max

    return hazard.events.filter(action="urge").aggregate(count=Count("id"), last=Max("at"))


def issue_kind(user, hazard) -> str:
    """The document ``user`` would issue for ``hazard`` (its label), or "" if none."""
    rel = transitions.relations(user, hazard)
    kind = next((transitions.ISSUED_KIND[r] for r in transitions.RELATIONS if r in rel), None)
    return kind.label if kind else ""


def notices_for(user, *, hazard=None, visit=None):
    """Issued documents of a hazard or a visit that ``user`` may download."""
    qs = IssuedNotice.objects.visible_to(user)
    if hazard is not None:
        qs = qs.filter(hazards=hazard)
    if visit is not None:
        qs = qs.filter(visit=visit)
    return list(qs.order_by("-issued_at", "-id")[:50])


LEVEL_BADGES = {HazardLevel.MAJOR: "danger", HazardLevel.GENERAL: "warning"}


def enterprise_panels(request, enterprise) -> list[dict]:
    """Hazards of one enterprise as the viewer may see them (core.hooks.ENTERPRISE_PANELS)."""
    user = request.user
    if not user.has_perm("hazards.view_hazard"):
        return []
    today = timezone.localdate()
    qs = Hazard.objects.visible_to(user).filter(enterprise_id=enterprise.pk)
    agg = qs.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("id", filter=overdue_q(today)),
        major=Count("id", filter=Q(state__in=OPEN_STATES, level=HazardLevel.MAJOR)),
    )
    url = reverse("hazards:hazard_list") + f"?enterprise={enterprise.pk}"
    items = []
    for h in qs.filter(state__in=OPEN_STATES).order_by("deadline", "id")[:5]:
        late = h.deadline < today
        items.append(
            {
                "text": f"{h.location} · {h.description[:30]}",
                "url": h.get_absolute_url(),
                "meta": (_("已逾期 %(n)d 天") % {"n": (today - h.deadline).days})
                if late
                else (_("期限 %(d)s") % {"d": h.deadline.isoformat()}),
                "badge": "danger" if late else LEVEL_BADGES.get(h.level),
            }
        )
    return [
        {
            "key": "hazards",
            "title": _("隐患排查治理"),
            "figures": [
                {"key": "open", "label": _("未销号"), "value": agg["open"], "url": f"{url}&open=true"},
                {
                    "key": "overdue",
                    "label": _("逾期"),
                    "value": agg["overdue"],
                    "url": f"{url}&overdue=true",
                    "alert": 1,
                },
                {
                    "key": "major",
                    "label": _("重大（未销号）"),
                    "value": agg["major"],
                    "url": f"{url}&level=major&open=true",
                },
                {"key": "total", "label": _("全部隐患"), "value": agg["total"], "url": url},
            ],
            "items": items,
            "url": f"{url}&open=true",
            "more": _("全部未销号隐患"),
        }
    ]


# ---------------------------------------------------------------- indicator sources (assessments)
# Registered in apps.py as core.hooks.INDICATOR_SOURCES. Each computes, for a set of subjects (towns,
# or agencies), a figure over [start, end] from the hazards' own dates as of ``end`` (the cut-off):
# a hazard closed after the cut-off counts as open, one reported after it does not count at all.
INDICATOR_SUBJECT_FIELDS = {"town": "town_id", "agency": "agency_id"}


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in local time."""
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz),
    )


def _subject_hazards(subject: str, subject_ids):
    field = INDICATOR_SUBJECT_FIELDS[subject]
    return Hazard.objects.filter(**{f"{field}__in": list(subject_ids)}).order_by(), field


def _share(closed: int, total: int):
    return None if not total else (Decimal(closed) * 100 / Decimal(total)).quantize(Decimal("0.01"))


def indicator_closure_rate(subject, subject_ids, start, end):
    """隐患整改率: of the hazards found in the period, the share closed (销号) by the cut-off."""
    lo, hi = _day_bounds(start, end)
    rows, field = _subject_hazards(subject, subject_ids)
    found: dict = {sid: [] for sid in subject_ids}
    closed: dict = dict.fromkeys(subject_ids, 0)
    for pk, sid, closed_at in rows.filter(reported_at__gte=lo, reported_at__lt=hi).values_list(
        "pk", field, "closed_at"
    ):
        found[sid].append(pk)
        if closed_at is not None and closed_at < hi:
            closed[sid] += 1
    return {
        sid: IndicatorFigure(
            value=_share(closed[sid], len(ids)),
            numerator=closed[sid],
            denominator=len(ids),
            records={"hazards.hazard": sorted(ids)},
        )
        for sid, ids in found.items()
    }


def indicator_major_overdue(subject, subject_ids, start, end):
    """重大隐患逾期未整改: 重大 hazards whose deadline passed in the period before they were closed, or
    that are still open and past their deadline at the cut-off (one event each)."""
    _lo, hi = _day_bounds(start, end)
    rows, field = _subject_hazards(subject, subject_ids)
    events: dict = {sid: [] for sid in subject_ids}
    candidates = rows.filter(level=HazardLevel.MAJOR, reported_at__lt=hi, deadline__lt=end).values_list(
        "pk", field, "deadline", "closed_at"
    )
    for pk, sid, deadline, closed_at in candidates:
        closed_on = timezone.localdate(closed_at) if closed_at is not None and closed_at < hi else None
        open_at_cutoff = closed_on is None
        late = closed_on is not None and closed_on > deadline and deadline >= start
        if open_at_cutoff or late:
            events[sid].append(pk)
    return {
        sid: IndicatorFigure(value=len(ids), numerator=len(ids), records={"hazards.hazard": sorted(ids)})
        for sid, ids in events.items()
    }


def indicator_closure_days(subject, subject_ids, start, end):
    """隐患平均整改天数: of the hazards closed in the period, the mean days from discovery to 销号."""
    lo, hi = _day_bounds(start, end)
    rows, field = _subject_hazards(subject, subject_ids)
    days: dict = {sid: [] for sid in subject_ids}
    ids: dict = {sid: [] for sid in subject_ids}
    for pk, sid, reported_at, closed_at in rows.filter(closed_at__gte=lo, closed_at__lt=hi).values_list(
        "pk", field, "reported_at", "closed_at"
    ):
        days[sid].append((timezone.localdate(closed_at) - timezone.localdate(reported_at)).days)
        ids[sid].append(pk)
    out = {}
    for sid in subject_ids:
        n, total = len(days[sid]), sum(days[sid])
        value = (Decimal(total) / Decimal(n)).quantize(Decimal("0.1")) if n else None
        out[sid] = IndicatorFigure(
            value=value, numerator=total, denominator=n, records={"hazards.hazard": sorted(ids[sid])}
        )
    return out
