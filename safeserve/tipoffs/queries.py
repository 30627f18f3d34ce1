"""Reads shared by pages, exports, the API, the home page and the hooks (indicator, credit facts)."""

from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safeserve.core.hooks import CreditFact, IndicatorFigure

from .choices import VERIFIED_FINDINGS, TipoffState
from .models import Tipoff, is_handler


def overdue_q(today=None):
    return Q(state=TipoffState.ACCEPTED, deadline__lt=today or timezone.localdate())


def awaiting_town_q():
    return Q(state=TipoffState.ACCEPTED, verified_at__isnull=True)


def home_summary(user) -> dict:
    if not user.has_perm("tipoffs.view_tipoff"):
        return {}
    qs = Tipoff.objects.visible_to(user)
    url = reverse("tipoffs:tipoff_list")
    cards = []
    if user.role == "county":
        cards.append(
            {
                "key": "tipoffs-received",
                "label": _("待受理举报"),
                "value": qs.filter(state=TipoffState.RECEIVED).count(),
                "url": url + "?state=received",
            }
        )
        cards.append(
            {
                "key": "tipoffs-overdue",
                "label": _("逾期未办结举报"),
                "value": qs.filter(overdue_q()).count(),
                "url": url + "?overdue=true",
            }
        )
    elif user.role == "town":
        cards.append(
            {
                "key": "tipoffs-to-verify",
                "label": _("待核查举报"),
                "value": qs.filter(awaiting_town_q()).count(),
                "url": url + "?to_verify=true",
            }
        )
    notes = [_("您是举报受理人员：举报人身份只对受理人员显示，每次查看都会记录。")] if is_handler(user) else []
    return {"cards": cards, "notes": notes}


# ---------------------------------------------------------------- hooks


def handled_on_time(subject: str, subject_ids, start, end) -> dict:
    """Share of the reports assigned to each town, due within [start, end], whose verification was
    recorded by the deadline (a report still open after its deadline counts as late)."""
    if subject != "town":
        return {}
    rows = (
        Tipoff.objects.filter(
            assigned_town_id__in=subject_ids,
            accepted_at__isnull=False,
            deadline__gte=start,
            deadline__lte=end,
        )
        .exclude(state__in=(TipoffState.REJECTED, TipoffState.FORWARDED))
        .values_list("id", "assigned_town_id", "deadline", "verified_at")
        .order_by("id")
    )
    due, on_time = {}, {}
    for pk, town_id, deadline, verified_at in rows:
        due.setdefault(town_id, []).append(pk)
        if verified_at is not None and timezone.localdate(verified_at) <= deadline:
            on_time.setdefault(town_id, []).append(pk)
    out = {}
    for town_id in subject_ids:
        ids = due.get(town_id, [])
        good = on_time.get(town_id, [])
        value = (Decimal(100 * len(good)) / len(ids)).quantize(Decimal("0.1"), ROUND_HALF_UP) if ids else None
        out[town_id] = IndicatorFigure(
            value=value, numerator=len(good), denominator=len(ids), records={"tipoffs.tipoff": ids}
        )
    return out


INDICATOR_LABEL = gettext_lazy("举报按期核查率")


def credit_facts(subject: str, subject_ids, as_of):
    """A verified report (属实 or 部分属实, closed on or before ``as_of``) is a credit fact of the
    reported enterprise or agency. No reporter data rides along."""
    field = {"enterprise": "enterprise_id", "agency": "agency_id"}.get(subject)
    if field is None:
        return []
    qs = Tipoff.objects.filter(
        state=TipoffState.CLOSED,
        finding__in=VERIFIED_FINDINGS,
        closed_at__date__lte=as_of,
        **{f"{field}__isnull": False},
    )
    if subject_ids is not None:
        qs = qs.filter(**{f"{field}__in": subject_ids})
    return [
        CreditFact(
            subject=subject,
            subject_id=getattr(t, field),
            date=timezone.localdate(t.closed_at),
            kind="report.verified",
            label=_("举报查实（%(finding)s）：%(cat)s")
            % {"finding": t.get_finding_display(), "cat": t.get_category_display()},
            source=f"tipoffs.tipoff:{t.pk}",
            url=t.get_absolute_url(),
            detail={"finding": t.finding, "category": t.category, "fine": str(t.fine_amount or "")},
        )
        for t in qs.order_by("closed_at", "id")
    ]


def public_section(request) -> dict:
    return {
        "key": "tipoffs",
        "title": _("如何举报"),
        "url": reverse("tipoffs:file"),
        "summary": _(
            "发现服务机构弄虚作假、非法违法生产经营或重大事故隐患，可在线举报（无需登录，可匿名），"
            "凭查询码和密码查看办理情况；也可拨打举报电话 12350。查实后实名举报人可获奖励。"
        ),
    }


AGENCY_REPORTS_LABEL = gettext_lazy("查实的举报（针对服务机构）")


def agency_verified_reports(subject, subject_ids, start, end):
    """查实的举报 (core.hooks.INDICATOR_SOURCES "tipoffs.agency_verified_reports"), for the yearly
    agency grading: the number of reports against the agency closed in the period (local date, up to
    the cut-off) as 属实 or 部分属实 — the same reports that are credit facts. A repeat of a matter
    already reported (``same_matter``) is not counted again. The reports are the records behind it
    (their pages open for the 举报 handlers only: the reporter's identity never rides along)."""
    lo, hi = _day_range(start, end)
    rows = Tipoff.objects.filter(
        agency_id__in=list(subject_ids),
        state=TipoffState.CLOSED,
        finding__in=VERIFIED_FINDINGS,
        same_matter__isnull=True,
        closed_at__gte=lo,
        closed_at__lt=hi,
    ).values_list("pk", "agency_id")
    found: dict = {sid: [] for sid in subject_ids}
    for pk, agency_id in rows.order_by("pk"):
        found[agency_id].append(pk)
    return {
        sid: IndicatorFigure(value=Decimal(len(ids)), numerator=len(ids), records={"tipoffs.tipoff": ids})
        for sid, ids in found.items()
    }


def _day_range(start, end):
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return lo, hi
