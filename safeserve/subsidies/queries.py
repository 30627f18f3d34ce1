"""The reads pages, API, exports and the county view share; each takes the acting user."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.registry.choices import EnterpriseStatus
from safeserve.registry.models import Enterprise

from . import rules
from .choices import GRANTED_STATES, ApplicationStatus, PolicyStatus
from .models import SubsidyApplication, SubsidyPolicy

ZERO = Decimal("0")
S = ApplicationStatus


def money(value) -> Decimal:
    """A sum of money to the cent (SQLite answers 4000 for a sum of 4000.00)."""
    return rules.cents(value or ZERO)


def policies(user):
    return SubsidyPolicy.objects.visible_to(user).select_related("town")


def applications(user):
    return SubsidyApplication.objects.visible_to(user).select_related("policy__town", "enterprise", "contract")


def _with_figures(qs):
    granted = Q(applications__status__in=GRANTED_STATES)
    return qs.annotate(
        approved_sum=Sum("applications__approved_amount", filter=granted),
        paid_sum=Sum("applications__paid_amount", filter=Q(applications__status=S.PAID)),
        n_apps=Count("applications", filter=~Q(applications__status=S.WITHDRAWN)),
        n_submitted=Count("applications", filter=Q(applications__status=S.SUBMITTED)),
        n_granted=Count("applications", filter=granted),
        n_rejected=Count("applications", filter=Q(applications__status=S.REJECTED)),
        reached=Count("applications__enterprise", filter=granted, distinct=True),
    )


def policy_figures(user, policy) -> dict:
    """The figures of one policy's page: budget, granted, paid, remaining, applications."""
    row = _with_figures(SubsidyPolicy.objects.visible_to(user).filter(pk=policy.pk)).values(
        "approved_sum", "paid_sum", "n_apps", "n_submitted", "n_granted", "n_rejected", "reached"
    )[0]
    approved = money(row["approved_sum"])
    return {
        **row,
        "approved_sum": approved,
        "paid_sum": money(row["paid_sum"]),
        "remaining": policy.budget - approved,
        "eligible": Enterprise.objects.visible_to(user).filter(rules.eligible_q(policy)).count(),
    }


