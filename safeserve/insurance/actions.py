"""Every write of the insurance app: atomic, validated (``full_clean``), audited.

Policies are written by their insurer only: one at a time (the form), many at once from an .xlsx
(all or nothing) or from the insurer's own system through the API (bulk upsert by policy number,
idempotent). Both bulk doors share ``validate_rows`` and ``upsert_policies``.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import actions as core_actions
from safeserve.core import hooks, uploads
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.core.identity import normalize_code
from safeserve.core.workdays import due_date
from safeserve.core.xlsx_import import RowError, choice_labels
from safeserve.hazards.actions import hazard_issue_found_notice, hazard_report_found
from safeserve.hazards.choices import HazardSource
from safeserve.notifications.actions import notify
from safeserve.notifications.queries import enterprise_users
from safeserve.registry.models import Enterprise, Expert
from safeserve.services.chain import GENESIS
from safeserve.services.choices import ContractStatus, ItemResult, PayerType
from safeserve.services.evidence import store_answers_and_photos
from safeserve.services.models import ContractEnterprise, ContractStaff, ServiceContract

from . import chain, rules
from .choices import ComplaintState, PolicyStatus
from .conf import setting
from .models import (
    Claim,
    Complaint,
    Evaluation,
    Policy,
    PreventionPlan,
    PreventionVisit,
    PreventionVisitPhoto,
    PreventionVisitResult,
    prevention_visit_scope,
)

# (header, key, required): the .xlsx columns; the API rows use the same keys.
COLUMNS = [
    ("保单号", "number", True),
    ("投保企业统一社会信用代码", "credit_code", True),
    ("保险期起", "start_date", True),
    ("保险期止", "end_date", True),
    ("保费（元）", "premium", True),
    ("实收保费（元）", "premium_collected", True),
    ("每人责任限额（元）", "limit_per_person", True),
    ("每次事故责任限额（元）", "limit_per_accident", True),
    ("承保从业人员数", "employees_covered", True),
    ("事故预防费用比例（%）", "prevention_share", False),
    ("状态", "status", False),
    ("备注", "note", False),
]
HEADERS = [c[0] for c in COLUMNS]
KEYS = [c[1] for c in COLUMNS]
MONEY_KEYS = ("premium", "premium_collected", "limit_per_person", "limit_per_accident")
# The policy fields a bulk row writes (the insurer is the writer's own).
ROW_FIELDS = (
    "number",
    "enterprise",
    "start_date",
    "end_date",
    "premium",
    "premium_collected",
    "limit_per_person",
    "limit_per_accident",
    "employees_covered",
    "prevention_share",
    "status",
    "note",
)


def _insurer_of(actor):
    if actor is None or getattr(actor, "role", None) != Role.INSURER or not actor.insurer_id:
        raise PermissionDenied(_("只有保险机构人员可以登记保单"))
    if not actor.has_perm("insurance.add_policy"):
        raise PermissionDenied(_("您没有该操作的权限"))
    return actor.insurer


# ---------------------------------------------------------------- one policy


def _rate(policy):
    """Compute the renewal's floating rate into the policy (renewals only: a first policy has no history)."""
    if policy.renewal_of_id and policy.start_date and policy.enterprise_id:
        total, lines = rules.compute(enterprise=policy.enterprise, on=policy.start_date, honour=policy.safety_honour)
        policy.rate_computed = total
        policy.rate_explanation = [line.as_dict() for line in lines]
    else:
        policy.rate_computed = None
        policy.rate_explanation = []


@transaction.atomic
def policy_create(*, actor, data: dict) -> Policy:
    insurer = _insurer_of(actor)
    data = {**data, "insurer": insurer}
    probe = Policy(**data)
    _rate(probe)
    data.update(rate_computed=probe.rate_computed, rate_explanation=probe.rate_explanation)
    return core_actions.create_record(
        actor=actor, model=Policy, data=data, system_fields=("insurer", "rate_computed", "rate_explanation")
    )


