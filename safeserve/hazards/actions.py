"""Every write of a hazard's life, plus the reminder and escalation jobs."""

import hashlib
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import audit, uploads
from safeserve.core.audit import AuditAction, record
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import agency_users, county_officers, enterprise_users, town_officers
from safeserve.registry.models import Enterprise
from safeserve.services.models import ServiceVisit

from . import conf, documents, queries, transitions
from .choices import ExtensionState, HazardLevel, HazardSource, HazardState, NoticeKind, PhotoStage
from .models import (
    Hazard,
    HazardEvent,
    HazardExtension,
    HazardPhoto,
    IssuedNotice,
    MajorHazardCriterion,
    RemediationPlan,
)


def default_deadline(level: str, start: date | None = None) -> date:
    start = start or timezone.localdate()
    days = conf.get("HAZARD_MAJOR_DAYS" if level == HazardLevel.MAJOR else "HAZARD_GENERAL_DAYS")
    return start + timedelta(days=days)


def _event(hazard, actor, action, from_state, note=""):
    return HazardEvent.objects.create(
        hazard=hazard,
        action=action,
        from_state=from_state,
        to_state=hazard.state,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=(str(actor) if actor is not None else audit.SYSTEM)[:150],
        actor_role=getattr(actor, "role", "") or "",
        note=note,
    )


def _save_photos(hazard, event, actor, images, stage):
    """Store photos already verified (``uploads.verify_images``) before anything was written."""
    for image in images:
        p = HazardPhoto(
            hazard=hazard,
            event=event,
            stage=stage,
            **image.evidence(),
            uploaded_by=actor,
        )
        uploads.save_image(p.file, image)
        p.save()


def _link(hazard):
    return reverse("hazards:hazard_detail", args=[hazard.pk])


def _label(hazard):
    return f"{hazard.enterprise.name} · {hazard.location}"


@uploads.discard_files_on_error
@transaction.atomic
def hazard_report(
    *,
    actor,
    enterprise: Enterprise,
    location: str,
    description: str,
    responsible_person: str,
    level: str = HazardLevel.GENERAL,
    source: str | None = None,
    criterion: MajorHazardCriterion | None = None,
    deadline: date | None = None,
    visit=None,
    photos=(),
    note: str = "",
) -> Hazard:
    if actor is None or not actor.has_perm("hazards.add_hazard"):
        raise PermissionDenied(_("您没有上报隐患的权限"))
    if not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(_("该企业不在您的数据权限范围内"))
    agency_id = None
    if visit is not None:
        if not ServiceVisit.objects.visible_to(actor).filter(pk=visit.pk).exists():
            raise PermissionDenied(_("该服务记录不在您的数据权限范围内"))
        if visit.enterprise_id != enterprise.pk:
            raise ValidationError({"visit": _("服务记录与企业不一致")})
        agency_id = visit.agency_id
        source = source or HazardSource.VISIT
    if actor.role == Role.AGENCY:
        agency_id = actor.agency_id
        source = source or HazardSource.VISIT
    elif actor.role == Role.ENTERPRISE:
        source = HazardSource.SELF
    elif actor.role in (Role.TOWN, Role.COUNTY):
        source = source or HazardSource.INSPECTION
    return _create_hazard(
        actor=actor,
        enterprise=enterprise,
        agency_id=agency_id,
        visit=visit,
        source=source,
        level=level,
        criterion=criterion,
        location=location,
        description=description,
        responsible_person=responsible_person,
        deadline=deadline,
        photos=photos,
        note=note,
    )


