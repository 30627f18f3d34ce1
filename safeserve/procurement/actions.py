"""Every write of the procurement app: projects and their steps, bids, the award (which creates the
government-paid service contract through the services layer), the evaluation and payments.

Atomic, validated (``full_clean``), audited, the project row locked for every step; each step asks
the transition table (transitions.py) whether the actor's relation to the project allows it."""

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import actions as core_actions
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.registry.models import Agency, Enterprise
from safeserve.services import actions as service_actions
from safeserve.services.choices import PayerType
from safeserve.services.models import ServiceContract

from . import conf, eligibility, performance, transitions
from .choices import (
    SELF_PAID_SERVICE_TYPES,
    SELF_PAID_SUBJECTS,
    SERVICE_TYPE_ITEMS,
    BuyerKind,
    Grade,
    PaymentKind,
    ProjectStatus,
    TargetMode,
)
from .models import Bid, Evaluation, Payment, Project, ProjectTarget, Scheme

S = ProjectStatus
CODE_SPLIT = re.compile(r"[\s,，;；、]+")


def _perm(actor, perm):
    if actor is not None and not actor.has_perm(f"procurement.{perm}"):
        raise PermissionDenied(_("您没有该操作的权限"))


def _locked(actor, project, action="view") -> Project:
    """The project row, locked, if the actor still reaches it (else the same refusal as a stranger's)."""
    rows = Project.objects.all() if actor is None else Project.objects.visible_to(actor, action)
    try:
        return rows.select_for_update(of=("self",)).get(pk=project.pk)
    except Project.DoesNotExist:
        raise PermissionDenied(_("该记录超出您的数据权限范围")) from None


def _refuse_step(project, action):
    raise ValidationError(
        _("项目当前状态为“%(s)s”，不能执行“%(a)s”")
        % {"s": project.get_status_display(), "a": transitions.ACTIONS.get(action) or transitions_label(action)}
    )


def transitions_label(action):
    return {"bid": _("录入投标（报价）"), "pay": _("登记支付"), "edit": _("修改")}.get(action, action)


def _require(actor, project, action):
    if actor is None:
        return
    rel = transitions.relations(actor, project)
    if action in transitions.SIDE_ACTIONS:
        states, parties = transitions.SIDE_ACTIONS[action]
        if not rel & parties:
            raise PermissionDenied(_("只有购买主体可以执行该操作"))
        if project.status not in states:
            _refuse_step(project, action)
        return
    t = transitions.lookup(project.status, action)
    if t is None:
        if not rel & transitions.parties_for(action):
            raise PermissionDenied(_("只有购买主体可以执行该操作"))
        _refuse_step(project, action)
    if not rel & t.parties:
        raise PermissionDenied(_("只有购买主体可以执行该操作"))


# ---------------------------------------------------------------- the rules on target enterprises


def self_paid_refusal(project, enterprises) -> str | None:
    """危化/重大危险源 units buy 评价, 检测检验 and 培训 themselves: a project paying for them is refused."""
    if project.service_type not in SELF_PAID_SERVICE_TYPES and project.subject not in SELF_PAID_SUBJECTS:
        return None
    names = list(
        enterprises.filter(Q(is_hazchem=True) | Q(has_major_hazard_source=True))
        .order_by("name")
        .values_list("name", flat=True)[:10]
    )
    if not names:
        return None
    return _(
        "危险化学品生产、经营、储存单位和存在重大危险源的单位应自行承担安全评价、检测检验、培训等服务费用，"
        "政府不得购买：%(names)s"
    ) % {"names": "、".join(names)}


def parse_codes(text: str) -> list[str]:
    return [c.upper() for c in CODE_SPLIT.split(text or "") if c]


def _listed_enterprises(actor, project) -> list[int]:
    """The list mode's enterprises by credit code: only those the actor sees and the buyer may serve."""
    codes = parse_codes(project.target_codes)
    if not codes:
        raise ValidationError({"target_codes": _("请填写至少一家企业的统一社会信用代码")})
    rows = Enterprise.objects.visible_to(actor) if actor is not None else Enterprise.objects.all()
    if project.buyer_kind == BuyerKind.TOWN:
        rows = rows.filter(town_id=project.buyer_town_id)
    found = dict(rows.filter(credit_code__in=codes).values_list("credit_code", "pk"))
    unknown = [c for c in codes if c not in found]
    if unknown:
        raise ValidationError(
            {"target_codes": _("以下代码不是您可选择的本辖区企业：%(c)s") % {"c": "、".join(unknown[:10])}}
        )
    return sorted(set(found.values()))


