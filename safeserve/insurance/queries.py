"""Reads of the insurance app, each taking the acting user (scoping happens in ``visible_to``).

- who must be insured and is not on a date (应保未保), the coverage channel "insurance";
- prevention visits of a policy: the services app's visits under the plan's contract (a plan served
  by an agency) and the experts' own records (``PreventionVisit``, a plan served by an expert); every
  figure below counts both;
- the regulator's ledger: planned and spent prevention money per insurer and year against the county
  floor, and the policies with no prevention visit in the last six months (保而不防);
- the insurer's home: policies expiring, plans behind schedule, complaints due.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.registry.choices import EnterpriseStatus
from safeserve.registry.models import Enterprise, Insurer
from safeserve.services.models import ServiceVisit

from .choices import ComplaintState
from .conf import PREVENTION_CEILING, setting
from .models import Claim, Complaint, Evaluation, Policy, PreventionExpense, PreventionPlan, PreventionVisit


def months_before(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


# ---------------------------------------------------------------- who must be insured


def mandatory_q(prefix: str = "") -> Q:
    """Enterprises of an industry (or of a section) flagged 强制投保安责险."""
    return Q(**{f"{prefix}industry__insurance_mandatory": True}) | Q(
        **{f"{prefix}industry__parent__insurance_mandatory": True}
    )


def covered_enterprises(enterprise_ids, on_date: date):
    """The coverage channel "insurance": of ``enterprise_ids``, those holding a valid policy that day."""
    return Policy.objects.filter(Policy.valid_on_q(on_date), enterprise_id__in=enterprise_ids).values("enterprise_id")


def uninsured(user, on: date):
    """Enterprises in a mandatory industry, in business, with no valid policy on ``on`` (应保未保)."""
    insured = Policy.objects.filter(Policy.valid_on_q(on)).values("enterprise_id")
    return (
        Enterprise.objects.visible_to(user)
        .filter(mandatory_q(), status=EnterpriseStatus.ACTIVE)
        .exclude(pk__in=insured)
        .select_related("town", "industry")
        .order_by("town__sort_order", "name", "id")
    )


def is_uninsured(enterprise, on: date) -> bool:
    mandatory = Enterprise.objects.filter(mandatory_q(), pk=enterprise.pk, status=EnterpriseStatus.ACTIVE).exists()
    return mandatory and not Policy.objects.filter(Policy.valid_on_q(on), enterprise_id=enterprise.pk).exists()


# ---------------------------------------------------------------- prevention visits


def prevention_visits_q(prefix: str = "") -> dict:
    """Lookups joining a visit to a policy through its plan's contract (for ``OuterRef`` on policies)."""
    return {
        "contract_id": OuterRef(f"{prefix}plan__contract_id"),
        "enterprise_id": OuterRef(f"{prefix}enterprise_id"),
    }


def policy_visits(policy):
    """The prevention visits of ``policy``: visits under its plan's contract at the insured, in its period.

    Read through the policy (which the caller fetched with ``get_visible_or_404``), not through the
    services app's scope: an insurer sees the visits it commissioned, nothing else of the agency's."""
    plan = PreventionPlan.objects.filter(policy=policy).first()
    if plan is None or plan.contract_id is None:
        return ServiceVisit.objects.none()
    return (
        ServiceVisit.objects.filter(contract_id=plan.contract_id, enterprise_id=policy.enterprise_id)
        .select_related("agency", "confirmation")
        .prefetch_related("staff")
        .order_by("-visited_at", "-id")
    )


def expert_visits(policy):
    """The experts' prevention visits of ``policy`` (its plan's ``PreventionVisit``s), newest first.

    Read through the policy the caller fetched with ``get_visible_or_404``, as ``policy_visits``."""
    return (
        PreventionVisit.objects.filter(plan__policy=policy)
        .select_related("expert", "plan")
        .order_by("-visited_at", "-id")
    )


def _local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz)
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return lo, hi


def _visit_between(start: date, end: date):
    """Exists(): a prevention visit under the outer policy's contract with a local date in [start, end]."""
    lo, hi = _local_bounds(start, end)
    return Exists(
        ServiceVisit.objects.filter(
            contract_id=OuterRef("plan__contract_id"),
            enterprise_id=OuterRef("enterprise_id"),
            visited_at__gte=lo,
            visited_at__lt=hi,
        )
    )