@uploads.discard_files_on_error
@transaction.atomic
def hazard_report_mutual(
    *,
    actor,
    enterprise: Enterprise,
    location: str,
    description: str,
    responsible_person: str,
    level: str = HazardLevel.GENERAL,
    criterion: MajorHazardCriterion | None = None,
    deadline: date | None = None,
    photos=(),
    note: str = "",
) -> Hazard:
    """A hazard another member found at ``enterprise`` in an association's 互查 (source 协会互查).

    The reporter is a user of a *different* enterprise, which cannot otherwise see this one: the
    calling action (associations.actions.inspection_record) has checked that both are current members
    in the same group of a running campaign. The hazard is the inspected enterprise's own, in its town,
    and follows the normal closed loop (hazards/transitions.py); the reporter does not see it afterwards.
    """
    if actor is None or actor.role != Role.ENTERPRISE or not actor.has_perm("hazards.add_hazard"):
        raise PermissionDenied(_("只有会员企业的用户可以登记互查发现的隐患"))
    if actor.enterprise_id == enterprise.pk:
        raise ValidationError({"enterprise": _("互查不能检查本企业")})
    return _create_hazard(
        actor=actor,
        enterprise=enterprise,
        agency_id=None,
        visit=None,
        source=HazardSource.MUTUAL,
        level=level,
        criterion=criterion,
        location=location,
        description=description,
        responsible_person=responsible_person,
        deadline=deadline,
        photos=photos,
        note=note,
    )


@uploads.discard_files_on_error
@transaction.atomic
def hazard_report_found(
    *,
    actor,
    enterprise: Enterprise,
    source: str,
    location: str,
    description: str,
    responsible_person: str,
    level: str = HazardLevel.GENERAL,
    criterion: MajorHazardCriterion | None = None,
    deadline: date | None = None,
    photos=(),
    note: str = "",
) -> Hazard:
    """A hazard an expert or insurer staff found at ``enterprise`` on a service the calling action has
    already authorised (an expert's or insurer's 安责险 accident-prevention visit, source 专家检查 or
    保险机构). Neither role holds hazard rights of its own nor sees the enterprise's hazards: the
    hazard is the enterprise's own, in its town, and follows the normal closed loop; the calling
    record keeps the link to it (this layer knows nothing of the caller)."""
    allowed = {Role.EXPERT: HazardSource.EXPERT, Role.INSURER: HazardSource.INSURER}
    if actor is None or allowed.get(getattr(actor, "role", None)) != source:
        raise PermissionDenied(_("只有专家或保险机构人员可以登记其服务中发现的隐患"))
    return _create_hazard(
        actor=actor,
        enterprise=enterprise,
        agency_id=None,
        visit=None,
        source=source,
        level=level,
        criterion=criterion,
        location=location,
        description=description,
        responsible_person=responsible_person,
        deadline=deadline,
        photos=photos,
        note=note,
    )


def _create_hazard(
    *,
    actor,
    enterprise,
    agency_id,
    visit,
    source,
    level,
    criterion,
    location,
    description,
    responsible_person,
    deadline,
    photos,
    note,
) -> Hazard:
    if level == HazardLevel.MAJOR and criterion is None:
        raise ValidationError({"criterion": _("重大事故隐患须注明判定依据（判定标准条款）")})
    images = uploads.verify_images(photos, field="photos")
    if level == HazardLevel.GENERAL:
        criterion = None
    hazard = Hazard(
        enterprise=enterprise,
        town_id=enterprise.town_id,
        agency_id=agency_id,
        visit=visit,
        source=source,
        level=level,
        criterion=criterion,
        location=location.strip(),
        description=description.strip(),
        responsible_person=responsible_person.strip(),
        deadline=deadline or default_deadline(level),
        supervised=level == HazardLevel.MAJOR,
        reported_by=actor,
    )
    hazard.full_clean()
    Hazard.check_deadline(level=hazard.level, reported_on=hazard.reported_on, deadline=hazard.deadline)
    hazard.save()
    event = _event(hazard, actor, "report", "", note)
    _save_photos(hazard, event, actor, images, PhotoStage.BEFORE)
    record(actor=actor, action=AuditAction.CREATE, instance=hazard, changes={"state": [None, hazard.state]}, note=note)
    title = _("新隐患：%(h)s，整改期限 %(d)s") % {"h": _label(hazard), "d": hazard.deadline.isoformat()}
    notify(
        actor=actor,
        recipients=enterprise_users(enterprise.pk),
        kind="hazard_reported",
        title=title,
        body=hazard.description,
        link=_link(hazard),
        dedup_key=f"hazard:{hazard.pk}:reported",
    )
    if hazard.is_major:
        # 重大隐患: listed for supervision (挂牌督办) and reported to the regulator at once.
        notify(
            actor=actor,
            recipients=list(town_officers(hazard.town_id)) + list(county_officers()),
            kind="hazard_major",
            title=_("重大事故隐患（挂牌督办）：%(h)s") % {"h": _label(hazard)},
            body=_("判定依据：%(c)s。须在 %(n)d 小时内报告监管部门；整改期限 %(d)s。")
            % {"c": criterion.text, "n": conf.get("HAZARD_MAJOR_REPORT_HOURS"), "d": hazard.deadline.isoformat()},
            link=_link(hazard),
            level=Level.URGENT,
            dedup_key=f"hazard:{hazard.pk}:major",
        )
    return hazard