def _eligible_counts(user, policy_rows) -> dict[int, int]:
    """Eligible enterprises per policy in one grouped query (rules.is_eligible_row on each group)."""
    towns = {p.town_id for p in policy_rows}
    if not towns:
        return {}
    groups = list(
        Enterprise.objects.visible_to(user)
        .filter(town_id__in=towns, is_hazchem=False, has_major_hazard_source=False, status=EnterpriseStatus.ACTIVE)
        .values("town_id", "industry__code", "industry__parent__code", "size_class")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_town = defaultdict(list)
    for g in groups:
        by_town[g["town_id"]].append(g)
    return {p.pk: sum(g["n"] for g in by_town[p.town_id] if rules.is_eligible_row(p, g)) for p in policy_rows}


def overview(user, year: int) -> dict:
    """Subsidies by town for ``year`` and by year (every year): budget, approved, paid, applications,
    eligible enterprises reached. A town officer sees its own town; the county every town.

    Three queries whatever the number of towns, policies or applications."""
    rows = list(_with_figures(policies(user).filter(year=year)).order_by("town__sort_order", "town__code"))
    eligible = _eligible_counts(user, rows)
    town_rows = []
    for p in rows:
        approved = money(p.approved_sum)
        town_rows.append(
            {
                "policy": p,
                "town": p.town.name,
                "status": p.get_status_display(),
                "budget": p.budget,
                "approved": approved,
                "paid": money(p.paid_sum),
                "remaining": p.budget - approved,
                "applications": p.n_apps,
                "submitted": p.n_submitted,
                "granted": p.n_granted,
                "rejected": p.n_rejected,
                "reached": p.reached,
                "eligible": eligible.get(p.pk, 0),
                "used": (approved / p.budget * 100) if p.budget else ZERO,
            }
        )
    # Sum(budget) over the applications join would count a budget once per application: by year from
    # the policies alone, the application figures from the applications alone.
    budgets = {
        r["year"]: r for r in policies(user).values("year").annotate(n=Count("id"), budget=Sum("budget")).order_by()
    }
    apps = {
        r["policy__year"]: r
        for r in SubsidyApplication.objects.visible_to(user)
        .values("policy__year")
        .annotate(
            approved=Sum("approved_amount", filter=Q(status__in=GRANTED_STATES)),
            paid=Sum("paid_amount", filter=Q(status=S.PAID)),
            n=Count("id", filter=~Q(status=S.WITHDRAWN)),
            reached=Count("enterprise", filter=Q(status__in=GRANTED_STATES), distinct=True),
        )
        .order_by()
    }
    year_rows = []
    for y in sorted(budgets, reverse=True):
        a = apps.get(y, {})
        year_rows.append(
            {
                "year": y,
                "policies": budgets[y]["n"],
                "budget": money(budgets[y]["budget"]),
                "approved": money(a.get("approved")),
                "paid": money(a.get("paid")),
                "applications": a.get("n") or 0,
                "reached": a.get("reached") or 0,
            }
        )
    total = {
        k: sum((r[k] for r in town_rows), ZERO if k in ("budget", "approved", "paid", "remaining") else 0)
        for k in ("budget", "approved", "paid", "remaining", "applications", "submitted", "reached", "eligible")
    }
    chart = {
        "towns": [r["town"] for r in town_rows],
        "budget": [float(r["budget"]) for r in town_rows],
        "approved": [float(r["approved"]) for r in town_rows],
        "paid": [float(r["paid"]) for r in town_rows],
        "labels": {"budget": _("预算"), "approved": _("已批准"), "paid": _("已拨付")},
    }
    return {"year": year, "town_rows": town_rows, "year_rows": year_rows, "total": total, "chart": chart}


# ---------------------------------------------------------------- panels and homes


def enterprise_panels(request, enterprise) -> list[dict]:
    """The enterprise's subsidies on its 360° page and its home (core.hooks.ENTERPRISE_PANELS): shown
    once it has applied, or when its town has published this year's policy."""
    user = request.user
    if not user.has_perm("subsidies.view_subsidyapplication"):
        return []
    mine = SubsidyApplication.objects.visible_to(user).filter(enterprise_id=enterprise.pk)
    figures = mine.aggregate(
        n=Count("id"),
        submitted=Count("id", filter=Q(status=S.SUBMITTED)),
        granted=Sum("approved_amount", filter=Q(status__in=GRANTED_STATES)),
        paid=Sum("paid_amount", filter=Q(status=S.PAID)),
    )
    year = timezone.localdate().year
    open_policy = None
    if not figures["n"]:
        open_policy = (
            SubsidyPolicy.objects.visible_to(user)
            .filter(town_id=enterprise.town_id, year=year, status=PolicyStatus.PUBLISHED)
            .first()
        )
        if open_policy is None:
            return []
    base = reverse("subsidies:subsidyapplication_list") + f"?enterprise={enterprise.pk}"
    items = [
        {
            "text": f"{a.number} · {a.contract.number}",
            "url": a.get_absolute_url(),
            "meta": f"{a.get_status_display()} · {a.approved_amount or a.proposed_amount} 元",
            "badge": BADGES.get(a.status, "secondary"),
        }
        for a in (mine.select_related("contract").order_by("-submitted_at", "-id")[:5] if figures["n"] else ())
    ]  # two queries whatever the enterprise's case: the figures, then its applications or the open policy
    if open_policy is not None:
        items.append(
            {
                "text": open_policy.name,
                "url": open_policy.get_absolute_url(),
                "meta": _("已发布，可申请"),
                "badge": "info",
            }
        )
    return [
        {
            "key": "subsidies",
            "title": _("服务补贴"),
            "figures": [
                {"key": "applications", "label": _("补贴申请"), "value": figures["n"], "url": base},
                {
                    "key": "submitted",
                    "label": _("待审核"),
                    "value": figures["submitted"],
                    "url": base + "&status=submitted",
                },
                {"key": "granted", "label": _("已批准（元）"), "value": str(money(figures["granted"])), "url": ""},
                {"key": "paid", "label": _("已拨付（元）"), "value": str(money(figures["paid"])), "url": ""},
            ],
            "items": items,
            "url": base,
            "more": _("全部补贴申请"),
        }
    ]


BADGES = {
    "submitted": "warning",
    "approved": "primary",
    "paid": "success",
    "rejected": "danger",
    "withdrawn": "secondary",
}


def home_summary(user) -> dict:
    """Cards for a town officer's home: applications waiting for a decision, approved ones to pay."""
    if user.role != Role.TOWN or not user.has_perm("subsidies.decide_subsidyapplication"):
        return {}
    counts = SubsidyApplication.objects.visible_to(user).aggregate(
        submitted=Count("id", filter=Q(status=S.SUBMITTED)), approved=Count("id", filter=Q(status=S.APPROVED))
    )
    url = reverse("subsidies:subsidyapplication_list")
    return {
        "cards": [
            {
                "key": "subsidies-submitted",
                "label": _("待审核补贴申请"),
                "value": counts["submitted"],
                "url": url + "?status=submitted",
            },
            {
                "key": "subsidies-to-pay",
                "label": _("待拨付补贴"),
                "value": counts["approved"],
                "url": url + "?status=approved",
            },
        ]
    }