def filtered_enterprises(project):
    rows = Enterprise.objects.filter(status="active")
    town_id = project.buyer_town_id if project.buyer_kind == BuyerKind.TOWN else project.target_town_id
    if town_id:
        rows = rows.filter(town_id=town_id)
    if project.target_industry_id:
        rows = rows.filter(industry_id=project.target_industry_id)
    if project.target_sizes:
        rows = rows.filter(size_class__in=project.target_sizes)
    return rows


def _set_targets(project, ids):
    ProjectTarget.objects.filter(project=project).exclude(enterprise_id__in=ids).delete()
    have = set(ProjectTarget.objects.filter(project=project).values_list("enterprise_id", flat=True))
    ProjectTarget.objects.bulk_create([ProjectTarget(project=project, enterprise_id=i) for i in ids if i not in have])


# ---------------------------------------------------------------- projects


def _next_number(year: int) -> str:
    prefix = f"ZFGM-{year}-"
    last = Project.objects.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


@transaction.atomic
def project_save(*, actor, data: dict, project: Project | None = None) -> Project:
    """Create a draft project or change a draft. A town officer buys for its own town only."""
    creating = project is None
    _perm(actor, "add_project" if creating else "change_project")
    if creating:
        fresh = Project(created_by=actor if actor is not None and actor.is_authenticated else None)
        before = {}
    else:
        fresh = _locked(actor, project, "change")
        _require(actor, fresh, "edit")
        before = snapshot(fresh)
    for key, value in data.items():
        setattr(fresh, key, value)
    if actor is not None and actor.role == "town":
        fresh.buyer_kind, fresh.buyer_town_id = BuyerKind.TOWN, actor.town_id
    if fresh.target_mode != TargetMode.FILTER:
        fresh.target_town, fresh.target_industry, fresh.target_sizes = None, None, []
    if fresh.target_mode != TargetMode.LIST:
        fresh.target_codes = ""
    if creating:
        fresh.number = _next_number(fresh.year or timezone.localdate().year)
    fresh.full_clean()
    ids = _listed_enterprises(actor, fresh) if fresh.target_mode == TargetMode.LIST else []
    if ids:
        reason = self_paid_refusal(fresh, Enterprise.objects.filter(pk__in=ids))
        if reason:
            raise ValidationError({"target_codes": reason})
    fresh.save()
    _set_targets(fresh, ids)
    if actor is not None and not Project.objects.visible_to(actor, "change").filter(pk=fresh.pk).exists():
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=fresh,
        changes=diff(before, snapshot(fresh)),
    )
    return fresh


@transaction.atomic
def project_transition(*, actor, project, action: str, note: str = "") -> Project:
    """approve (freezes the target enterprises), open, close, cancel. award and evaluate have their own."""
    if action not in transitions.ACTIONS or action in transitions.FORM_ACTIONS:
        raise ValidationError(_("未知操作"))
    _perm(actor, "change_project")
    fresh = _locked(actor, project, "change")
    _require(actor, fresh, action)
    before = fresh.status
    changes = {}
    if action == "approve":
        fresh.full_clean()
        if fresh.target_mode == TargetMode.FILTER:
            ids = list(filtered_enterprises(fresh).values_list("pk", flat=True))
        else:
            ids = list(ProjectTarget.objects.filter(project=fresh).values_list("enterprise_id", flat=True))
        if fresh.target_mode != TargetMode.NONE and not ids:
            raise ValidationError(_("服务对象为空：请调整企业名单或筛选条件"))
        reason = self_paid_refusal(fresh, Enterprise.objects.filter(pk__in=ids))
        if reason:
            raise ValidationError(reason)
        _set_targets(fresh, ids)
        fresh.targets_frozen_at = timezone.now()
        changes["targets"] = [None, len(ids)]
    fresh.status = transitions.lookup(before, action).target
    fresh.full_clean()
    fresh.save()
    changes["status"] = [before, fresh.status]
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes=changes,
        note=note or str(transitions.ACTIONS[action]),
    )
    return fresh


# ---------------------------------------------------------------- bids and the award