def _lock(actor, hazard):
    try:
        return (
            Hazard.objects.visible_to(actor, "view")
            .select_for_update(of=("self",))
            .select_related("enterprise")
            .get(pk=hazard.pk)
        )
    except Hazard.DoesNotExist:
        raise PermissionDenied(_("该隐患不在您的数据权限范围内")) from None


def _check(actor, fresh, action):
    if actor is None or not actor.has_perm("hazards.change_hazard"):
        raise PermissionDenied(_("您没有处理隐患的权限"))
    t = transitions.lookup(fresh.state, action)
    if t is None or not t.roles[fresh.level]:
        raise ValidationError(
            _("隐患当前状态为“%(s)s”，不能执行“%(a)s”")
            % {"s": fresh.get_state_display(), "a": transitions.ACTIONS.get(action, action)}
        )
    if not transitions.relations(actor, fresh) & t.roles[fresh.level]:
        raise PermissionDenied(_("您不能对该隐患执行“%(a)s”") % {"a": transitions.ACTIONS[action]})
    return t


@transaction.atomic
def hazard_save_plan(*, actor, hazard, note: str = "", **elements) -> RemediationPlan:
    """Write the 治理方案 of a major hazard (all six elements)."""
    fresh = _lock(actor, hazard)
    _check(actor, fresh, "plan")
    plan = RemediationPlan.objects.filter(hazard=fresh).first() or RemediationPlan(hazard=fresh)
    for name in RemediationPlan.ELEMENTS:
        setattr(plan, name, (elements.get(name) or "").strip())
    plan.full_clean()
    plan.save()
    _event(fresh, actor, "plan", fresh.state, note or _("填报治理方案"))
    record(actor=actor, action=AuditAction.UPDATE, instance=fresh, changes={"plan": [None, "saved"]}, note=note)
    return plan


@uploads.discard_files_on_error
@transaction.atomic
def hazard_transition(*, actor, hazard, action: str, note: str = "", photos=(), acceptor_agency=None) -> Hazard:
    """Take one step from the table; guards that are not about roles are checked here too."""
    if action == "plan":
        raise ValidationError(_("请使用治理方案表单"))
    fresh = _lock(actor, hazard)
    t = _check(actor, fresh, action)
    note = (note or "").strip()
    if action == "start" and fresh.is_major:
        plan = RemediationPlan.objects.filter(hazard=fresh).first()
        if plan is None or not plan.is_complete:
            raise ValidationError(_("重大事故隐患须先制定包含六项要素的治理方案，才能开始整改"))
    images = uploads.verify_images(photos, field="photos")
    if action == "submit" and not images and not note:
        raise ValidationError(_("申请验收须上传整改后照片或填写整改说明"))
    if action == "reject" and not note:
        raise ValidationError(_("退回整改须说明原因"))
    if action == "accept" and not note:
        raise ValidationError({"note": _("验收销号须填写验收意见")})
    if action == "appoint":
        if acceptor_agency is None:
            raise ValidationError({"acceptor_agency": _("请选择受委托验收的服务机构")})
        if not queries.appointable_agencies(actor).filter(pk=acceptor_agency.pk).exists():
            raise ValidationError(
                {
                    "acceptor_agency": _("%(a)s 不在服务机构名录中（不在册）或不在您的数据权限范围内，不能受委托验收")
                    % {"a": acceptor_agency.name}
                }
            )
        fresh.acceptor_agency = acceptor_agency
        note = note or _("委托 %(a)s 验收") % {"a": acceptor_agency.name}
    before = fresh.state
    fresh.state = t.target
    if t.target == HazardState.CLOSED:
        fresh.closed_at = timezone.now()
    fresh.full_clean()
    fresh.save()
    event = _event(fresh, actor, action, before, note)
    _save_photos(fresh, event, actor, images, PhotoStage.AFTER if action == "submit" else PhotoStage.BEFORE)
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"state": [before, fresh.state]},
        note=f"{transitions.ACTIONS[action]} {note}".strip(),
    )
    _notify_step(fresh, action, note, event, actor)
    return fresh