def _expert_visit_between(start: date, end: date):
    """Exists(): an expert's prevention visit of the outer policy's plan with a local date in [start, end]."""
    lo, hi = _local_bounds(start, end)
    return Exists(PreventionVisit.objects.filter(plan__policy_id=OuterRef("pk"), visited_at__gte=lo, visited_at__lt=hi))


def idle_policies(user, on: date):
    """保而不防 on ``on``: policies valid that day, running for at least the idle window (6 months),
    with no prevention visit in the window ending that day."""
    since = months_before(on, int(setting("IDLE_MONTHS")))
    return (
        Policy.objects.visible_to(user)
        .filter(Policy.valid_on_q(on), start_date__lte=since)
        .annotate(visited=_visit_between(since, on), expert_visited=_expert_visit_between(since, on))
        .filter(visited=False, expert_visited=False)
        .select_related("insurer", "enterprise", "enterprise__town")
        .order_by("insurer__name", "end_date", "id")
    )


def visits_done(plan, on: date) -> int:
    """The plan's prevention visits in the policy period up to ``on``: the agency's and the expert's."""
    policy = plan.policy
    lo, hi = _local_bounds(policy.start_date, min(on, policy.end_date))
    agency = policy_visits(policy).filter(visited_at__gte=lo, visited_at__lt=hi).count()
    return agency + PreventionVisit.objects.filter(plan=plan, visited_at__gte=lo, visited_at__lt=hi).count()


def visits_expected(plan, on: date) -> int:
    """Visits the plan should have had by ``on``: its yearly frequency pro rata of the time elapsed."""
    policy = plan.policy
    if on < policy.start_date:
        return 0
    elapsed = (min(on, policy.end_date) - policy.start_date).days
    return plan.visits_per_year * elapsed // 365


def plans_behind(user, on: date) -> list:
    """Plans of policies valid on ``on`` that have fewer visits than their frequency asks by then."""
    plans = (
        PreventionPlan.objects.visible_to(user)
        .filter(Policy.valid_on_q(on, "policy__"))
        .select_related("policy", "policy__enterprise", "policy__insurer")
    )
    out = []
    # One count per plan would grow with the data: count every plan's visits in one query.
    counts = dict(
        ServiceVisit.objects.filter(contract_id__in=[p.contract_id for p in plans if p.contract_id])
        .values_list("contract_id")
        .annotate(n=Count("id"))
        .values_list("contract_id", "n")
    )
    by_expert = dict(
        PreventionVisit.objects.filter(plan__in=[p.pk for p in plans])
        .values_list("plan_id")
        .annotate(n=Count("id"))
        .values_list("plan_id", "n")
    )
    for plan in plans:
        expected = visits_expected(plan, on)
        done = counts.get(plan.contract_id, 0) + by_expert.get(plan.pk, 0)
        if done < expected:
            out.append((plan, done, expected))
    return out


# ---------------------------------------------------------------- the prevention fee ledger


@dataclass
class LedgerRow:
    insurer: Insurer
    policies: int
    collected: Decimal
    planned: Decimal
    spent: Decimal

    @property
    def planned_share(self) -> Decimal | None:
        return (self.planned * 100 / self.collected).quantize(Decimal("0.01")) if self.collected else None

    @property
    def spent_share(self) -> Decimal | None:
        return (self.spent * 100 / self.collected).quantize(Decimal("0.01")) if self.collected else None

    @property
    def under_floor(self) -> bool:
        share = self.planned_share
        return share is not None and share < Decimal(str(setting("PREVENTION_FLOOR")))