@transaction.atomic
def bid_record(
    *, actor, project, agency: Agency, amount: Decimal, submitted_on: date, score=None, note: str = ""
) -> Bid:
    _perm(actor, "add_bid")
    fresh = _locked(actor, project, "change")
    _require(actor, fresh, "bid")
    checks = eligibility.check_suppliers([agency.pk], fresh.service_type, submitted_on)[agency.pk]
    if Bid.objects.filter(project=fresh, agency=agency).exists():
        raise ValidationError({"agency": _("该供应商已有投标（报价）记录")})
    bid = Bid(
        project=fresh,
        agency=agency,
        amount=amount,
        score=score,
        submitted_on=submitted_on,
        note=note,
        checks=eligibility.as_data(checks),
        eligible=all(c.ok for c in checks),
        recorded_by=actor,
    )
    bid.full_clean()
    bid.save()
    record(actor=actor, action=AuditAction.CREATE, instance=bid, changes=diff({}, snapshot(bid)))
    return bid


@transaction.atomic
def award(*, actor, project, bid: Bid, reason: str, on: date | None = None) -> Project:
    """The award, checked on its date: an ineligible supplier is refused with the reasons; then the
    government-paid service contract for the frozen target enterprises (services' own writes)."""
    _perm(actor, "change_project")
    fresh = _locked(actor, project, "change")
    _require(actor, fresh, "award")
    on = on or timezone.localdate()
    if bid.project_id != fresh.pk:
        raise ValidationError({"bid": _("该报价不属于本项目")})
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写确定中标（成交）的理由")})
    checks = eligibility.check_suppliers([bid.agency_id], fresh.service_type, on)[bid.agency_id]
    failed = eligibility.failures(eligibility.as_data(checks))
    if failed:
        raise ValidationError(
            {
                "bid": _("%(a)s 不符合供应商资格，不能确定为中标（成交）供应商：%(r)s")
                % {"a": bid.agency, "r": "；".join(failed)}
            }
        )
    if bid.amount > fresh.budget:
        raise ValidationError({"bid": _("报价 %(a)s 元超过项目预算 %(b)s 元") % {"a": bid.amount, "b": fresh.budget}})
    target_ids = list(ProjectTarget.objects.filter(project=fresh).values_list("enterprise_id", flat=True))
    town = fresh.buyer_kind == BuyerKind.TOWN
    contract = core_actions.create_record(
        actor=actor,
        model=ServiceContract,
        data={
            "number": f"{fresh.number}-HT",
            "agency": bid.agency,
            "payer_type": PayerType.TOWN if town else PayerType.COUNTY,
            "payer_town": fresh.buyer_town if town else None,
            "items": SERVICE_TYPE_ITEMS.get(fresh.service_type, ["hazard"]),
            "start_date": fresh.start_date,
            "end_date": fresh.end_date,
            "fee": bid.amount,
            "visits_per_year": fresh.visits_per_year,
            "note": _("政府购买服务项目 %(n)s") % {"n": fresh.number},
        },
        m2m={"enterprises": target_ids},
        note=_("政府购买服务项目中标（成交）生成"),
    )
    if target_ids:
        contract = service_actions.contract_transition(actor=actor, contract=contract, action="activate")
    before = snapshot(fresh)
    fresh.awarded_bid, fresh.award_reason, fresh.awarded_on, fresh.contract = bid, reason.strip(), on, contract
    fresh.status = S.PERFORMING
    fresh.full_clean()
    fresh.save()
    record(actor=actor, action=AuditAction.TRANSITION, instance=fresh, changes=diff(before, snapshot(fresh)))
    return fresh


# ---------------------------------------------------------------- evaluation


def grade_for(total: Decimal) -> str:
    for threshold, grade in conf.setting("GRADE_THRESHOLDS"):
        if total >= Decimal(threshold):
            return grade
    return Grade.POOR


def active_scheme() -> Scheme | None:
    return Scheme.objects.filter(is_active=True).order_by("-version").first()


