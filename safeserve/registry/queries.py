"""Reads shared by pages, APIs, exports and statistics. Each takes the acting user."""

from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safeserve.accounts.choices import Role
from safeserve.core import hooks

from .choices import RISK_TONES, RiskLevel
from .models import Agency, AgencyQualification, Enterprise, Expert, Town


def enterprises_by_town(user):
    rows = (
        Enterprise.objects.visible_to(user)
        .values("town__name", "town__sort_order")
        .annotate(n=Count("id"))
        .order_by("town__sort_order")
    )
    return [(r["town__name"], r["n"]) for r in rows]


def enterprises_by_risk(user):
    counts = dict(Enterprise.objects.visible_to(user).values_list("risk_level").annotate(n=Count("id")))
    return [(str(label), counts.get(value, 0), RISK_TONES[value].background) for value, label in RiskLevel.choices]


def qualification_warn_date():
    """Qualifications valid until this day or earlier have expired or expire within the warning window."""
    return timezone.localdate() + timedelta(days=settings.SAFESERVE["QUALIFICATION_EXPIRY_WARNING_DAYS"])


def qualification_alerts(user):
    """Qualifications of visible agencies that have expired or expire within the warning window."""
    warn = qualification_warn_date()
    return AgencyQualification.objects.visible_to(user).filter(valid_until__lte=warn).select_related("agency")


def covered_q(channel: str) -> Q:
    """Enterprises reached today through a coverage channel (core.hooks.COVERAGE_CHANNELS, e.g.
    "service_contract", which services provides); none without a provider (fails closed)."""
    provider = hooks.COVERAGE_CHANNELS.get(channel)
    if provider is None:
        return Q(pk__in=[])
    return Q(pk__in=provider(Enterprise.objects.values("pk")))


PANELS_FIRST = ("hazards", "iot", "visits")  # what needs doing first; then the rest in registration order


def enterprise_panels(request, enterprise) -> list[dict]:
    """Every capability's panel about ``enterprise`` as ``request.user`` may see it (core.hooks.ENTERPRISE_PANELS):
    the 360° page (一企一档) and the enterprise user's home."""
    panels = [panel for provider in hooks.ENTERPRISE_PANELS for panel in provider(request, enterprise)]
    return sorted(panels, key=lambda p: PANELS_FIRST.index(p["key"]) if p["key"] in PANELS_FIRST else len(PANELS_FIRST))


# What each role without its own capability yet can do here (the home page says so).
ROLE_NOTES = {
    # Experts: their home is the experts app (pending invitations, upcoming jobs, ratings).
    Role.INSURER: gettext_lazy(
        "安责险保单和事故预防服务功能上线后将显示在这里。目前您可以维护本机构的联系信息，"
        "查阅第三方服务机构名录及其资质有效期。"
    ),
    Role.ASSOCIATION: gettext_lazy(
        "您可以查看会员企业的档案（一企一档）及其隐患整改情况，查阅第三方服务机构名录，维护本协会的联系信息。"
    ),
}


def registry_summary(user):
    cards, charts, panels, notes = [], [], [], []
    ent = Enterprise.objects.visible_to(user)
    if user.role in ROLE_NOTES:
        notes.append(ROLE_NOTES[user.role])
    if user.role == Role.ENTERPRISE and user.enterprise_id:
        # The enterprise's own file is its home: every capability's panel (to-dos, devices, contracts).
        own = ent.filter(pk=user.enterprise_id).first()
        if own is not None:
            viewer = SimpleNamespace(user=user)  # panel providers read only the viewer
            panels += enterprise_panels(viewer, own)
    if user.has_perm("registry.view_enterprise") and user.role != Role.ENTERPRISE:
        cards.append(
            {
                "key": "enterprises",
                "label": _("会员企业") if user.role == Role.ASSOCIATION else _("生产经营单位"),
                "value": ent.count(),
                "url": reverse("registry:enterprise_list"),
            }
        )
        cards.append(
            {
                "key": "key-industry",
                "label": _("重点行业企业"),
                "value": ent.filter(industry__is_key=True).count(),
                "url": reverse("registry:enterprise_list") + "?key_industry=true",
            }
        )
    if user.has_perm("registry.view_enterprise") and user.role in (Role.COUNTY, Role.TOWN):
        cards.append(
            {
                "key": "no-service-contract",
                "label": _("无生效服务合同的企业"),
                "value": ent.exclude(covered_q("service_contract")).count(),
                "url": reverse("registry:enterprise_list") + "?service_contract=false",
            }
        )
    # The agency register and the expert pool are county-wide: a county figure, not a town's.
    directory_roles = (Role.COUNTY, Role.AGENCY, Role.INSURER, Role.ASSOCIATION)
    if user.has_perm("registry.view_agency") and (user.role in directory_roles or user.is_superuser):
        cards.append(
            {
                "key": "agencies",
                "label": _("服务机构"),
                "value": Agency.objects.visible_to(user).count(),
                "url": reverse("registry:agency_list"),
            }
        )
        alerts = qualification_alerts(user).count()
        cards.append(
            {
                "key": "qualification-alerts",
                "label": _("资质过期/即将到期"),
                "value": alerts,
                "url": reverse("registry:agencyqualification_list") + "?alert=true",
            }
        )
    if user.has_perm("registry.view_expert") and user.role in (Role.COUNTY, Role.EXPERT):
        cards.append(
            {
                "key": "experts",
                "label": _("专家"),
                "value": Expert.objects.visible_to(user).count(),
                "url": reverse("registry:expert_list"),
            }
        )
    if (user.has_perm("registry.view_enterprise") and user.role in ("county", "town")) or user.is_superuser:
        if Town.objects.visible_to(user).count() > 1:
            by_town = enterprises_by_town(user)
            charts.append(
                {
                    "id": "by-town",
                    "kind": "bar",
                    "title": _("各镇（街道）企业数"),
                    "labels": [t for t, _n in by_town],
                    "values": [n for _t, n in by_town],
                }
            )
        by_risk = enterprises_by_risk(user)
        charts.append(
            {
                "id": "by-risk",
                "kind": "pie",
                "title": _("企业风险等级分布"),
                "labels": [r[0] for r in by_risk],
                "values": [r[1] for r in by_risk],
                "colors": [r[2] for r in by_risk],
            }
        )
    return {"cards": cards, "charts": charts, "panels": panels, "notes": notes}