def _notify_step(hazard, action, note, event, actor):
    label = _label(hazard)
    key = f"hazard:{hazard.pk}:{action}:{event.pk}"
    if action == "submit":
        if hazard.is_major:
            recipients = list(town_officers(hazard.town_id))
            if hazard.acceptor_agency_id:
                recipients += list(agency_users(hazard.acceptor_agency_id))
        else:
            recipients = list(agency_users(hazard.agency_id)) if hazard.agency_id else []
            recipients = recipients or list(town_officers(hazard.town_id))
        days = conf.get("HAZARD_ACCEPTANCE_DAYS")
        notify(
            actor=actor,
            recipients=recipients,
            kind="hazard_submitted",
            title=_("隐患整改完成，请在 %(n)d 日内验收：%(h)s") % {"n": days, "h": label},
            body=note,
            link=_link(hazard),
            level=Level.WARNING if hazard.is_major else Level.INFO,
            dedup_key=key,
        )
    elif action in ("accept", "reject"):
        title = (_("隐患已验收销号：%(h)s") if action == "accept" else _("隐患验收未通过，退回整改：%(h)s")) % {
            "h": label
        }
        recipients = list(enterprise_users(hazard.enterprise_id))
        if hazard.agency_id:
            recipients += list(agency_users(hazard.agency_id))
        notify(
            actor=actor,
            recipients=recipients,
            kind=f"hazard_{action}",
            title=title,
            body=note,
            link=_link(hazard),
            dedup_key=key,
        )
    elif action == "appoint" and hazard.acceptor_agency_id:
        notify(
            actor=actor,
            recipients=agency_users(hazard.acceptor_agency_id),
            kind="hazard_appointed",
            title=_("受委托验收重大事故隐患：%(h)s") % {"h": label},
            link=_link(hazard),
            dedup_key=key,
        )


@uploads.discard_files_on_error
@transaction.atomic
def hazard_add_evidence(*, actor, hazard, photos, note: str = "") -> Hazard:
    """Upload rectification photos while rectifying (enterprise or agency), without changing state."""
    fresh = _lock(actor, hazard)
    if fresh.state != HazardState.RECTIFYING:
        raise ValidationError(_("只有整改中的隐患可以上传整改照片"))
    if not transitions.relations(actor, fresh) & {transitions.ENTERPRISE, transitions.AGENCY}:
        raise PermissionDenied(_("只有企业或服务机构可以上传整改照片"))
    images = uploads.verify_images(photos, field="photos")
    if not images:
        raise ValidationError(_("请选择照片"))
    event = _event(fresh, actor, "evidence", fresh.state, note or _("上传整改照片"))
    _save_photos(fresh, event, actor, images, PhotoStage.AFTER)
    return fresh


# ---------------------------------------------------------------- steps beside the state machine


def _side_check(actor, fresh, action):
    if actor is None or not actor.has_perm("hazards.change_hazard"):
        raise PermissionDenied(_("您没有处理隐患的权限"))
    states, parties = transitions.SIDE_ACTIONS[action]
    label = transitions.SIDE_LABELS[action]
    if not transitions.relations(actor, fresh) & parties:
        raise PermissionDenied(_("您不能对该隐患执行“%(a)s”") % {"a": label})
    if fresh.state not in states:
        raise ValidationError(
            _("隐患当前状态为“%(s)s”，不能执行“%(a)s”") % {"s": fresh.get_state_display(), "a": label}
        )