@transaction.atomic
def policy_update(*, actor, policy: Policy, data: dict) -> Policy:
    probe = Policy.objects.get(pk=policy.pk)
    for k, v in data.items():
        setattr(probe, k, v)
    _rate(probe)
    data = {**data, "rate_computed": probe.rate_computed, "rate_explanation": probe.rate_explanation}
    return core_actions.update_record(
        actor=actor, instance=policy, data=data, system_fields=("rate_computed", "rate_explanation")
    )


# ---------------------------------------------------------------- many policies (import and API)


@dataclass
class UpsertResult:
    created: list
    updated: list
    unchanged: list


def _text(value) -> str:
    from safeserve.core.xlsx_import import cell_text

    return cell_text(value)


def _date(text):
    return date.fromisoformat(text.replace("/", "-")[:10])


def validate_rows(actor, raw: list[tuple[int, list]]) -> tuple[list[dict], list[RowError]]:
    """Check every row (row number, [cell per ``COLUMNS``]); return the rows as policy data and the errors.

    The enterprise is found by its credit code in the whole register: an insurer insures whom it
    contracts with, and the platform never chooses for it. A policy number another insurer holds is
    refused without saying whose it is."""
    insurer = _insurer_of(actor)
    statuses = choice_labels(PolicyStatus.choices)
    texts = [(n, [_text(v) for v in values]) for n, values in raw]
    codes = {normalize_code(c[1]) for _n, c in texts if c[1]}
    enterprises = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
    numbers = [c[0] for _n, c in texts if c[0]]
    owners = dict(Policy.objects.filter(number__in=numbers).values_list("number", "insurer_id"))
    seen: dict[str, int] = {}
    rows, errors = [], []
    for number, cells in texts:
        problems: dict[str, str] = {}

        def bad(key, reason, problems=problems):
            problems.setdefault(HEADERS[KEYS.index(key)], reason)

        for raw_value, key in zip(dict(raw)[number], KEYS, strict=True):
            if isinstance(raw_value, str) and raw_value.startswith("="):
                bad(key, _("不接受公式，请填写文字"))
        v = dict(zip(KEYS, cells, strict=True))
        data: dict = {}
        if not v["number"]:
            bad("number", _("必填"))
        elif len(v["number"]) > 50:
            bad("number", _("不能超过 50 个字符"))
        elif owners.get(v["number"], insurer.pk) != insurer.pk:
            bad("number", _("该保单号已由其他保险机构登记"))
        elif v["number"] in seen:
            bad("number", _("与第 %(row)d 行重复") % {"row": seen[v["number"]]})
        seen.setdefault(v["number"], number)
        data["number"] = v["number"]
        code = normalize_code(v["credit_code"]) if v["credit_code"] else ""
        if not code:
            bad("credit_code", _("必填"))
        elif code not in enterprises:
            bad("credit_code", _("主体库中没有该统一社会信用代码的企业"))
        else:
            data["enterprise"] = enterprises[code]
        for key in ("start_date", "end_date"):
            if not v[key]:
                bad(key, _("必填"))
                continue
            try:
                data[key] = _date(v[key])
            except ValueError:
                bad(key, _("日期格式应为 2026-01-31"))
        for key in (*MONEY_KEYS, "prevention_share"):
            if not v[key]:
                if key != "prevention_share":
                    bad(key, _("必填"))
                continue
            try:
                amount = Decimal(v[key].replace(",", "").rstrip("%"))
                if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2 or amount >= Decimal("1e12"):
                    raise InvalidOperation
                data[key] = amount
            except (InvalidOperation, ValueError):
                bad(key, _("应为不小于 0 的数，最多两位小数"))
        if not v["employees_covered"]:
            bad("employees_covered", _("必填"))
        elif not v["employees_covered"].isdigit():
            bad("employees_covered", _("应为非负整数"))
        else:
            data["employees_covered"] = int(v["employees_covered"])
        status = statuses.get(v["status"]) if v["status"] else PolicyStatus.ACTIVE
        if status is None:
            bad("status", _("应为：%(v)s") % {"v": "、".join(statuses)})
        data["status"] = status or PolicyStatus.ACTIVE
        if len(v["note"]) > 300:
            bad("note", _("不能超过 300 个字符"))
        data["note"] = v["note"]
        if not problems:
            try:
                Policy(insurer=insurer, **data).full_clean(validate_unique=False)
            except ValidationError as exc:
                for name, errs in exc.message_dict.items():
                    key = "credit_code" if name == "enterprise" else name
                    col = HEADERS[KEYS.index(key)] if key in KEYS else HEADERS[0]
                    problems.setdefault(col, errs[0])
        if problems:
            errors.extend(RowError(number, col, reason) for col, reason in problems.items())
        else:
            rows.append(data)
    return rows, errors


