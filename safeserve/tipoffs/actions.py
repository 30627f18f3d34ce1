"""Every write of public reports: atomic, validated, audited, side effects on commit.

Public doors (no login): ``tipoff_file``, ``tipoff_lookup`` and ``tipoff_supplement``. The reporter's
identity never leaves this app except to handlers (models.is_handler); notifications name the report
by its code and the reported party, never by its reporter.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.core.uploads import MB, discard_files_on_error, save_document, verify_scan
from safeserve.core.workdays import due_date
from safeserve.notifications.actions import notify

from . import conf, transitions
from .choices import AttemptKind, TipoffState
from .models import (
    HANDLE_PERM,
    IDENTITY_FIELDS,
    IdentityAccess,
    Tipoff,
    TipoffAttachment,
    TipoffReward,
    TipoffSupplement,
    TrackingAttempt,
    is_handler,
)

# Tracking codes: 12 characters of an alphabet without look-alikes (no 0/O, 1/I/L), shown as
# XXXX-XXXX-XXXX: 31^12 ≈ 2^59 codes, drawn by ``secrets``.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
PASSWORD_MIN = 8
PUBLIC_NOTE = "public"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())[:32]


def _key(kind: str, value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"tipoffs:{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _count(kind: str, value: str, since) -> int:
    return TrackingAttempt.objects.filter(kind=kind, key=_key(kind, value), at__gte=since).count()


def _hit(kind: str, value: str) -> None:
    TrackingAttempt.objects.create(kind=kind, key=_key(kind, value))


def _snap(tipoff) -> dict:
    """A report's audit snapshot without its reporter: not even a fingerprint (a short hash of a
    name can be checked against a list of suspects), so the history and the audit log page carry
    nothing of who reported; nor the tracking code, which opens the case to whoever holds it."""
    data = snapshot(tipoff)
    for name in (*IDENTITY_FIELDS, "code"):
        data.pop(name, None)
    return data


def handlers():
    """Every active 举报受理 handler (county officers holding the permission, directly or by group)."""
    perm = Permission.objects.get(content_type__app_label="tipoffs", codename="handle_tipoff")
    users = User.objects.filter(is_active=True, role=Role.COUNTY).filter(
        pk__in=User.objects.filter(user_permissions=perm).values("pk")
    ) | User.objects.filter(is_active=True, role=Role.COUNTY, groups__permissions=perm)
    return list(users.distinct())


def town_officers(town_id):
    return list(User.objects.filter(is_active=True, role=Role.TOWN, town_id=town_id))


# ---------------------------------------------------------------- attachments


def verify_attachments(uploads, field: str = "attachments") -> list:
    """Every attachment of one submission checked by content (photos re-encoded, PDFs parsed), with
    the number and total size bounded; all problems at once, each naming its file."""
    uploads = [u for u in (uploads or ()) if u]
    most = conf.number("TIPOFF_ATTACHMENTS_MAX_FILES")
    if len(uploads) > most:
        raise ValidationError(
            {field: _("附件：一次最多上传 %(n)d 个文件，本次选择了 %(m)d 个") % {"n": most, "m": len(uploads)}}
        )
    limit_mb = conf.number("TIPOFF_ATTACHMENTS_MAX_MB")
    total = sum(getattr(u, "size", 0) or 0 for u in uploads)
    if total > limit_mb * MB:
        raise ValidationError(
            {
                field: _("附件：总大小 %(size).1f MB，超过上限 %(limit)d MB；请压缩照片或分次补充")
                % {"size": total / MB, "limit": limit_mb}
            }
        )
    verified, errors = [], []
    for upload in uploads:
        try:
            verified.append(verify_scan(upload))
        except ValidationError as exc:
            errors.extend(_("附件：%(msg)s") % {"msg": m} for m in exc.messages)
    if errors:
        raise ValidationError({field: errors})
    return verified


def _store(tipoff, documents, supplement=None):
    for doc in documents:
        att = TipoffAttachment(
            tipoff=tipoff, supplement=supplement, name=doc.name[:200], sha256=doc.sha256, size=doc.size
        )
        save_document(att.file, doc)
        att.full_clean()
        att.save()


# ---------------------------------------------------------------- the public doors


def filing_refused(client_ip: str) -> str | None:
    """The reason an address may not file now (the per-address limit of 24 hours), or None."""
    most = conf.number("TIPOFF_FILE_PER_ADDRESS_PER_DAY")
    if _count(AttemptKind.FILE, client_ip, timezone.now() - timedelta(days=1)) >= most:
        return _("同一网络地址 24 小时内最多提交 %(n)d 件举报，请明天再提交，或拨打举报电话 12350。") % {"n": most}
    return None


@discard_files_on_error
def tipoff_file(*, data: dict, attachments, password: str, client_ip: str) -> Tipoff:
    """File a report from the public form: returns the report (its ``code`` is shown once)."""
    refused = filing_refused(client_ip)
    if refused:
        raise ValidationError(refused)
    if len(password or "") < PASSWORD_MIN:
        raise ValidationError({"password": _("查询密码：至少 %(n)d 位") % {"n": PASSWORD_MIN}})
    documents = verify_attachments(attachments)
    with transaction.atomic():
        tipoff = Tipoff(**data, password=make_password(password), code=new_code())
        while Tipoff.objects.filter(code=tipoff.code).exists():  # pragma: no cover - 2^-59
            tipoff.code = new_code()
        if tipoff.enterprise_id and not tipoff.town_id:
            tipoff.town_id = tipoff.enterprise.town_id
        tipoff.full_clean()
        tipoff.save()
        _store(tipoff, documents)
        record(
            actor=None,
            action=AuditAction.CREATE,
            instance=tipoff,
            changes=diff({}, _snap(tipoff)),
            note=PUBLIC_NOTE,
        )
        _hit(AttemptKind.FILE, client_ip)
        title = _("新举报 %(code)s：%(who)s") % {"code": tipoff.number, "who": tipoff.reported_label}
        link = tipoff.get_absolute_url()
        transaction.on_commit(
            lambda: notify(actor=None, recipients=handlers(), kind="tipoffs.received", title=title, link=link)
        )
    return tipoff


class LookupRefused(Exception):
    """Wrong code or password, or too many tries: one message that never says whether the code exists."""


def lookup_refused_message() -> str:
    return _("查询码或密码不正确，或尝试次数过多（请 %(m)d 分钟后再试）。") % {
        "m": conf.number("TIPOFF_LOOKUP_WINDOW_MINUTES")
    }


_DUMMY_HASH = None


def tipoff_lookup(*, code: str, password: str, client_ip: str) -> Tipoff:
    """The report behind a tracking code and password, or LookupRefused.

    Wrong tries count per code (existing or not) and per client address; over either limit even the
    right password is refused until the window passes. A missing code costs the same password hash
    as a wrong password, so neither the answer nor its time tells whether the code exists.
    """
    global _DUMMY_HASH
    code = normalise_code(code)
    since = timezone.now() - timedelta(minutes=conf.number("TIPOFF_LOOKUP_WINDOW_MINUTES"))
    if _count(AttemptKind.FAIL_CODE, code, since) >= conf.number("TIPOFF_LOOKUP_FAILURES_PER_CODE") or _count(
        AttemptKind.FAIL_IP, client_ip, since
    ) >= conf.number("TIPOFF_LOOKUP_FAILURES_PER_ADDRESS"):
        raise LookupRefused(lookup_refused_message())
    tipoff = Tipoff.objects.filter(code=code).first() if code else None
    if tipoff is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = make_password("not a password")
        check_password(password or "", _DUMMY_HASH)
        ok = False
    else:
        ok = check_password(password or "", tipoff.password)
    if not ok:
        _hit(AttemptKind.FAIL_CODE, code)
        _hit(AttemptKind.FAIL_IP, client_ip)
        raise LookupRefused(lookup_refused_message())
    return tipoff


@discard_files_on_error
def tipoff_supplement(*, tipoff: Tipoff, text: str, attachments, client_ip: str) -> TipoffSupplement:
    """The reporter adds information to an open report (received or accepted)."""
    if tipoff.state not in (TipoffState.RECEIVED, TipoffState.ACCEPTED):
        raise ValidationError(_("该举报已办结或不予受理，不能再补充材料；如有新情况请重新举报。"))
    refused = filing_refused(client_ip)
    if refused:
        raise ValidationError(refused)
    documents = verify_attachments(attachments)
    with transaction.atomic():
        tipoff = Tipoff.objects.select_for_update().get(pk=tipoff.pk)
        supplement = TipoffSupplement(tipoff=tipoff, text=text)
        supplement.full_clean()
        supplement.save()
        _store(tipoff, documents, supplement)
        record(
            actor=None,
            action=AuditAction.CREATE,
            instance=supplement,
            changes={"text": ["", text[:200]], "attachments": [0, len(documents)]},
            note=PUBLIC_NOTE,
        )
        _hit(AttemptKind.FILE, client_ip)
        recipients = handlers() + (town_officers(tipoff.assigned_town_id) if tipoff.assigned_town_id else [])
        title = _("举报 %(code)s 有补充材料") % {"code": tipoff.number}
        link = tipoff.get_absolute_url()
        transaction.on_commit(
            lambda: notify(actor=None, recipients=recipients, kind="tipoffs.supplement", title=title, link=link)
        )
    return supplement


# ---------------------------------------------------------------- handling


def _require(cond, message, field=None):
    if not cond:
        raise ValidationError({field: message} if field else message)


def _assign(fresh, town):
    fresh.assigned_town = town


@transaction.atomic
def tipoff_transition(*, actor, tipoff: Tipoff, action: str, **fields) -> Tipoff:
    """Take one step of the handling table (transitions.TABLE); fields are the step's own inputs.

    accept: town (None: the county team), same_matter (optional); reject: reason; forward: forwarded_to,
    reason; assign: town; extend: reason; verify: verification; close: finding, result;
    penalty: penalty_number, fine_amount, concealed_deaths, accident_level.
    """
    rows = Tipoff.objects.visible_to(actor, "change").select_for_update(of=("self",))
    fresh = rows.filter(pk=tipoff.pk).first()
    if fresh is None or not transitions.allowed(actor, fresh, action):
        raise PermissionDenied(_("您不能对该举报执行此操作"))
    before = _snap(fresh)
    now = timezone.now()
    today = timezone.localdate()
    step = transitions.TABLE[(fresh.state, action)]
    notify_town = None
    if action == "accept":
        fresh.accepted_at = now
        fresh.deadline = due_date(today, conf.number("TIPOFF_DEADLINE_DAYS"))
        _assign(fresh, fields.get("town"))
        same = fields.get("same_matter")
        if same is not None:
            _require(
                same.pk != fresh.pk and same.filed_at <= fresh.filed_at,
                _("同一事项：须为更早提交的举报"),
                "same_matter",
            )
            fresh.same_matter = same.same_matter or same
        notify_town = fresh.assigned_town_id
    elif action in ("reject", "forward"):
        reason = (fields.get("reason") or "").strip()
        _require(reason, _("理由：请填写（举报人可见）"), "reason")
        fresh.reject_reason = reason
        if action == "forward":
            to = (fields.get("forwarded_to") or "").strip()
            _require(to, _("转送部门：请填写"), "forwarded_to")
            fresh.forwarded_to = to
        fresh.closed_at = now
    elif action == "assign":
        old = fresh.assigned_town_id
        _assign(fresh, fields.get("town"))
        _require(fresh.assigned_town_id != old, _("承办单位未改变"))
        notify_town = fresh.assigned_town_id
    elif action == "extend":
        _require(not fresh.extended_at, _("延期：每件举报只能延期一次"))
        reason = (fields.get("reason") or "").strip()
        _require(reason, _("延期理由：请填写（举报人可见）"), "reason")
        fresh.extension_reason = reason
        fresh.extended_at = now
        fresh.deadline = due_date(
            timezone.localdate(fresh.accepted_at),
            conf.number("TIPOFF_DEADLINE_DAYS") + conf.number("TIPOFF_EXTENSION_DAYS"),
        )
    elif action == "verify":
        text = (fields.get("verification") or "").strip()
        _require(text, _("核查情况：请填写"), "verification")
        fresh.verification = text
        fresh.verified_at = now
    elif action == "close":
        _require(fresh.verification.strip(), _("办结前须填报核查情况"))
        finding, result = fields.get("finding") or "", (fields.get("result") or "").strip()
        _require(finding, _("核查结论：请选择"), "finding")
        _require(result, _("处理结果：请填写（举报人可见）"), "result")
        fresh.finding, fresh.result, fresh.closed_at = finding, result, now
    elif action == "penalty":
        for name in ("penalty_number", "fine_amount", "concealed_deaths", "accident_level"):
            if name in fields:
                setattr(
                    fresh,
                    name,
                    fields[name]
                    if fields[name] is not None
                    else (None if name in ("fine_amount", "concealed_deaths") else ""),
                )
        _require(fresh.fine_amount or fresh.concealed_deaths, _("请填写罚款金额或查实瞒报死亡人数"))
        _require(not fresh.concealed_deaths or fresh.accident_level, _("瞒报事故等级：请选择"), "accident_level")
    fresh.state = step.target
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes=diff(before, _snap(fresh)),
        note=f"tipoffs.{action}",
    )
    if notify_town:
        title = _("举报 %(code)s 交由贵单位核查，期限 %(d)s") % {"code": fresh.number, "d": fresh.deadline}
        link = fresh.get_absolute_url()
        officers = town_officers(notify_town)
        transaction.on_commit(
            lambda: notify(actor=actor, recipients=officers, kind="tipoffs.assigned", title=title, link=link)
        )
    return fresh


def escalate_overdue(today) -> int:
    """Overdue reports (accepted, deadline passed): once per deadline, tell every handler and the
    assigned town. Returns the number of messages."""
    sent = 0
    for tipoff in Tipoff.objects.filter(state=TipoffState.ACCEPTED, deadline__lt=today).select_related(
        "enterprise", "agency"
    ):
        if tipoff.escalated_on and tipoff.escalated_on >= tipoff.deadline:
            continue
        recipients = handlers() + (town_officers(tipoff.assigned_town_id) if tipoff.assigned_town_id else [])
        title = _("举报 %(code)s 已超过办理期限（%(d)s），请督办") % {"code": tipoff.number, "d": tipoff.deadline}
        sent += len(
            notify(
                actor=None,
                recipients=recipients,
                kind="tipoffs.overdue",
                title=title,
                link=tipoff.get_absolute_url(),
                level="warning",
                dedup_key=f"tipoffs.overdue:{tipoff.pk}:{tipoff.deadline}",
            )
        )
        Tipoff.objects.filter(pk=tipoff.pk).update(escalated_on=today)
    return sent


def record_identity_view(*, viewer, tipoffs, where: str) -> None:
    """One access-log row per report whose reporter identity a handler's page showed."""
    if not is_handler(viewer):
        raise PermissionDenied
    IdentityAccess.objects.bulk_create([IdentityAccess(tipoff=t, viewer=viewer, where=where[:100]) for t in tipoffs])


