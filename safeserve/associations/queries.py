"""Reads of the associations app: the dashboard, campaign progress, the home cards and panels."""

from collections import defaultdict
from datetime import datetime, time

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import hooks
from safeserve.hazards.choices import HazardState
from safeserve.hazards.models import Hazard
from safeserve.registry.models import Association, Enterprise

from .models import Campaign, CampaignGroup, Membership, MutualInspection


def _aware(day, end=False):
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


def member_ids_on(association_id, day) -> list[int]:
    """The association's members on ``day`` (from the dated history)."""
    rows = Membership.objects.filter(association_id=association_id, joined_on__lte=day).exclude(left_on__lt=day)
    return list(rows.values_list("enterprise_id", flat=True))


def campaign_progress(campaigns) -> dict[int, dict]:
    """Per campaign: members grouped, members inspected at least once, records, confirmed records."""
    ids = [c.pk for c in campaigns]
    grouped = defaultdict(set)
    for campaign_id, enterprise_id in CampaignGroup.enterprises.through.objects.filter(
        campaigngroup__campaign_id__in=ids
    ).values_list("campaigngroup__campaign_id", "enterprise_id"):
        grouped[campaign_id].add(enterprise_id)
    done = defaultdict(set)
    records = defaultdict(lambda: [0, 0])
    for campaign_id, inspected_id, confirmed_at in MutualInspection.objects.filter(campaign_id__in=ids).values_list(
        "campaign_id", "inspected_id", "confirmed_at"
    ):
        done[campaign_id].add(inspected_id)
        records[campaign_id][0] += 1
        records[campaign_id][1] += confirmed_at is not None
    out = {}
    for c in campaigns:
        members = len(grouped[c.pk])
        inspected = len(done[c.pk] & grouped[c.pk])
        out[c.pk] = {
            "members": members,
            "inspected": inspected,
            "percent": round(100 * inspected / members) if members else 0,
            "records": records[c.pk][0],
            "confirmed": records[c.pk][1],
        }
    return out


def member_rows(association: Association, today=None) -> list[dict]:
    """Every membership period of the association with its member's figures *for that period*:
    hazards reported while a member (open and closed, closure rate) and, for current members,
    the coverage channels (core.hooks) the member is in today."""
    today = today or timezone.localdate()
    periods = list(
        Membership.objects.filter(association=association)
        .select_related("enterprise", "enterprise__town")
        .order_by("left_on", "enterprise__name", "id")
    )
    current_ids = [m.enterprise_id for m in periods if m.left_on is None]
    covered = defaultdict(list)
    for name in hooks.COVERAGE_CHANNELS:
        # One channel at a time (core.hooks.coverage_subqueries), to name the channels a member is in.
        for subquery in hooks.coverage_subqueries(current_ids, today, channels=[name]):
            for eid in subquery.values_list("enterprise_id", flat=True):
                covered[eid].append(str(hooks.COVERAGE_LABELS[name]))
    cond = Q()
    for m in periods:
        cond |= Q(
            enterprise_id=m.enterprise_id,
            reported_at__gte=_aware(m.joined_on),
            reported_at__lte=_aware(m.left_on or today, True),
        )
    counts = defaultdict(lambda: [0, 0])  # (enterprise, period index) -> [total, closed]
    if periods:
        for eid, reported_at, state in Hazard.objects.filter(cond).values_list("enterprise_id", "reported_at", "state"):
            day = timezone.localtime(reported_at).date()
            for i, m in enumerate(periods):
                if m.enterprise_id == eid and m.covers(day):
                    counts[i][0] += 1
                    counts[i][1] += state == HazardState.CLOSED
                    break
    rows = []
    for i, m in enumerate(periods):
        total, closed = counts[i]
        rows.append(
            {
                "membership": m,
                "enterprise": m.enterprise,
                "current": m.left_on is None,
                "channels": sorted(covered.get(m.enterprise_id, [])) if m.left_on is None else [],
                "hazards": total,
                "open": total - closed,
                "closed": closed,
                "closure": round(100 * closed / total) if total else None,
            }
        )
    return rows