def ledger(user, year: int) -> list[LedgerRow]:
    """Per insurer, the policies starting in ``year`` the user may see: premium collected, the
    planned prevention budget (each policy's share) and what the ledger shows spent in that year."""
    policies = Policy.objects.visible_to(user).filter(start_date__year=year)
    rows = {}
    for p in policies.values("insurer_id", "premium_collected", "prevention_share"):
        r = rows.setdefault(p["insurer_id"], [0, Decimal("0"), Decimal("0")])
        r[0] += 1
        r[1] += p["premium_collected"]
        r[2] += (p["premium_collected"] * p["prevention_share"] / 100).quantize(Decimal("0.01"))
    spent = dict(
        PreventionExpense.objects.visible_to(user)
        .filter(policy__in=policies)
        .values_list("policy__insurer_id")
        .annotate(s=Sum("amount"))
        .values_list("policy__insurer_id", "s")
    )
    insurers = Insurer.objects.in_bulk(list(rows))
    out = [
        LedgerRow(insurers[i], n, collected, planned, spent.get(i) or Decimal("0"))
        for i, (n, collected, planned) in rows.items()
    ]
    return sorted(out, key=lambda r: r.insurer.name)


# ---------------------------------------------------------------- complaints


def complaints_due(user, on: date):
    return (
        Complaint.objects.visible_to(user)
        .filter(state=ComplaintState.OPEN)
        .select_related("policy", "policy__enterprise", "policy__insurer")
        .order_by("due_on", "id")
    )


def overdue_complaints_q(on: date) -> Q:
    return Q(state=ComplaintState.OPEN) & (Q(extended_to__lt=on) | Q(extended_to__isnull=True, due_on__lt=on))


# ---------------------------------------------------------------- the insured's file (一企一档)


def insured_file(user, enterprise) -> dict:
    """Everything about one insured the user may see: policies, plans, visits, ledger, complaints, claims."""
    policies = list(
        Policy.objects.visible_to(user)
        .filter(enterprise=enterprise)
        .select_related("insurer", "plan", "plan__agency", "plan__expert")
        .order_by("-start_date", "-id")
    )
    ids = [p.pk for p in policies]
    plans = [p.plan for p in policies if hasattr(p, "plan")]
    by_contract = {plan.contract_id: plan.policy for plan in plans if plan.contract_id}
    # One query for every policy's visits (policy_visits(p) per policy would grow with the file).
    visits = [
        (by_contract[v.contract_id], v)
        for v in ServiceVisit.objects.filter(contract_id__in=list(by_contract), enterprise_id=enterprise.pk)
        .select_related("agency", "confirmation")
        .order_by("-visited_at", "-id")
    ]
    by_plan = {plan.pk: plan.policy for plan in plans}
    experts = [
        (by_plan[v.plan_id], v)
        for v in PreventionVisit.objects.filter(plan_id__in=list(by_plan))
        .select_related("expert")
        .annotate(hazard_count=Count("hazards"))
        .order_by("-visited_at", "-id")
    ]
    return {
        "enterprise": enterprise,
        "policies": policies,
        "plans": plans,
        "visits": visits,
        "expert_visits": experts,
        "expenses": list(
            PreventionExpense.objects.visible_to(user).filter(policy_id__in=ids).select_related("policy", "visit")
        ),
        "complaints": list(Complaint.objects.visible_to(user).filter(policy_id__in=ids).select_related("policy")),
        "claims": list(Claim.objects.visible_to(user).filter(policy_id__in=ids).select_related("policy")),
        "evaluations": list(
            Evaluation.objects.visible_to(user)
            .filter(policy_id__in=ids)
            .select_related("policy")
            .order_by("-year", "policy__number")
        ),
    }


def insured_enterprises(user):
    """The enterprises whose insurance file the user may open: those with a policy it sees."""
    return Enterprise.objects.filter(pk__in=Policy.objects.visible_to(user).values("enterprise_id"))


def insured_enterprise_ids(user):
    """The relation "insured_enterprises" (core.hooks): ids of the enterprises with a policy ``user`` sees."""
    return Policy.objects.visible_to(user).values("enterprise_id")


# ---------------------------------------------------------------- panels