@transaction.atomic
def upsert_policies(*, actor, rows: list[dict], note: str) -> UpsertResult:
    """Create or update the actor's policies by number, all or none; an identical row changes nothing
    (so sending the same batch twice is harmless). Each created or changed policy is audited."""
    insurer = _insurer_of(actor)
    if not actor.has_perm("insurance.change_policy"):
        raise PermissionDenied(_("您没有该操作的权限"))
    existing = {p.number: p for p in Policy.objects.select_for_update().filter(number__in=[r["number"] for r in rows])}
    result = UpsertResult([], [], [])
    for data in rows:
        policy = existing.get(data["number"])
        if policy is not None and policy.insurer_id != insurer.pk:
            raise PermissionDenied(_("该保单号已由其他保险机构登记"))
        if policy is None:
            policy = Policy(insurer=insurer, **data)
            policy.full_clean()
            policy.save()
            record(
                actor=actor, action=AuditAction.IMPORT, instance=policy, changes=diff({}, snapshot(policy)), note=note
            )
            result.created.append(policy)
            continue
        # Compared as values (12000 == 12000.00): a batch sent again changes nothing.
        different = {k: v for k, v in data.items() if getattr(policy, k) != v}
        if not different:
            result.unchanged.append(policy)
            continue
        before = snapshot(policy)
        for key, value in different.items():
            setattr(policy, key, value)
        changes = diff(before, snapshot(policy))
        policy.full_clean()
        policy.save()
        record(actor=actor, action=AuditAction.IMPORT, instance=policy, changes=changes, note=note)
        result.updated.append(policy)
    mine = Policy.objects.visible_to(actor, "change")
    touched = [p.pk for p in result.created + result.updated]
    if touched and mine.filter(pk__in=touched).count() != len(touched):
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    return result


# ---------------------------------------------------------------- the prevention plan


@transaction.atomic
def plan_save(*, actor, plan: PreventionPlan | None, data: dict, m2m: dict) -> PreventionPlan:
    """Create or change a policy's service plan; with an agency, keep its commission contract (payer:
    the insurer) in step, so that the agency records the prevention visits under it."""
    if plan is None:
        plan = core_actions.create_record(actor=actor, model=PreventionPlan, data=data, m2m=m2m)
    else:
        plan = core_actions.update_record(actor=actor, instance=plan, data=data, m2m=m2m)
    _sync_contract(actor, plan)
    return plan


def _sync_contract(actor, plan):
    policy = plan.policy
    contract = plan.contract
    if plan.agency_id is None:
        return
    values = {
        "agency_id": plan.agency_id,
        "payer_type": PayerType.INSURER,
        "payer_insurer_id": policy.insurer_id,
        "items": list(plan.items),
        "start_date": policy.start_date,
        "end_date": policy.end_date,
        "fee": policy.prevention_planned,
        "visits_per_year": plan.visits_per_year,
        "status": ContractStatus.ACTIVE if policy.status == PolicyStatus.ACTIVE else ContractStatus.TERMINATED,
        "note": _("安责险保单 %(n)s 事故预防服务委托") % {"n": policy.number},
    }
    if contract is not None and contract.agency_id != plan.agency_id:
        # Another agency takes over: the old commission ends, visits stay under it; a new one begins.
        before = snapshot(contract)
        contract.status = ContractStatus.TERMINATED
        contract.terminated_on = timezone.localdate()
        contract.save()
        record(actor=actor, action=AuditAction.UPDATE, instance=contract, changes=diff(before, snapshot(contract)))
        contract = None
    if contract is None:
        contract = ServiceContract(number=f"AZX-{policy.pk}-{plan.agency_id}", **values)
        contract.full_clean()
        contract.save()
        ContractEnterprise.objects.create(contract=contract, enterprise_id=policy.enterprise_id)
        record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=contract,
            changes=diff({}, snapshot(contract)),
            note=_("由安责险事故预防服务计划建立"),
        )
        PreventionPlan.objects.filter(pk=plan.pk).update(contract=contract)
        plan.contract = contract
    else:
        before = snapshot(contract)
        for k, v in values.items():
            setattr(contract, k, v)
        contract.full_clean()
        contract.save()
        changes = diff(before, snapshot(contract))
        if changes:
            record(actor=actor, action=AuditAction.UPDATE, instance=contract, changes=changes)
    wanted = set(plan.staff.values_list("pk", flat=True))
    ContractStaff.objects.filter(servicecontract=contract).exclude(agencystaff_id__in=wanted).delete()
    have = set(ContractStaff.objects.filter(servicecontract=contract).values_list("agencystaff_id", flat=True))
    ContractStaff.objects.bulk_create(
        [ContractStaff(servicecontract=contract, agencystaff_id=s) for s in sorted(wanted - have)]
    )


