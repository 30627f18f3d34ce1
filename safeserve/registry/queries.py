"""Reads shared by pages, APIs, exports and statistics. Each takes the acting user."""

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from .choices import RISK_TONES, QualificationStatus, RiskLevel
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


def qualification_alerts(user):
    """Qualifications of visible agencies that have expired or expire within the warning window."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    warn = timezone.localdate() + timedelta(days=settings.SAFESERVE["QUALIFICATION_EXPIRY_WARNING_DAYS"])
    return AgencyQualification.objects.visible_to(user).filter(valid_until__lte=warn).select_related("agency")


def registry_summary(user):
    cards, charts = [], []
    ent = Enterprise.objects.visible_to(user)
    if user.has_perm("registry.view_enterprise"):
        cards.append(
            {
                "key": "enterprises",
                "label": _("生产经营单位"),
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
    if user.has_perm("registry.view_agency"):
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
                "url": reverse("registry:agencyqualification_list") + f"?status={QualificationStatus.EXPIRING}",
            }
        )
    if user.has_perm("registry.view_expert"):
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
    return {"cards": cards, "charts": charts}