def enterprise_panels(request, enterprise) -> list[dict]:
    """The enterprise 360° page's 安责险 panel: its valid policy today, or the 应保未保 flag."""
    user = request.user
    if not user.has_perm("insurance.view_policy"):
        return []
    today = timezone.localdate()
    policies = Policy.objects.visible_to(user).filter(enterprise=enterprise).select_related("insurer")
    valid = [p for p in policies.filter(Policy.valid_on_q(today))[:5]]
    # One query for the flag and the file link (a panel costs at most two: the page's query budget).
    row = (
        Enterprise.objects.filter(pk=enterprise.pk)
        .annotate(
            mandatory=Exists(
                Enterprise.objects.filter(mandatory_q(), pk=OuterRef("pk"), status=EnterpriseStatus.ACTIVE)
            ),
            insured=Exists(Policy.objects.filter(Policy.valid_on_q(today), enterprise_id=OuterRef("pk"))),
            files=Exists(Policy.objects.visible_to(user).filter(enterprise_id=OuterRef("pk"))),
        )
        .values("mandatory", "insured", "files")
        .first()
    ) or {"mandatory": False, "insured": False, "files": False}
    flagged = row["mandatory"] and not row["insured"]
    items = []
    if flagged:
        items.append(
            {
                "text": _("强制投保行业，今日无有效安责险保单"),
                "url": reverse("insurance:uninsured"),
                "meta": "",
                "badge": "danger",
            }
        )
    for p in valid:
        items.append(
            {
                "text": f"{p.number} {p.insurer}",
                "url": p.get_absolute_url(),
                "meta": _("至 %(d)s") % {"d": p.end_date.isoformat()},
                "badge": "success",
            }
        )
    files = row["files"]
    return [
        {
            "key": "insurance",
            "title": _("安责险"),
            "figures": [
                {
                    "key": "valid",
                    "label": _("有效保单"),
                    "value": len(valid),
                    "url": reverse("insurance:policy_list") + f"?enterprise={enterprise.pk}&valid=true",
                },
                {"key": "uninsured", "label": _("应保未保"), "value": _("是") if flagged else _("否"), "url": ""},
            ],
            "items": items,
            "url": reverse("insurance:insured_file", args=[enterprise.pk]) if files else "",
            "more": _("安责险档案"),
        }
    ]


def home_summary(user) -> dict:
    """Role home cards: an insurer's policies expiring, plans behind, complaints due; an officer's
    应保未保 and 保而不防 counts."""
    today = timezone.localdate()
    if user.role == Role.INSURER and user.has_perm("insurance.view_policy"):
        soon = today + timedelta(days=int(setting("EXPIRING_DAYS")))
        expiring = Policy.objects.visible_to(user).filter(Policy.valid_on_q(today), end_date__lte=soon).count()
        behind = len(plans_behind(user, today))
        due = complaints_due(user, today).count()
        row = next(iter(ledger(user, today.year)), None)
        share = row.spent_share if row else None
        return {
            "cards": [
                {
                    "key": "policies-expiring",
                    "label": _("30天内到期保单"),
                    "value": expiring,
                    "url": reverse("insurance:policy_list") + "?expiring=true",
                },
                {
                    "key": "plans-behind",
                    "label": _("服务计划进度滞后"),
                    "value": behind,
                    "url": reverse("insurance:preventionplan_list") + "?behind=true",
                },
                {
                    "key": "complaints-due",
                    "label": _("待答复投诉"),
                    "value": due,
                    "url": reverse("insurance:complaint_list") + "?state=open",
                },
                {
                    "key": "prevention-spend",
                    "label": _("本年事故预防支出占实收保费（%%）（下限 %(f)s%%）") % {"f": setting("PREVENTION_FLOOR")},
                    "value": share if share is not None else "—",
                    "url": reverse("insurance:ledger"),
                },
            ]
        }
    if user.role in (Role.COUNTY, Role.TOWN) and user.has_perm("insurance.view_uninsured"):
        return {
            "cards": [
                {
                    "key": "uninsured",
                    "label": _("应保未保企业"),
                    "value": uninsured(user, today).count(),
                    "url": reverse("insurance:uninsured"),
                },
                {
                    "key": "idle-policies",
                    "label": _("保而不防保单"),
                    "value": idle_policies(user, today).count(),
                    "url": reverse("insurance:policy_list") + "?idle=true",
                },
            ]
        }
    return {}


__all__ = ["PREVENTION_CEILING"]


# ---- appointments (AQ 9010 advance confirmation)