# ---------------------------------------------------------------- complaints


def complaint_due(received_on: date, needs_checking: bool) -> date:
    days = setting("COMPLAINT_CHECK_DAYS") if needs_checking else setting("COMPLAINT_DAYS")
    return due_date(received_on, int(days), "working")


@transaction.atomic
def complaint_file(*, actor, data: dict) -> Complaint:
    data = {**data, "due_on": complaint_due(data["received_on"], data.get("needs_checking", False))}
    return core_actions.create_record(actor=actor, model=Complaint, data=data, system_fields=("due_on",))


def _lock_for_answer(actor, complaint) -> Complaint:
    if not actor.has_perm("insurance.answer_complaint"):
        raise PermissionDenied(_("您没有该操作的权限"))
    fresh = Complaint.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=complaint.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.state != ComplaintState.OPEN:
        raise ValidationError(_("该投诉已答复"))
    return fresh


@transaction.atomic
def complaint_extend(*, actor, complaint: Complaint, days: int, reason: str) -> Complaint:
    """One extension of at most 30 days, with its reason, before the deadline has passed."""
    fresh = _lock_for_answer(actor, complaint)
    limit = int(setting("COMPLAINT_EXTENSION_MAX_DAYS"))
    errors = {}
    if fresh.extended_to is not None:
        errors["days"] = _("投诉答复期限只能延长一次")
    elif not 1 <= days <= limit:
        errors["days"] = _("延长天数须在 1 至 %(n)d 天之间") % {"n": limit}
    if not (reason or "").strip():
        errors["reason"] = _("延期须说明理由")
    if errors:
        raise ValidationError(errors)
    before = snapshot(fresh)
    fresh.extended_to = fresh.due_on + timedelta(days=days)
    fresh.extension_reason = reason.strip()[:300]
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor, action=AuditAction.UPDATE, instance=fresh, changes=diff(before, snapshot(fresh)), note=_("延期")
    )
    return fresh


@transaction.atomic
def complaint_answer(*, actor, complaint: Complaint, answer: str, on: date | None = None) -> Complaint:
    fresh = _lock_for_answer(actor, complaint)
    if not (answer or "").strip():
        raise ValidationError({"answer": _("请填写答复内容")})
    before = snapshot(fresh)
    fresh.answer = answer.strip()
    fresh.answered_on = on or timezone.localdate()
    fresh.state = ComplaintState.ANSWERED
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor, action=AuditAction.UPDATE, instance=fresh, changes=diff(before, snapshot(fresh)), note=_("答复")
    )
    return fresh


# ---------------------------------------------------------------- claims


def check_accident(actor, policy: Policy | None, accident_id) -> None:
    """A claim's accident on record must be one the actor sees (``hooks.accident``: the credit app
    decides) and an accident of the policy's insured."""
    if not accident_id:
        return
    ref = hooks.accident(actor, accident_id)
    if ref is None:
        raise ValidationError({"accident_id": _("事故库中没有该事故记录，或不在您的数据权限范围内")})
    if policy is None or ref.enterprise_id != policy.enterprise_id:
        raise ValidationError({"accident_id": _("关联的事故须为该保单投保企业的事故")})


