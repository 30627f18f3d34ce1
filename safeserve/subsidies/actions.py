"""Every write of the subsidies app: policy steps, applications, decisions and payments.

Atomic, validated, audited; the enterprise and the town are told on commit (notifications).
The budget is never overspent: an approval locks its policy row (SELECT … FOR UPDATE), so two
officers approving at once take turns, and the second re-reads what the first granted."""

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import uploads
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.notifications.actions import notify
from safeserve.notifications.queries import enterprise_users, town_officers
from safeserve.registry.models import Enterprise
from safeserve.services.choices import PayerType
from safeserve.services.models import SERVING_STATES, ServiceContract

from . import rules, transitions
from .choices import GRANTED_STATES, LIVE_STATES, PolicyStatus
from .models import SubsidyApplication, SubsidyPolicy

ZERO = Decimal("0")


def _fail(field, message, code=None):
    raise ValidationError({field: ValidationError(message, code=code)})


def _need(actor, perm):
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("您没有该操作的权限"))


def granted_to(enterprise_id, year, *, exclude_pk=None) -> Decimal:
    """What an enterprise was granted (approved or paid) in ``year``, over every town's policy."""
    qs = SubsidyApplication.objects.filter(enterprise_id=enterprise_id, policy__year=year, status__in=GRANTED_STATES)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return rules.cents(qs.aggregate(s=Sum("approved_amount"))["s"] or ZERO)


def granted_under(policy_id) -> Decimal:
    """What a policy's budget has granted (approved or paid)."""
    qs = SubsidyApplication.objects.filter(policy_id=policy_id, status__in=GRANTED_STATES)
    return rules.cents(qs.aggregate(s=Sum("approved_amount"))["s"] or ZERO)


# ---------------------------------------------------------------- policies


@transaction.atomic
def policy_step(*, actor, policy: SubsidyPolicy, action: str) -> SubsidyPolicy:
    """Publish a draft (enterprises may then apply) or close a published policy (no new applications)."""
    _need(actor, "subsidies.publish_subsidypolicy")
    fresh = SubsidyPolicy.objects.visible_to(actor).select_for_update().filter(pk=policy.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    row = transitions.lookup(fresh.status, action, transitions.POLICY_TABLE)
    if row is None:
        raise ValidationError(
            _("政策当前状态为“%(s)s”，不能%(a)s")
            % {"s": fresh.get_status_display(), "a": transitions.POLICY_ACTIONS.get(action, action)}
        )
    if not transitions.relations(actor, fresh) & row[1]:
        raise PermissionDenied(_("只有本镇（街道）可以发布或截止本镇的补贴政策"))
    before = snapshot(fresh)
    fresh.status = row[0]
    if action == "publish":
        fresh.published_at = timezone.now()
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes=diff(before, snapshot(fresh)),
        note=str(transitions.POLICY_ACTIONS[action]),
    )
    return fresh


# ---------------------------------------------------------------- applications


def contracts_to_apply(actor):
    """The actor's own enterprise-paid contracts that could be subsidised (signed, not yet applied for)."""
    if actor is None or actor.role != "enterprise" or not actor.enterprise_id:
        return ServiceContract.objects.none()
    live = SubsidyApplication.objects.filter(enterprise_id=actor.enterprise_id, status__in=LIVE_STATES).values(
        "contract_id"
    )
    return (
        ServiceContract.objects.visible_to(actor)
        .filter(links__enterprise_id=actor.enterprise_id, payer_type=PayerType.ENTERPRISE, status__in=SERVING_STATES)
        .exclude(pk__in=live)
        .select_related("agency")
        .order_by("-start_date", "-id")
    )