# ---------------------------------------------------------------- rewards


def compute_reward(*, fine_amount=None, concealed_deaths=None, accident_level="") -> tuple[Decimal, str]:
    """(amount, basis) per 《安全生产领域举报奖励办法》: 15% of the fine, at least 3,000 and at most
    300,000 元; or, for concealed deaths, a sum per death by accident level, at most 300,000 元.
    Where both apply the higher one is given (one reward per matter)."""
    rate, low, high = conf.money("TIPOFF_REWARD_RATE"), conf.money("TIPOFF_REWARD_MIN"), conf.money("TIPOFF_REWARD_MAX")
    options = []
    if fine_amount and fine_amount > 0:
        raw = (Decimal(fine_amount) * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        amount = min(max(raw, low), high)
        options.append(
            (
                amount,
                _("罚款 %(fine)s 元 × %(rate)s%%（最低 %(low)s，最高 %(high)s 元）")
                % {"fine": fine_amount, "rate": (rate * 100).normalize(), "low": low, "high": high},
            )
        )
    if concealed_deaths:
        per = Decimal(str(conf.get("TIPOFF_REWARD_PER_DEATH")[accident_level]))
        amount = min(per * concealed_deaths, high).quantize(Decimal("0.01"))
        options.append(
            (
                amount,
                _("查实瞒报死亡 %(n)d 人 × %(per)s 元（最高 %(high)s 元）")
                % {"n": concealed_deaths, "per": per, "high": high},
            )
        )
    if not options:
        return Decimal("0.00"), ""
    return max(options, key=lambda o: o[0])


def first_real_name(tipoff: Tipoff) -> bool:
    """Whether ``tipoff`` is the first real-name report of its matter (itself and its repeats)."""
    if not tipoff.real_name:
        return False
    root = tipoff.same_matter or tipoff
    matter = Tipoff.objects.filter(pk=root.pk) | Tipoff.objects.filter(same_matter=root)
    earlier = [
        t for t in matter.exclude(pk=tipoff.pk) if t.real_name and (t.filed_at, t.pk) < (tipoff.filed_at, tipoff.pk)
    ]
    return not earlier


@transaction.atomic
def reward_transition(*, actor, tipoff: Tipoff, action: str, payment_note: str = "") -> TipoffReward:
    if not is_handler(actor):
        raise PermissionDenied(_("您不能对该举报执行此操作"))
    fresh = Tipoff.objects.select_for_update().get(pk=tipoff.pk)
    reward = TipoffReward.objects.filter(tipoff=fresh).first()
    step = transitions.REWARD_TABLE.get((reward.state if reward else None, action))
    if step is None:
        raise ValidationError(_("奖励当前状态下不能执行此操作"))
    now = timezone.now()
    if action == "propose":
        _require(
            fresh.state == TipoffState.CLOSED and fresh.finding in ("substantiated", "partly"),
            _("只有核查属实并办结的举报才能奖励"),
        )
        _require(fresh.real_name, _("匿名举报不予奖励：奖励只给实名举报人"))
        _require(first_real_name(fresh), _("同一事项已有更早的实名举报，奖励只给第一个实名举报人"))
        amount, basis = compute_reward(
            fine_amount=fresh.fine_amount, concealed_deaths=fresh.concealed_deaths, accident_level=fresh.accident_level
        )
        _require(amount > 0, _("尚未登记罚款金额或查实瞒报死亡人数，无法计算奖励"))
        reward = TipoffReward(tipoff=fresh, amount=amount, basis=basis, proposed_by=actor)
        before = {}
    else:
        before = snapshot(reward)
        if action == "approve":
            _require(reward.proposed_by_id != actor.pk, _("批准人不能是拟定人"))
            reward.approved_by, reward.approved_at = actor, now
        elif action == "pay":
            note = (payment_note or "").strip()
            _require(note, _("发放凭证：请填写"), "payment_note")
            reward.paid_by, reward.paid_at, reward.payment_note = actor, now, note
    reward.state = step.target
    reward.full_clean()
    reward.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION if before else AuditAction.CREATE,
        instance=reward,
        changes=diff(before, snapshot(reward)),
        note=f"tipoffs.reward.{action}",
    )
    return reward