def appointment_plans(user):
    """The plans whose appointments (and prevention visits) the user reads: the plan's scope, and for
    agency staff the plans their agency serves."""
    from .models import appointment_scope

    if getattr(user, "role", None) == Role.AGENCY:
        q = appointment_scope(user, "view", "")
        return (
            PreventionPlan.objects.filter(agency_id=user.agency_id) if q is not None else PreventionPlan.objects.none()
        )
    return PreventionPlan.objects.visible_to(user)


def _visit_on_day():
    """Exists(): a prevention visit of the outer appointment's plan at its insured on its day."""
    return Exists(
        ServiceVisit.objects.filter(
            contract_id=OuterRef("plan__contract_id"),
            enterprise_id=OuterRef("plan__policy__enterprise_id"),
            visited_at__date=OuterRef("day"),
        )
    )


def _expert_visit_on_day():
    """Exists(): an expert's prevention visit of the outer appointment's plan on its day."""
    return Exists(PreventionVisit.objects.filter(plan_id=OuterRef("plan_id"), visited_at__date=OuterRef("day")))


def appointments(user, *, plan=None, state: str | None = None):
    """The appointments the user may see, newest day first, each with ``visited`` (a prevention visit
    of the plan at the insured on its day fulfils it: computed, no link stored)."""
    from .models import Appointment

    qs = Appointment.objects.visible_to(user)
    if plan is not None:
        qs = qs.filter(plan=plan)
    if state:
        qs = qs.filter(state=state)
    return (
        qs.annotate(visited=ExpressionWrapper(_visit_on_day() | _expert_visit_on_day(), output_field=BooleanField()))
        .select_related("plan", "plan__policy", "plan__policy__enterprise", "proposed_by", "replaces")
        .prefetch_related("staff")
        .order_by("-day", "-id")
    )


def appointment_outcome(appointment, today: date) -> tuple[str, str]:
    """(label, badge) of an appointment as the pages show it: a confirmed one is 已上门 once a visit
    was recorded on its day, 爽约/未上门 when its day has passed without one."""
    from .choices import AppointmentState

    badges = {"proposed": "warning", "confirmed": "primary", "declined": "danger"}
    if appointment.state == AppointmentState.CONFIRMED:
        if getattr(appointment, "visited", False):
            return _("已上门"), "success"
        if appointment.day < today:
            return _("爽约/未上门"), "danger"
    return str(appointment.get_state_display()), badges.get(appointment.state, "secondary")


def confirmed_in_advance():
    """Exists(): for the outer visit (annotated with its local ``visit_day``), an appointment of a plan
    under the visit's contract at the visit's enterprise, for that day, confirmed by the insured on
    or before that day."""
    from .choices import AppointmentState
    from .models import Appointment

    return Exists(
        Appointment.objects.filter(
            plan__contract_id=OuterRef("contract_id"),
            plan__policy__enterprise_id=OuterRef("enterprise_id"),
            state=AppointmentState.CONFIRMED,
            day=OuterRef("visit_day"),
            answered_at__date__lte=OuterRef("visit_day"),
        )
    )


def unconfirmed_visits(user):
    """未提前确认: prevention visits (under a plan's contract at its insured) with no appointment for
    their day that the insured confirmed on or before it."""
    from django.db.models.functions import TruncDate

    plans = appointment_plans(user).exclude(contract_id=None)
    of_plan = Exists(plans.filter(contract_id=OuterRef("contract_id"), policy__enterprise_id=OuterRef("enterprise_id")))
    return (
        ServiceVisit.objects.filter(of_plan)
        .annotate(visit_day=TruncDate("visited_at"))
        .annotate(advance=confirmed_in_advance())
        .filter(advance=False)
        .select_related("agency", "enterprise", "contract")
        .order_by("-visited_at", "-id")
    )


def expert_confirmed_in_advance():
    """Exists(): for the outer expert visit (annotated with its local ``visit_day``), an appointment of
    its plan for that day, confirmed by the insured on or before that day."""
    from .choices import AppointmentState
    from .models import Appointment

    return Exists(
        Appointment.objects.filter(
            plan_id=OuterRef("plan_id"),
            state=AppointmentState.CONFIRMED,
            day=OuterRef("visit_day"),
            answered_at__date__lte=OuterRef("visit_day"),
        )
    )