@transaction.atomic
def hazard_urge(*, actor, hazard, message: str) -> HazardEvent:
    """督办/催办: an officer presses the enterprise (and its town office) to rectify; kept in the history."""
    fresh = _lock(actor, hazard)
    _side_check(actor, fresh, "urge")
    message = (message or "").strip()
    if not message:
        raise ValidationError({"message": _("督办催办须填写督办意见")})
    event = _event(fresh, actor, "urge", fresh.state, message)
    record(actor=actor, action=AuditAction.UPDATE, instance=fresh, changes={"urge": [None, message]}, note=message)
    recipients = list(enterprise_users(fresh.enterprise_id)) + list(town_officers(fresh.town_id))
    notify(
        actor=actor,
        recipients=recipients,
        kind="hazard_urged",
        title=_("隐患督办：%(h)s，整改期限 %(d)s") % {"h": _label(fresh), "d": fresh.deadline.isoformat()},
        body=message,
        link=_link(fresh),
        level=Level.URGENT if fresh.is_major or fresh.is_overdue else Level.WARNING,
        dedup_key=f"hazard:{fresh.pk}:urge:{event.pk}",
    )
    return event


@transaction.atomic
def hazard_request_extension(*, actor, hazard, requested_deadline: date, reason: str) -> HazardExtension:
    """申请延期: the party that rectifies asks for a later deadline, with its reason."""
    fresh = _lock(actor, hazard)
    _side_check(actor, fresh, "extend")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("申请延期须说明理由")})
    if requested_deadline is None or requested_deadline <= fresh.deadline:
        raise ValidationError(
            {"requested_deadline": _("申请延期的期限须晚于原整改期限（%(d)s）") % {"d": fresh.deadline.isoformat()}}
        )
    days = conf.get("HAZARD_EXTENSION_MAX_DAYS")
    latest = fresh.deadline + timedelta(days=days)
    if requested_deadline > latest:
        raise ValidationError(
            {
                "requested_deadline": _("每次延期最长 %(n)d 天（设置项）：申请的期限不能晚于 %(max)s")
                % {"n": days, "max": latest.isoformat()}
            }
        )
    if fresh.extensions.filter(state=ExtensionState.PENDING).exists():
        raise ValidationError(_("该隐患已有待审批的延期申请"))
    ext = HazardExtension(
        hazard=fresh,
        previous_deadline=fresh.deadline,
        requested_deadline=requested_deadline,
        reason=reason,
        requested_by=actor,
    )
    ext.full_clean()
    ext.save()
    note = _("申请延期至 %(d)s:%(r)s") % {"d": requested_deadline.isoformat(), "r": reason}
    _event(fresh, actor, "extension_request", fresh.state, note)
    record(actor=actor, action=AuditAction.CREATE, instance=ext, changes={"state": [None, ext.state]}, note=note)
    recipients = list(town_officers(fresh.town_id)) + (list(county_officers()) if fresh.is_major else [])
    notify(
        actor=actor,
        recipients=recipients,
        kind="hazard_extension_requested",
        title=_("隐患延期申请待审批：%(h)s(%(a)s → %(b)s)")
        % {"h": _label(fresh), "a": fresh.deadline.isoformat(), "b": requested_deadline.isoformat()},
        body=reason,
        link=_link(fresh),
        level=Level.WARNING,
        dedup_key=f"hazard-extension:{ext.pk}:requested",
    )
    return ext


