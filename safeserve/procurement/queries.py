"""Reads shared by the pages, the API, the exports and the public page; each takes the acting user."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from .choices import BuyerKind, ProjectStatus
from .models import Bid, Payment, Project

AWARDED_STATES = (ProjectStatus.PERFORMING, ProjectStatus.EVALUATED, ProjectStatus.CLOSED)


def projects_for(user, action="view"):
    return Project.objects.visible_to(user, action).select_related("buyer_town", "awarded_bid__agency", "contract")


def bids_for(user, project):
    return Bid.objects.visible_to(user).filter(project=project).select_related("agency").order_by("amount", "id")


def payments_for(user, project):
    return Payment.objects.visible_to(user).filter(project=project).order_by("paid_on", "id")


def budget_rows(user, year: int | None = None) -> list[dict]:
    """Per buyer and year: budget, committed (contract amounts awarded), paid, remaining (budget −
    committed) and still to pay (committed − paid). Cancelled projects commit nothing and count no budget."""
    projects = Project.objects.visible_to(user).exclude(status=ProjectStatus.CANCELLED)
    if year:
        projects = projects.filter(year=year)
    keys = ("buyer_kind", "buyer_town_id", "buyer_town__name", "year")
    base = {
        tuple(r[k] for k in keys): r
        for r in projects.values(*keys).annotate(n=Count("id"), budget=Sum("budget")).order_by()
    }
    committed = {
        tuple(r[k] for k in keys): r["s"]
        for r in projects.filter(status__in=AWARDED_STATES).values(*keys).annotate(s=Sum("contract__fee")).order_by()
    }
    paid = defaultdict(Decimal)
    pays = Payment.objects.filter(project__in=projects.values("pk"))
    for r in pays.values(*(f"project__{k}" for k in keys)).annotate(s=Sum("amount")).order_by():
        paid[tuple(r[f"project__{k}"] for k in keys)] += r["s"] or Decimal(0)
    rows = []
    for key, r in base.items():
        c = committed.get(key) or Decimal(0)
        p = paid.get(key, Decimal(0))
        rows.append(
            {
                "buyer": r["buyer_town__name"] if r["buyer_kind"] == BuyerKind.TOWN else str(BuyerKind.COUNTY.label),
                "county_first": 0 if r["buyer_kind"] == BuyerKind.COUNTY else 1,
                "year": r["year"],
                "projects": r["n"],
                "budget": r["budget"] or Decimal(0),
                "committed": c,
                "paid": p,
                "remaining": (r["budget"] or Decimal(0)) - c,
                "to_pay": c - p,
            }
        )
    rows.sort(key=lambda x: (-x["year"], x["county_first"], x["buyer"]))
    return rows


def budget_years(user) -> list[int]:
    return sorted(set(Project.objects.visible_to(user).values_list("year", flat=True)), reverse=True)


# ---------------------------------------------------------------- the public page (no login)


def public_contracts():
    """Key terms of awarded purchases (buyer, supplier, service, amount, term): no person appears."""
    return (
        Project.objects.filter(status__in=AWARDED_STATES, contract__isnull=False)
        .select_related("buyer_town", "awarded_bid__agency", "contract")
        .order_by("-awarded_on", "-id")
    )


def public_section(request):
    n = Project.objects.filter(status__in=AWARDED_STATES, contract__isnull=False).count()
    return {
        "key": "procurement",
        "title": _("政府购买服务合同公示"),
        "url": reverse("procurement:public"),
        "summary": _("已公示合同 %(n)s 份") % {"n": n},
    }