def check_application(*, actor, contract, invoice_amount) -> dict:
    """Everything an application must pass before its invoice is read: the rules first, with the
    sentence that refuses; answers {policy, enterprise, fee, granted, proposed}."""
    _need(actor, "subsidies.add_subsidyapplication")
    if actor.role != "enterprise" or not actor.enterprise_id:
        raise PermissionDenied(_("只有企业用户可以申请服务补贴"))
    enterprise = Enterprise.objects.select_related("industry__parent", "town").get(pk=actor.enterprise_id)
    if contract is None:
        _fail("contract", _("请选择服务合同"))
    mine = ServiceContract.objects.visible_to(actor).filter(pk=contract.pk, links__enterprise=enterprise).first()
    if mine is None:
        _fail("contract", _("只能为本企业的服务合同申请补贴"))
    if mine.payer_type != PayerType.ENTERPRISE:
        _fail("contract", _("该合同由政府购买服务，企业未付费，不能申请补贴"), "not_enterprise_paid")
    if mine.status not in SERVING_STATES:
        _fail("contract", _("合同尚未生效，不能申请补贴"))
    year = mine.start_date.year
    policy = SubsidyPolicy.objects.select_for_update().filter(town_id=enterprise.town_id, year=year).first()
    if policy is None or policy.status == PolicyStatus.DRAFT:
        _fail(
            "contract",
            _("%(town)s尚未发布%(year)d年度服务补贴政策") % {"town": enterprise.town, "year": year},
            "no_policy",
        )
    if policy.status == PolicyStatus.CLOSED:
        _fail("contract", _("%(name)s已截止申请") % {"name": policy.name}, "closed")
    refused = rules.refusals(policy, enterprise)
    if refused:
        raise ValidationError([ValidationError(r.message, code=r.code) for r in refused])
    dup = SubsidyApplication.objects.filter(contract=mine, enterprise=enterprise, status__in=LIVE_STATES).first()
    if dup is not None:
        _fail("contract", _("该合同已申请过补贴（申请编号 %(n)s）") % {"n": dup.number}, "duplicate")
    if invoice_amount is None or invoice_amount <= 0:
        _fail("invoice_amount", _("请填写发票金额"))
    parties = max(1, mine.links.count())
    fee = rules.cents(mine.fee / parties)
    granted = granted_to(enterprise.pk, year)
    proposed = rules.proposed_amount(policy=policy, fee=fee, invoice_amount=invoice_amount, granted=granted)
    if proposed <= 0:
        _fail(
            "contract",
            _("本企业%(year)d年度已获补贴 %(g)s 元，已达每家企业年度上限 %(cap)s 元")
            % {"year": year, "g": granted, "cap": policy.cap},
            "cap",
        )
    return {"policy": policy, "enterprise": enterprise, "contract": mine, "fee": fee, "proposed": proposed}


@uploads.discard_files_on_error
@transaction.atomic
def application_submit(
    *, actor, contract, invoice_amount, invoice_number: str, upload, note: str = ""
) -> SubsidyApplication:
    """An enterprise applies for a subsidy of one of its own enterprise-paid contracts, with the invoice
    (PDF or photo, checked by content: core.uploads.verify_scan). Ineligible: refused with the rule."""
    found = check_application(actor=actor, contract=contract, invoice_amount=invoice_amount)
    invoice_number = (invoice_number or "").strip()
    if not invoice_number:
        _fail("invoice_number", _("请填写发票号码"))
    if not upload:
        _fail("invoice", _("请上传发票（PDF 或照片）"))
    document = uploads.verify_scan(upload)
    policy = found["policy"]
    seq = SubsidyApplication.objects.filter(policy=policy).count() + 1
    app = SubsidyApplication(
        policy=policy,
        enterprise=found["enterprise"],
        contract=found["contract"],
        number=f"BT{policy.year}-{policy.pk:03d}-{seq:05d}",
        fee=found["fee"],
        invoice_number=invoice_number[:50],
        invoice_amount=invoice_amount,
        proposed_amount=found["proposed"],
        submitted_by=actor,
        submitted_at=timezone.now(),
        note=(note or "").strip()[:300],
        invoice_sha256=document.sha256,
        invoice_name=document.name[:200],
    )
    uploads.save_document(app.invoice, document)
    app.full_clean()
    app.save()
    record(
        actor=actor, action=AuditAction.CREATE, instance=app, changes=diff({}, snapshot(app)), note=_("申请服务补贴")
    )
    link = app.get_absolute_url()
    town_id = policy.town_id
    transaction.on_commit(
        lambda: notify(
            actor=actor,
            recipients=town_officers(town_id),
            kind="subsidy_submitted",
            title=_("新的服务补贴申请：%(e)s") % {"e": found["enterprise"].name},
            link=link,
        )
    )
    return app