@transaction.atomic
def hazard_decide_extension(*, actor, extension, decision: str, note: str = "") -> HazardExtension:
    """批准/不批准延期 (county officer: any hazard; town officer: its own town's). Approval moves the deadline."""
    if actor is None or not actor.has_perm("hazards.change_hazard"):
        raise PermissionDenied(_("您没有处理隐患的权限"))
    fresh = _lock(actor, extension.hazard)
    try:
        ext = HazardExtension.objects.select_for_update().get(pk=extension.pk, hazard=fresh)
    except HazardExtension.DoesNotExist:
        raise PermissionDenied(_("该隐患不在您的数据权限范围内")) from None
    label = transitions.EXTENSION_ACTIONS.get(decision, decision)
    row = transitions.EXTENSION_TABLE.get((ext.state, decision))
    if row is None:
        raise ValidationError(
            _("延期申请当前状态为“%(s)s”，不能执行“%(a)s”") % {"s": ext.get_state_display(), "a": label}
        )
    if not transitions.relations(actor, fresh) & row[1]:
        raise PermissionDenied(_("您不能对该隐患执行“%(a)s”") % {"a": label})
    if fresh.state == HazardState.CLOSED:
        raise ValidationError(_("隐患已销号，不能审批延期"))
    note = (note or "").strip()
    if decision == "refuse" and not note:
        raise ValidationError({"note": _("不批准延期须说明理由")})
    ext.state, ext.decided_by, ext.decided_at, ext.decision_note = row[0], actor, timezone.now(), note
    ext.full_clean()
    ext.save()
    before = fresh.deadline
    if decision == "approve":
        fresh.deadline = ext.requested_deadline
        fresh.full_clean()
        fresh.save()
        text = _("批准延期：整改期限 %(a)s → %(b)s") % {"a": before.isoformat(), "b": fresh.deadline.isoformat()}
        changes = {"deadline": [before.isoformat(), fresh.deadline.isoformat()]}
    else:
        text = _("不批准延期（申请延期至 %(b)s），整改期限仍为 %(a)s") % {
            "a": before.isoformat(),
            "b": ext.requested_deadline.isoformat(),
        }
        changes = {"extension": [ExtensionState.PENDING.value, ext.state]}
    full = f"{text}。{note}" if note else text
    _event(fresh, actor, f"extension_{decision}", fresh.state, full)
    record(actor=actor, action=AuditAction.UPDATE, instance=fresh, changes=changes, note=full)
    recipients = [ext.requested_by, *enterprise_users(fresh.enterprise_id)]
    if fresh.agency_id:
        recipients += list(agency_users(fresh.agency_id))
    notify(
        actor=actor,
        recipients=recipients,
        kind=f"hazard_extension_{ext.state}",
        title=f"{text}:{_label(fresh)}",
        body=note,
        link=_link(fresh),
        dedup_key=f"hazard-extension:{ext.pk}:{ext.state}",
    )
    return ext


def issuer_of(user) -> tuple[str, str]:
    """(issuer key, issuer organisation name): the numbering sequence a document takes its number in."""
    if user.role == Role.COUNTY:
        return "county", queries.org_name(user)
    if user.role in FINDERS:  # an expert signs as a person; insurer staff for their insurer
        link = "expert" if user.role == Role.EXPERT else "insurer"
        if getattr(user, f"{link}_id", None):
            return f"{link}:{getattr(user, f'{link}_id')}", queries.org_name(user)
    for link in ("town", "agency", "enterprise"):
        if user.role == link and getattr(user, f"{link}_id", None):
            return f"{link}:{getattr(user, f'{link}_id')}", queries.org_name(user)
    raise PermissionDenied(_("您不能签发整改文书"))


def hazard_issue_notice(*, actor, hazards, visit=None) -> IssuedNotice:
    """签发整改文书: number it, fix its date, render and store its PDF once, and record its hash.

    One or more open hazards of one enterprise (all those of a visit, for the visit's notice). The
    stored PDF is deleted again if anything after it fails (the transaction rolls back)."""
    stored = []
    try:
        return _issue_notice(actor=actor, hazards=hazards, visit=visit, stored=stored)
    except BaseException:
        for f in stored:
            f.storage.delete(f.name)
        raise


@transaction.atomic
def _issue_notice(*, actor, hazards, visit, stored) -> IssuedNotice:
    locked = [_lock(actor, h) for h in sorted(hazards, key=lambda h: h.pk)]
    if not locked:
        raise ValidationError(_("没有可签发整改文书的隐患"))
    for h in locked:
        _side_check(actor, h, "issue_notice")
    rel = transitions.relations(actor, locked[0])
    kind = next(transitions.ISSUED_KIND[r] for r in transitions.RELATIONS if r in rel)
    return _number_and_store(actor=actor, locked=locked, kind=kind, visit=visit, stored=stored)


# Who found hazards on a service of their own without holding hazard rights (hazard_report_found).
FINDERS = {Role.EXPERT: HazardSource.EXPERT, Role.INSURER: HazardSource.INSURER}