@transaction.atomic
def claim_save(*, actor, claim: Claim | None, data: dict) -> Claim:
    """Record or change a claim; a linked accident is checked against the policy's insured."""
    policy = data.get("policy") or (claim.policy if claim is not None else None)
    accident_id = data.get("accident_id", claim.accident_id if claim else None)
    check_accident(actor, policy, accident_id)
    if claim is None:
        return core_actions.create_record(actor=actor, model=Claim, data=data)
    return core_actions.update_record(actor=actor, instance=claim, data=data)


# ---------------------------------------------------------------- yearly evaluation (AQ 9010)

EVALUATION_FIGURES = ("written_by", "visits_planned", "visits_done", "hazards_found", "hazards_closed")


def evaluation_figures(policy: Policy, year: int) -> dict:
    """The year's figures of a policy's prevention service: the plan's yearly visits, the visits done
    in the calendar year (within the policy period), and the hazards those visits found / closed then."""
    from safeserve.hazards.models import Hazard

    from .queries import policy_visits

    plan = PreventionPlan.objects.filter(policy=policy).first()
    in_year = {
        "visited_at__date__year": year,
        "visited_at__date__gte": policy.start_date,
        "visited_at__date__lte": policy.end_date,
    }
    visits = policy_visits(policy).filter(**in_year)
    # The experts' visits count alike, and so do the hazards they found (linked from this side).
    expert = PreventionVisit.objects.filter(plan__policy=policy)
    found_by_experts = PreventionVisit.hazards.through.objects.filter(preventionvisit__plan__policy=policy)
    of_visits = Hazard.objects.filter(
        Q(visit__in=policy_visits(policy).values("pk")) | Q(pk__in=found_by_experts.values("hazard_id"))
    )
    return {
        "visits_planned": plan.visits_per_year if plan is not None else 0,
        "visits_done": visits.count() + expert.filter(**in_year).count(),
        "hazards_found": of_visits.filter(reported_at__year=year).count(),
        "hazards_closed": of_visits.filter(closed_at__year=year).count(),
    }


@transaction.atomic
def evaluation_save(*, actor, evaluation: Evaluation | None, data: dict) -> Evaluation:
    """Record or change a policy's yearly evaluation (the policy's insurer only: ``policy_scope``);
    the figures are recomputed and frozen into the record on every save."""
    policy = data.get("policy") or (evaluation.policy if evaluation is not None else None)
    year = data.get("year") or (evaluation.year if evaluation is not None else None)
    if policy is None or not Policy.objects.visible_to(actor, "change").filter(pk=policy.pk).exists():
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    data = {**data, **evaluation_figures(policy, year or timezone.localdate().year), "written_by": actor}
    if evaluation is None:
        return core_actions.create_record(actor=actor, model=Evaluation, data=data, system_fields=EVALUATION_FIGURES)
    return core_actions.update_record(actor=actor, instance=evaluation, data=data, system_fields=EVALUATION_FIGURES)


# ---- appointments (AQ 9010 advance confirmation)


def _appointment_recipients(appointment, action: str) -> list:
    """The other side: the insured hears of a proposal, a reschedule or a cancellation; the proposer
    (and, for an agency's proposal, its colleagues) hears of a confirmation or a decline."""
    from safeserve.notifications.queries import agency_users, enterprise_users

    plan = appointment.plan
    if action in ("propose", "reschedule", "cancel"):
        return list(enterprise_users(plan.policy.enterprise_id))
    people = [appointment.proposed_by]
    if appointment.proposed_by.role == Role.AGENCY and plan.agency_id:
        people += list(agency_users(plan.agency_id))
    return people