@transaction.atomic
def application_step(
    *, actor, application: SubsidyApplication, action: str, amount=None, reason: str = ""
) -> SubsidyApplication:
    """approve (the proposed amount or less), reject (with a reason) or withdraw (the enterprise).

    Approval locks the policy row first and re-checks, under the lock, that what the policy has
    granted plus this amount stays within its budget, and that the enterprise stays within its cap."""
    if action not in transitions.ACTIONS or action == "pay":
        raise ValidationError(_("未知的操作"))
    visible = SubsidyApplication.objects.visible_to(actor).filter(pk=application.pk).values("policy_id").first()
    if visible is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if action in ("approve", "reject"):
        _need(actor, "subsidies.decide_subsidyapplication")
    # Lock order: the policy, then the application (every approval takes them in this order).
    policy = SubsidyPolicy.objects.select_for_update().get(pk=visible["policy_id"])
    fresh = SubsidyApplication.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    row = transitions.lookup(fresh.status, action)
    if row is None:
        raise ValidationError(
            _("申请当前状态为“%(s)s”，不能%(a)s") % {"s": fresh.get_status_display(), "a": transitions.ACTIONS[action]}
        )
    if not transitions.relations(actor, fresh) & row[1]:
        raise PermissionDenied(_("您不能对该申请执行“%(a)s”") % {"a": transitions.ACTIONS[action]})
    before = snapshot(fresh)
    reason = (reason or "").strip()[:300]
    if action == "approve":
        amount = fresh.proposed_amount if amount in (None, "") else Decimal(amount)
        if amount <= 0:
            _fail("amount", _("核定补贴须大于 0；不予补贴请选择“不予批准”并说明理由"))
        if amount > fresh.proposed_amount:
            _fail("amount", _("核定补贴不能超过测算补贴 %(p)s 元") % {"p": fresh.proposed_amount})
        room_cap = policy.cap - granted_to(fresh.enterprise_id, policy.year, exclude_pk=fresh.pk)
        if amount > room_cap:
            _fail(
                "amount",
                _("超过每家企业年度上限：该企业本年度还可补贴 %(r)s 元（上限 %(cap)s 元）")
                % {"r": max(room_cap, ZERO), "cap": policy.cap},
                "cap",
            )
        granted = granted_under(policy.pk)
        if granted + amount > policy.budget:
            _fail(
                "amount",
                _("超出补贴预算：预算 %(b)s 元，已批准 %(g)s 元，剩余 %(r)s 元")
                % {"b": policy.budget, "g": granted, "r": max(policy.budget - granted, ZERO)},
                "budget",
            )
        fresh.approved_amount = rules.cents(amount)
        if amount < fresh.proposed_amount and not reason:
            reason = _("核减：按预算和审核情况核定")
    elif action == "reject" and not reason:
        _fail("reason", _("请填写不予批准的理由"))
    fresh.status = row[0]
    if action in ("approve", "reject"):
        fresh.decided_by = actor
        fresh.decided_at = timezone.now()
        fresh.reason = reason
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes=diff(before, snapshot(fresh)),
        note=str(transitions.ACTIONS[action]) + (f"：{reason}" if reason else ""),
    )
    _tell(actor, fresh, action)
    return fresh


@transaction.atomic
def application_pay(*, actor, application: SubsidyApplication, paid_on, amount, voucher_number: str):
    """The town records the payment of an approved subsidy: date, amount (≤ approved), voucher number."""
    _need(actor, "subsidies.decide_subsidyapplication")
    visible = SubsidyApplication.objects.visible_to(actor).filter(pk=application.pk).values("policy_id").first()
    if visible is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    SubsidyPolicy.objects.select_for_update().get(pk=visible["policy_id"])
    fresh = SubsidyApplication.objects.select_for_update().get(pk=application.pk)
    row = transitions.lookup(fresh.status, "pay")
    if row is None:
        raise ValidationError(_("只有已批准的申请可以登记拨付"))
    if not transitions.relations(actor, fresh) & row[1]:
        raise PermissionDenied(_("只有本镇（街道）可以登记拨付"))
    voucher_number = (voucher_number or "").strip()
    errors = {}
    if paid_on is None:
        errors["paid_on"] = _("请填写拨付日期")
    elif paid_on > timezone.localdate():
        errors["paid_on"] = _("拨付日期不能晚于今天")
    if amount is None or amount <= 0:
        errors["amount"] = _("请填写拨付金额")
    elif amount > fresh.approved_amount:
        errors["amount"] = _("拨付金额不能超过核定补贴 %(a)s 元") % {"a": fresh.approved_amount}
    if not voucher_number:
        errors["voucher_number"] = _("请填写拨付凭证号")
    if errors:
        raise ValidationError(errors)
    before = snapshot(fresh)
    fresh.status = row[0]
    fresh.paid_on = paid_on
    fresh.paid_amount = rules.cents(amount)
    fresh.voucher_number = voucher_number[:50]
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes=diff(before, snapshot(fresh)),
        note=str(transitions.ACTIONS["pay"]),
    )
    _tell(actor, fresh, "pay")
    return fresh


TOLD = {
    "approve": _("服务补贴申请已批准：%(n)s"),
    "reject": _("服务补贴申请未获批准：%(n)s"),
    "pay": _("服务补贴已拨付：%(n)s"),
}


def _tell(actor, app, action):
    if action not in TOLD:
        return
    link, enterprise_id, title = app.get_absolute_url(), app.enterprise_id, str(TOLD[action]) % {"n": app.number}
    transaction.on_commit(
        lambda: notify(
            actor=actor, recipients=enterprise_users(enterprise_id), kind=f"subsidy_{action}", title=title, link=link
        )
    )