def dashboards_for(user, today=None) -> list[dict]:
    """One dashboard per association the user may see (an association: its own; the county: all)."""
    today = today or timezone.localdate()
    if not user.has_perm("associations.view_membership") or user.role not in (Role.ASSOCIATION, Role.COUNTY):
        return []
    out = []
    for association in Association.objects.visible_to(user).order_by("name"):
        rows = member_rows(association, today)
        current = [r for r in rows if r["current"]]
        campaigns = list(Campaign.objects.filter(association=association).select_related("template"))
        progress = campaign_progress(campaigns)
        total = sum(r["hazards"] for r in rows)
        closed = sum(r["closed"] for r in rows)
        out.append(
            {
                "association": association,
                "rows": rows,
                "members": len(current),
                "participating": sum(1 for r in current if r["channels"]),
                "hazards": total,
                "open": total - closed,
                "closure": round(100 * closed / total) if total else None,
                "campaigns": [(c, progress[c.pk]) for c in campaigns],
            }
        )
    return out


def partners_for(user, campaign, day=None):
    """The members the user's enterprise may inspect in this campaign today (same group, current members)."""
    day = day or timezone.localdate()
    if user.role != Role.ENTERPRISE or not (campaign.start_date <= day <= campaign.end_date):
        return Enterprise.objects.none()
    members = set(member_ids_on(campaign.association_id, day))
    if user.enterprise_id not in members:
        return Enterprise.objects.none()
    grouped = CampaignGroup.enterprises.through.objects.filter(
        campaigngroup__campaign=campaign, campaigngroup__enterprises=user.enterprise_id
    ).values("enterprise_id")
    return (
        Enterprise.objects.filter(pk__in=grouped).filter(pk__in=members).exclude(pk=user.enterprise_id).order_by("name")
    )


def home_summary(user) -> dict:
    cards = []
    if user.role == Role.ASSOCIATION and user.has_perm("associations.view_membership"):
        today = timezone.localdate()
        cards.append(
            {
                "key": "members-current",
                "label": _("现有会员"),
                "value": Membership.objects.visible_to(user).filter(left_on__isnull=True).count(),
                "url": reverse("associations:membership_list") + "?current=true",
            }
        )
        running = Campaign.objects.visible_to(user).filter(start_date__lte=today, end_date__gte=today)
        cards.append(
            {
                "key": "campaigns-running",
                "label": _("进行中的互查活动"),
                "value": running.count(),
                "url": reverse("associations:campaign_list") + "?running=true",
            }
        )
        return {
            "cards": cards,
            "notes": [
                _(
                    "在“互查互帮”中管理会员（入会、退会）、组织互查活动并分组；会员企业在手机上录入互查，"
                    "发现的问题作为被检查企业的隐患进入整改闭环。“协会看板”汇总会员参与情况、隐患整改和活动进度。"
                )
            ],
        }
    if user.role == Role.ENTERPRISE and user.has_perm("associations.view_mutualinspection"):
        pending = MutualInspection.objects.visible_to(user).filter(
            inspected_id=user.enterprise_id, confirmed_at__isnull=True
        )
        count = pending.count()
        if count:
            cards.append(
                {
                    "key": "mutual-unconfirmed",
                    "label": _("待确认互查记录"),
                    "value": count,
                    "url": reverse("associations:inspection_list") + "?confirmed=false",
                }
            )
    return {"cards": cards}


def enterprise_panels(request, enterprise) -> list[dict]:
    """The enterprise's memberships and the 互查 records it received, as the viewer may see them."""
    user = request.user
    if not user.has_perm("associations.view_mutualinspection"):
        return []
    received = MutualInspection.objects.visible_to(user).filter(inspected=enterprise)
    agg = received.aggregate(total=Count("id"), open=Count("id", filter=Q(confirmed_at__isnull=True)))
    if not agg["total"] and not Membership.objects.filter(enterprise=enterprise).exists():
        return []  # never a member of an association: nothing to show
    url = reverse("associations:inspection_list") + f"?inspected={enterprise.pk}"
    return [
        {
            "key": "mutual",
            "title": _("协会互查"),
            "figures": [
                {"key": "total", "label": _("接受互查"), "value": agg["total"], "url": url},
                {"key": "open", "label": _("待确认"), "value": agg["open"], "url": f"{url}&confirmed=false"},
            ],
            "items": [
                {
                    "text": f"{i.campaign.name} · {i.inspector.name}",
                    "url": i.get_absolute_url(),
                    "meta": f"{timezone.localtime(i.inspected_at):%Y-%m-%d}",
                }
                for i in received.select_related("campaign", "inspector").order_by("-inspected_at")[:5]
            ],
            "url": url,
        }
    ]