def suggested_points(indicator, figs: dict) -> Decimal | None:
    """An indicator with a figure: its points times the figure's share (None when nothing to measure)."""
    value = figs.get(indicator.figure) if indicator.figure else None
    if value is None:
        return None
    return (indicator.max_points * Decimal(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def evaluate(
    *, actor, project, scores: dict, accepted: bool = True, note: str = "", on: date | None = None
) -> Evaluation:
    _perm(actor, "add_evaluation")
    fresh = _locked(actor, project, "change")
    _require(actor, fresh, "evaluate")
    scheme = active_scheme()
    if scheme is None:
        raise ValidationError(_("没有启用的绩效评价指标体系"))
    indicators = list(scheme.indicators.all())
    if sum(i.max_points for i in indicators) != Decimal(100):
        raise ValidationError(_("指标体系“%(s)s”的分值合计不是100分") % {"s": scheme})
    on = on or timezone.localdate()
    clean = {}
    errors = []
    for ind in indicators:
        try:
            value = Decimal(str(scores.get(ind.key, "")))
        except Exception:
            value = None
        if value is None or not value.is_finite() or value < 0 or value > ind.max_points:
            errors.append(_("%(l)s：得分须在 0 到 %(m)s 之间") % {"l": ind.label, "m": ind.max_points})
            continue
        clean[ind.key] = str(value.quantize(Decimal("0.01")))
    if errors:
        raise ValidationError(errors)
    total = sum((Decimal(v) for v in clean.values()), Decimal(0))
    figs = performance.figures(fresh, on)
    sat = figs.get("satisfaction_share")
    ev = Evaluation(
        project=fresh,
        scheme=scheme,
        scores=clean,
        figures=figs,
        total=total,
        grade=grade_for(total),
        satisfaction=(Decimal(sat) * 100).quantize(Decimal("0.1")) if sat is not None else None,
        accepted=accepted,
        note=note,
        evaluated_on=on,
        evaluated_by=actor,
    )
    ev.full_clean()
    ev.save()
    before = fresh.status
    fresh.status = S.EVALUATED
    fresh.save(update_fields=["status", "updated_at"])
    record(actor=actor, action=AuditAction.CREATE, instance=ev, changes=diff({}, snapshot(ev)))
    record(actor=actor, action=AuditAction.TRANSITION, instance=fresh, changes={"status": [before, fresh.status]})
    return ev


# ---------------------------------------------------------------- payments


def contract_amount(project) -> Decimal:
    if project.contract_id:
        return project.contract.fee
    return project.awarded_bid.amount if project.awarded_bid_id else Decimal(0)


def payment_caps(project) -> dict:
    """What may still be paid: before the evaluation up to (1 - hold-back) of the contract amount, the
    final payment after it up to the hold-back times the grade's share; never above the contract."""
    amount = contract_amount(project)
    paid = project.payments.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    holdback = (amount * Decimal(conf.setting("HOLDBACK_SHARE"))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    before_eval_cap = amount - holdback
    paid_before = project.payments.exclude(kind=PaymentKind.FINAL).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    ev = Evaluation.objects.filter(project=project).first()
    final_share = Decimal(conf.setting("GRADE_PAY_SHARE").get(ev.grade, 0)) if ev else None
    final_cap = min(amount - paid, (holdback * final_share).quantize(Decimal("0.01"))) if ev is not None else Decimal(0)
    return {
        "amount": amount,
        "paid": paid,
        "remaining": amount - paid,
        "holdback": holdback,
        "progress_left": max(Decimal(0), before_eval_cap - paid_before),
        "final_cap": max(Decimal(0), final_cap),
        "final_paid": project.payments.filter(kind=PaymentKind.FINAL).exists(),
        "evaluation": ev,
    }


def _pct(share: Decimal) -> str:
    text = f"{share * 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@transaction.atomic
def payment_record(*, actor, project, kind: str, amount: Decimal, paid_on: date, note: str = "") -> Payment:
    _perm(actor, "add_payment")
    fresh = _locked(actor, project, "change")  # one payment at a time per project: the cap holds
    _require(actor, fresh, "pay")
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("支付金额须大于0")})
    caps = payment_caps(fresh)
    if caps["paid"] + amount > caps["amount"]:
        raise ValidationError(
            {
                "amount": _("累计支付不得超过合同金额 %(a)s 元（已付 %(p)s 元）")
                % {"a": caps["amount"], "p": caps["paid"]}
            }
        )
    if kind == PaymentKind.FINAL:
        if caps["evaluation"] is None:
            raise ValidationError({"kind": _("尾款须在验收与绩效评价之后支付")})
        if caps["final_paid"]:
            raise ValidationError({"kind": _("尾款已支付")})
        if amount > caps["final_cap"]:
            raise ValidationError(
                {
                    "amount": _("评价等级为“%(g)s”，尾款最多 %(c)s 元")
                    % {"g": caps["evaluation"].get_grade_display(), "c": caps["final_cap"]}
                }
            )
    elif amount > caps["progress_left"]:
        raise ValidationError(
            {
                "amount": _("验收评价前累计支付不得超过合同金额的 %(s)s%%，本次最多 %(c)s 元")
                % {"s": _pct(Decimal(1) - Decimal(conf.setting("HOLDBACK_SHARE"))), "c": caps["progress_left"]}
            }
        )
    p = Payment(project=fresh, kind=kind, amount=amount, paid_on=paid_on, note=note, recorded_by=actor)
    p.full_clean()
    p.save()
    record(actor=actor, action=AuditAction.CREATE, instance=p, changes=diff({}, snapshot(p)))
    return p