def hazard_issue_found_notice(*, actor, hazards) -> IssuedNotice:
    """隐患整改建议书 for the hazards an expert or insurer staff has just found (``hazard_report_found``)
    on a service the calling action authorised: the written notice to the insured that AQ 9010 asks
    for, numbered in the expert's or the insurer's own sequence, stored and sent like any other. Only
    open hazards the actor reported themselves, of one enterprise."""
    stored = []
    try:
        return _issue_found_notice(actor=actor, hazards=hazards, stored=stored)
    except BaseException:
        for f in stored:
            f.storage.delete(f.name)
        raise


@transaction.atomic
def _issue_found_notice(*, actor, hazards, stored) -> IssuedNotice:
    source = FINDERS.get(getattr(actor, "role", None))
    ids = sorted(h.pk for h in hazards)
    locked = list(
        Hazard.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .filter(pk__in=ids, source=source, reported_by=actor, state__in=transitions.OPEN)
        .order_by("pk")
    )
    if source is None or not ids or len(locked) != len(ids):
        raise PermissionDenied(_("只能为本人在服务中发现的未闭环隐患签发整改建议书"))
    return _number_and_store(actor=actor, locked=locked, kind=NoticeKind.ADVICE, visit=None, stored=stored)


def _number_and_store(*, actor, locked, kind, visit, stored) -> IssuedNotice:
    enterprise = locked[0].enterprise
    if any(h.enterprise_id != enterprise.pk for h in locked):
        raise ValidationError(_("一份整改文书只能针对一家企业"))
    with translation.override("zh-hans"):  # the issuer's name on a legal document is Chinese
        key, org = issuer_of(actor)
    issued_at = timezone.now()
    issued_on = timezone.localdate(issued_at)
    for _attempt in range(3):
        seq = (IssuedNotice.objects.filter(issuer_key=key, year=issued_on.year).aggregate(m=Max("seq"))["m"] or 0) + 1
        number = documents.notice_number(kind=kind, issuer_org=org, year=issued_on.year, seq=seq)
        pdf = documents.render_notice_pdf(
            kind=kind,
            number=number,
            enterprise=enterprise,
            hazards=locked,
            issuer_name=str(actor),
            issuer_org=org,
            issued_on=issued_on,
            visit=visit,
        )
        notice = IssuedNotice(
            number=number,
            kind=kind,
            issuer_key=key,
            year=issued_on.year,
            seq=seq,
            issuer=actor,
            issuer_name=str(actor)[:150],
            issuer_org=org[:200],
            issued_at=issued_at,
            issued_on=issued_on,
            enterprise=enterprise,
            visit=visit,
            sha256=hashlib.sha256(pdf).hexdigest(),
        )
        notice.file.save("notice.pdf", ContentFile(pdf), save=False)
        stored.append(notice.file)
        try:
            notice.full_clean()
            with transaction.atomic():
                notice.save()
            break
        except (IntegrityError, ValidationError):
            if IssuedNotice.objects.filter(issuer_key=key, year=issued_on.year, seq=seq).exists():
                stored.remove(notice.file)
                notice.file.storage.delete(notice.file.name)
                continue  # another officer of the same office took this number at the same moment
            raise
    else:
        raise ValidationError(_("文书编号冲突，请重试"))
    notice.hazards.set(locked)
    title = notice.get_kind_display()
    note = _("签发《%(t)s》%(n)s，文件 SHA-256 %(h)s") % {"t": title, "n": number, "h": notice.sha256}
    for h in locked:
        _event(h, actor, "notice", h.state, note)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=notice,
        changes={"number": [None, number], "sha256": [None, notice.sha256], "hazards": [None, [h.pk for h in locked]]},
        note=note,
    )
    notify(
        actor=actor,
        recipients=enterprise_users(enterprise.pk),
        kind="hazard_notice",
        title=_("收到《%(t)s》%(n)s") % {"t": title, "n": number},
        body=_("签发单位：%(o)s；隐患 %(c)d 项。") % {"o": org, "c": len(locked)},
        link=notice.get_absolute_url(),
        level=Level.WARNING if kind == "order" else Level.INFO,
        dedup_key=f"hazard-notice:{notice.pk}",
    )
    return notice