# ---------------------------------------------------------------- who handles


@transaction.atomic
def handler_set(*, actor, user: User, grant: bool) -> None:
    """Grant or withdraw 举报受理: by a superuser or an existing handler, to active county officers only."""
    if not (actor.is_superuser or is_handler(actor)):
        raise PermissionDenied(_("只有举报受理人员可以调整受理人员"))
    if grant and (user.role != Role.COUNTY or not user.is_active):
        raise ValidationError(_("只能授予在岗的县局监管人员"))
    if not grant and user.pk == actor.pk:
        raise ValidationError(_("不能撤销自己的受理权限"))
    perm = Permission.objects.get(content_type__app_label="tipoffs", codename="handle_tipoff")
    had = user.user_permissions.filter(pk=perm.pk).exists()
    if grant == had:
        return
    (user.user_permissions.add if grant else user.user_permissions.remove)(perm)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=user,
        changes={"user_permissions": [[HANDLE_PERM] if had else [], [HANDLE_PERM] if grant else []]},
        note="tipoffs.handler_grant" if grant else "tipoffs.handler_revoke",
    )


def purge_attempts(now=None) -> int:
    now = now or timezone.now()
    deleted, _rows = TrackingAttempt.objects.filter(at__lt=now - timedelta(days=2)).delete()
    return deleted