def unconfirmed_expert_visits(user):
    """未提前确认 of the experts' prevention visits (of the plans ``appointment_plans`` gives the user)."""
    from django.db.models.functions import TruncDate

    return (
        PreventionVisit.objects.filter(plan__in=appointment_plans(user).values("pk"))
        .annotate(visit_day=TruncDate("visited_at"))
        .annotate(advance=expert_confirmed_in_advance())
        .filter(advance=False)
        .select_related("expert", "enterprise", "plan__policy")
        .order_by("-visited_at", "-id")
    )


def unconfirmed_expert_visit_ids(visit_ids) -> set[int]:
    """Of ``visit_ids`` (expert visits), those not confirmed in advance."""
    from django.db.models.functions import TruncDate

    return set(
        PreventionVisit.objects.filter(pk__in=list(visit_ids))
        .annotate(visit_day=TruncDate("visited_at"))
        .annotate(advance=expert_confirmed_in_advance())
        .filter(advance=False)
        .values_list("pk", flat=True)
    )


def unconfirmed_visit_ids(visit_ids) -> set[int]:
    """Of ``visit_ids``, those not confirmed in advance (for flags beside a list already read)."""
    from django.db.models.functions import TruncDate

    return set(
        ServiceVisit.objects.filter(pk__in=list(visit_ids))
        .annotate(visit_day=TruncDate("visited_at"))
        .annotate(advance=confirmed_in_advance())
        .filter(advance=False)
        .values_list("pk", flat=True)
    )


def appointments_home(user) -> dict:
    """Home cards: the insurer's visits not confirmed in advance; the insured's appointments awaiting
    its confirmation. Each card's url lists exactly its number."""
    from .choices import AppointmentState

    if not user.has_perm("insurance.view_appointment"):
        return {}
    if user.role == Role.INSURER:
        return {
            "cards": [
                {
                    "key": "visits-unconfirmed",
                    "label": _("未提前确认的事故预防服务"),
                    "value": unconfirmed_visits(user).count() + unconfirmed_expert_visits(user).count(),
                    "url": reverse("insurance:appointment_unconfirmed"),
                }
            ]
        }
    if user.role == Role.ENTERPRISE:
        return {
            "cards": [
                {
                    "key": "appointments-awaiting",
                    "label": _("待确认的事故预防服务预约"),
                    "value": appointments(user, state=AppointmentState.PROPOSED).count(),
                    "url": reverse("insurance:appointment_list") + f"?state={AppointmentState.PROPOSED}",
                }
            ]
        }
    return {}


# ---- expert prevention visits (AQ 9010: a plan served by an expert)


def prevention_visits(user, action: str = "view"):
    """The experts' prevention visits the user may see (``PreventionVisit.visible_to``), with what a
    list shows in one query: the insured, the expert, the policy and the number of hazards found."""
    return (
        PreventionVisit.objects.visible_to(user, action)
        .select_related("enterprise", "expert", "plan", "plan__policy", "plan__policy__insurer", "template", "notice")
        .annotate(hazard_count=Count("hazards", distinct=True))
    )


def expert_visits_home(user) -> dict:
    """Home cards: the expert's plans in force and its records the insured has not yet confirmed;
    the insured's expert records awaiting its confirmation."""
    if not user.has_perm("insurance.view_preventionvisit"):
        return {}
    url = reverse("insurance:preventionvisit_list")
    if user.role == Role.EXPERT:
        # Each card links to a list of exactly that many rows (the phone form is on the list page).
        return {
            "cards": [
                {
                    "key": "expert-visits",
                    "label": _("专家服务记录"),
                    "value": PreventionVisit.objects.visible_to(user).count(),
                    "url": url,
                },
                {
                    "key": "expert-visits-unconfirmed",
                    "label": _("企业未确认的专家服务记录"),
                    "value": PreventionVisit.objects.visible_to(user).filter(confirmed_at=None).count(),
                    "url": url + "?confirmed=false",
                },
            ]
        }
    if user.role == Role.ENTERPRISE:
        return {
            "cards": [
                {
                    "key": "expert-visits-to-confirm",
                    "label": _("待确认的专家服务记录"),
                    "value": PreventionVisit.objects.visible_to(user).filter(confirmed_at=None).count(),
                    "url": url + "?confirmed=false",
                }
            ]
        }
    return {}