# ---------------------------------------------------------------- jobs


def send_deadline_reminders(today: date | None = None) -> int:
    """Job: N days (setting, default 3) before the deadline, remind the enterprise and the agency."""
    today = today or timezone.localdate()
    days = conf.get("HAZARD_REMINDER_DAYS")
    target = today + timedelta(days=days)
    sent = 0
    qs = (
        Hazard.objects.exclude(state=HazardState.CLOSED)
        .filter(deadline__gte=today, deadline__lte=target)
        .select_related("enterprise")
        .order_by("deadline", "id")
    )
    for h in qs.iterator(chunk_size=1000):
        recipients = list(enterprise_users(h.enterprise_id))
        if h.agency_id:
            recipients += list(agency_users(h.agency_id))
        sent += len(
            notify(
                actor=None,
                recipients=recipients,
                kind="hazard_reminder",
                title=_("隐患整改期限将至（%(d)s）：%(h)s") % {"d": h.deadline.isoformat(), "h": _label(h)},
                body=_("距整改期限还有 %(n)d 天（提前 %(r)d 天提醒，设置项）。")
                % {"n": (h.deadline - today).days, "r": days},
                link=_link(h),
                level=Level.WARNING,
                dedup_key=f"hazard:{h.pk}:reminder:{h.deadline.isoformat()}",
            )
        )
    return sent


def escalate_overdue(today: date | None = None) -> int:
    """Job, daily: escalate overdue hazards to the town office.

    One digest per town per day (how many are overdue, which became overdue today) instead of one
    message per hazard, so a town with hundreds of overdue hazards is not flooded; every overdue
    重大 hazard is also escalated on its own, urgently. Idempotent per day.
    """
    from django.db.models import Count, Q

    today = today or timezone.localdate()
    overdue = Hazard.objects.exclude(state=HazardState.CLOSED).filter(deadline__lt=today)
    per_town = overdue.values("town_id", "town__name").annotate(
        n=Count("id"), major=Count("id", filter=Q(level=HazardLevel.MAJOR))
    )
    newly = {}
    for h in overdue.filter(deadline=today - timedelta(days=1)).select_related("enterprise").order_by("town_id", "id"):
        newly.setdefault(h.town_id, []).append(h)
    sent = 0
    list_url = reverse("hazards:hazard_list") + "?overdue=true&sort=-overdue_days"  # most overdue first
    for row in per_town.order_by("town_id"):
        fresh = newly.get(row["town_id"], [])
        lines = [f"· {_label(h)}（期限 {h.deadline.isoformat()}）" for h in fresh[:20]]
        body = _("其中今日新增逾期 %(n)d 条。") % {"n": len(fresh)} + ("\n" + "\n".join(lines) if lines else "")
        sent += len(
            notify(
                actor=None,
                recipients=town_officers(row["town_id"]),
                kind="hazard_overdue",
                title=_("%(town)s：逾期未整改隐患 %(n)d 条（重大 %(m)d 条）")
                % {"town": row["town__name"], "n": row["n"], "m": row["major"]},
                body=body,
                link=list_url,
                level=Level.URGENT if row["major"] else Level.WARNING,
                dedup_key=f"hazards:overdue:{row['town_id']}:{today.isoformat()}",
            )
        )
    for h in overdue.filter(level=HazardLevel.MAJOR).select_related("enterprise").iterator(chunk_size=1000):
        sent += len(
            notify(
                actor=None,
                recipients=town_officers(h.town_id),
                kind="hazard_overdue_major",
                title=_("重大事故隐患逾期未整改（已逾期 %(n)d 天）：%(h)s")
                % {"n": (today - h.deadline).days, "h": _label(h)},
                body=_("挂牌督办；整改期限：%(d)s；状态：%(s)s")
                % {"d": h.deadline.isoformat(), "s": h.get_state_display()},
                link=_link(h),
                level=Level.URGENT,
                dedup_key=f"hazard:{h.pk}:overdue:{today.isoformat()}",
            )
        )
    return sent