def _notify_appointment(actor, appointment, action: str, body: str = "") -> None:
    from safeserve.notifications.actions import notify

    titles = {
        "propose": _("事故预防服务预约待确认：%(a)s"),
        "reschedule": _("事故预防服务预约已改期，待确认：%(a)s"),
        "cancel": _("事故预防服务预约已取消：%(a)s"),
        "confirm": _("企业已确认事故预防服务预约：%(a)s"),
        "decline": _("企业拒绝了事故预防服务预约：%(a)s"),
    }
    title = titles[action] % {"a": appointment}
    recipients = _appointment_recipients(appointment, action)
    link = appointment.get_absolute_url()
    key = f"insurance.appointment:{appointment.pk}:{action}"
    transaction.on_commit(
        lambda: notify(
            actor=actor,
            recipients=recipients,
            kind="insurance.appointment",
            title=title,
            body=body,
            link=link,
            dedup_key=key,
        )
    )


def _new_appointment(*, actor, plan, data: dict, staff, replaces=None):
    from .models import Appointment

    if data.get("day") is not None and data["day"] < timezone.localdate():
        raise ValidationError({"day": _("预约日期不能早于今天")})
    allowed_staff = set(plan.staff.values_list("pk", flat=True))
    chosen = [s.pk if hasattr(s, "pk") else int(s) for s in staff or []]
    if not set(chosen) <= allowed_staff:
        raise ValidationError({"staff": _("服务人员须从服务计划的服务人员中选择")})
    fields = ("day", "half_day", "place", "items", "note")
    appointment = Appointment(
        plan=plan, proposed_by=actor, replaces=replaces, **{k: data[k] for k in fields if k in data}
    )
    appointment.full_clean()
    appointment.save()
    appointment.staff.set(chosen)
    changes = diff({}, snapshot(appointment))
    changes["staff"] = [[], sorted(chosen)]
    record(actor=actor, action=AuditAction.CREATE, instance=appointment, changes=changes)
    return appointment


@transaction.atomic
def appointment_propose(*, actor, plan: PreventionPlan, data: dict, staff=()):
    """The plan's agency staff (or the insurer's) propose a visit's day, place, staff and items; the
    insured is told and confirms or declines (``appointment_act``)."""
    from . import transitions

    fresh = PreventionPlan.objects.select_related("policy").filter(pk=plan.pk).first()
    if fresh is None or not transitions.may_propose(actor, fresh):
        raise PermissionDenied(_("只有服务计划的服务机构或保险机构可以提出预约"))
    appointment = _new_appointment(actor=actor, plan=fresh, data=data, staff=staff)
    _notify_appointment(actor, appointment, "propose", appointment.note)
    return appointment


@transaction.atomic
def appointment_act(
    *,
    actor,
    appointment,
    action: str,
    reason: str = "",
    suggested_day: date | None = None,
    data: dict | None = None,
    staff=(),
):
    """One step of the table in ``transitions.py``: confirm or decline (the insured, a decline with a
    reason and maybe another day), reschedule (the proposer: a new appointment replaces this one,
    ``data`` and ``staff`` as for a proposal) or cancel (the proposer, with a reason).

    Returns the appointment the step leaves current (the new one after a reschedule)."""
    from . import transitions
    from .models import Appointment

    fresh = (
        Appointment.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("plan", "plan__policy", "proposed_by")
        .filter(pk=appointment.pk)
        .first()
    )
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    step = transitions.lookup(fresh.state, action)
    if step is None:
        raise ValidationError(_("当前状态下不能执行该操作"))
    if not transitions.allowed(actor, fresh, action):
        raise PermissionDenied(_("您没有该操作的权限"))
    reason = (reason or "").strip()
    if action in transitions.NEEDS_REASON and not reason:
        raise ValidationError({"reason": _("请填写理由")})
    today = timezone.localdate()
    if action == "confirm" and fresh.day < today:
        raise ValidationError(_("预约日期已过，不能再确认，请服务方改期"))
    if action == "decline" and suggested_day is not None and suggested_day < today:
        raise ValidationError({"suggested_day": _("建议日期不能早于今天")})
    before = snapshot(fresh)
    fresh.state = step.target
    if action in ("confirm", "decline"):
        fresh.answered_by = actor
        fresh.answered_at = timezone.now()
        fresh.reason = reason[:300] if action == "decline" else ""
        fresh.suggested_day = suggested_day if action == "decline" else None
    elif action == "cancel":
        fresh.reason = reason[:300]
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes=diff(before, snapshot(fresh)),
        note=str(transitions.ACTIONS[action]),
    )
    if action == "reschedule":
        new = _new_appointment(actor=actor, plan=fresh.plan, data=data or {}, staff=staff, replaces=fresh)
        _notify_appointment(actor, new, "reschedule", new.note)
        return new
    _notify_appointment(actor, fresh, action, reason)
    return fresh


# ---- expert prevention visits (AQ 9010: a plan served by an expert, with no agency contract)


def recordable_plans(actor):
    """The plans ``actor`` may record an expert's prevention visit for: the plans naming the actor's
    expert, or (insurer staff, on the expert's behalf) the plans of the insurer's own policies that
    name an expert."""
    q = prevention_visit_scope(actor, "add") if actor is not None and actor.is_authenticated else None
    if q is None or not actor.has_perm("insurance.add_preventionvisit"):
        return PreventionPlan.objects.none()
    # The scope's lookups are written from the visit (``plan__...``); here they start at the plan.
    role_q = Q(expert_id=actor.expert_id) if actor.role == Role.EXPERT else Q(policy__insurer_id=actor.insurer_id)
    return PreventionPlan.objects.filter(role_q, expert__isnull=False)


def _unanswered(items, missing) -> str:
    names = "、".join(f"{items.index(i) + 1}" for i in missing[:10])
    return _("以下检查项未作答：第 %(n)s 项") % {"n": names}


@uploads.discard_files_on_error
@transaction.atomic
def prevention_visit_record(
    *,
    actor,
    plan: PreventionPlan,
    visited_at,
    template,
    results: dict,
    findings: str = "",
    photos=(),
    latitude=None,
    longitude=None,
) -> PreventionVisit:
    """The plan's expert (or the insurer's staff on the expert's behalf) records a prevention visit
    at the insured on a checklist: every item answered, a "存在问题" item with its note, which
    becomes a hazard of the insured (hazards.actions, source 专家检查/保险机构) linked from the visit;
    photos through core.uploads. The record is hashed and chained to the expert's previous one; the
    insured is told and confirms (``prevention_visit_confirm``)."""
    fresh = recordable_plans(actor).select_related("policy", "policy__enterprise", "expert").filter(pk=plan.pk).first()
    if fresh is None:
        raise PermissionDenied(_("只有服务计划的服务专家或该保单的保险机构可以录入专家服务记录"))
    policy = fresh.policy
    if visited_at is None:
        raise ValidationError({"visited_at": _("请填写服务时间")})
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    if visited_at > timezone.now() + timedelta(minutes=10):
        raise ValidationError({"visited_at": _("服务时间不能晚于当前时间")})
    day = timezone.localtime(visited_at).date()
    if not policy.start_date <= day <= policy.end_date:
        raise ValidationError(
            {"visited_at": _("服务时间须在保险期内（%(s)s 至 %(e)s）") % {"s": policy.start_date, "e": policy.end_date}}
        )
    if template is None:
        raise ValidationError({"template": _("请选择检查表")})
    items = list(template.items.all())
    item_ids = {i.pk for i in items}
    if set(results) - item_ids:
        raise ValidationError({"results": _("检查结果含有不属于该检查表的项目")})
    missing = [i for i in items if i.pk not in results or not results[i.pk][0]]
    if missing:
        raise ValidationError({"results": _unanswered(items, missing)})
    for res, note in results.values():
        if res not in ItemResult.values:
            raise ValidationError({"results": _("检查结果无效")})
        if res == ItemResult.PROBLEM and not (note or "").strip():
            raise ValidationError({"results": _("“存在问题”的检查项须填写说明（将作为隐患描述）")})
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": _("定位须同时有纬度和经度")})
    images = uploads.verify_images(photos, field="photos")

    Expert.objects.select_for_update().filter(pk=fresh.expert_id).first()  # serialise the expert's chain
    last = PreventionVisit.objects.filter(expert_id=fresh.expert_id).order_by("-seq").values("seq", "content_hash")
    last = last.first()
    visit = PreventionVisit(
        plan=fresh,
        enterprise_id=policy.enterprise_id,
        expert_id=fresh.expert_id,
        visited_at=visited_at,
        template=template,
        findings=(findings or "").strip(),
        latitude=latitude,
        longitude=longitude,
        recorded_by=actor,
        recorded_at=timezone.now(),
        seq=(last["seq"] + 1) if last else 1,
        prev_hash=last["content_hash"] if last else GENESIS,
        content_hash="0" * 64,
    )
    visit.full_clean()
    visit.save()
    store_answers_and_photos(
        visit,
        link="visit",
        results=results,
        images=images,
        answer_model=PreventionVisitResult,
        photo_model=PreventionVisitPhoto,
    )
    enterprise = policy.enterprise
    responsible = enterprise.safety_manager or enterprise.legal_representative or "—"
    source = HazardSource.EXPERT if actor.role == Role.EXPERT else HazardSource.INSURER
    found = []
    for item in items:
        res, note = results[item.pk]
        if res != ItemResult.PROBLEM:
            continue
        found.append(
            hazard_report_found(
                actor=actor,
                enterprise=enterprise,
                source=source,
                location=(item.category or str(template))[:200],
                description=f"{item.text}：{note.strip()}",
                responsible_person=responsible,
                photos=images,
                note=_("专家%(e)s事故预防服务发现（保单 %(n)s）") % {"e": fresh.expert.name, "n": policy.number},
            )
        )
    visit.hazards.set(found)
    if found:  # AQ 9010: the hazards found reach the insured as a written notice, issued with the record
        visit.notice = hazard_issue_found_notice(actor=actor, hazards=found)
        PreventionVisit.objects.filter(pk=visit.pk).update(notice=visit.notice)
    visit.refresh_from_db(fields=["visited_at", "recorded_at"])
    visit.content_hash = chain.stored_digest(visit)
    PreventionVisit.objects.filter(pk=visit.pk).update(content_hash=visit.content_hash)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=visit,
        changes={
            "content_hash": [None, visit.content_hash],
            "seq": [None, visit.seq],
            "hazards": [None, [h.pk for h in found]],
        },
        note=_("专家本人录入") if actor.role == Role.EXPERT else _("保险机构代专家录入"),
    )
    recipients = list(enterprise_users(enterprise.pk))
    title = _("专家事故预防服务记录待确认：%(e)s") % {"e": fresh.expert.name}
    body = _("保单 %(n)s 的服务专家于 %(d)s 上门服务，请核对并确认。") % {"n": policy.number, "d": day.isoformat()}
    link = visit.get_absolute_url()
    key = f"insurance.prevention_visit:{visit.pk}:recorded"
    transaction.on_commit(
        lambda: notify(
            actor=actor,
            recipients=recipients,
            kind="insurance.prevention_visit",
            title=title,
            body=body,
            link=link,
            dedup_key=key,
        )
    )
    return visit


def may_confirm_visit(actor, visit) -> bool:
    return (
        actor is not None
        and getattr(actor, "role", None) == Role.ENTERPRISE
        and actor.enterprise_id == visit.enterprise_id
        and actor.has_perm("insurance.view_preventionvisit")
        and visit.confirmed_at is None
    )


@transaction.atomic
def prevention_visit_confirm(*, actor, visit: PreventionVisit) -> PreventionVisit:
    """The insured confirms the expert's record on its own login (the confirmation is not hashed:
    the record's content stays as recorded, as a mutual inspection's)."""
    if actor is None or getattr(actor, "role", None) != Role.ENTERPRISE or actor.enterprise_id != visit.enterprise_id:
        raise PermissionDenied(_("只有投保企业可以确认专家服务记录"))
    fresh = PreventionVisit.objects.visible_to(actor).select_for_update().filter(pk=visit.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.confirmed_at is not None:
        raise ValidationError(_("该服务记录已确认"))
    fresh.confirmed_at = timezone.now()
    fresh.confirmed_by = actor
    fresh.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=fresh,
        changes={"confirmed_at": [None, fresh.confirmed_at.isoformat()]},
        note=_("投保企业确认"),
    )
    return fresh
