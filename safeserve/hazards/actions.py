"""Every write of a hazard's life, plus the reminder and escalation jobs."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import uploads
from safeserve.core.audit import AuditAction, record
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import agency_users, county_officers, enterprise_users, town_officers
from safeserve.registry.models import Enterprise
from safeserve.services.models import ServiceVisit

from . import conf, queries, transitions
from .choices import HazardLevel, HazardSource, HazardState, PhotoStage
from .models import Hazard, HazardEvent, HazardPhoto, MajorHazardCriterion, RemediationPlan


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
        actor_name=(str(actor) if actor is not None else "system")[:150],
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
            sha256=image.sha256,
            name=image.name[:200],
            taken_at=image.taken_at,
            latitude=image.latitude,
            longitude=image.longitude,
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
    if level == HazardLevel.MAJOR and criterion is None:
        raise ValidationError({"criterion": _("重大事故隐患须注明判定依据(判定标准条款)")})
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
    if hazard.deadline < timezone.localdate():
        raise ValidationError({"deadline": _("整改期限不能早于今天")})
    hazard.save()
    event = _event(hazard, actor, "report", "", note)
    _save_photos(hazard, event, actor, images, PhotoStage.BEFORE)
    record(actor=actor, action=AuditAction.CREATE, instance=hazard, changes={"state": [None, hazard.state]}, note=note)
    title = _("新隐患:%(h)s,整改期限 %(d)s") % {"h": _label(hazard), "d": hazard.deadline.isoformat()}
    notify(
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
            recipients=list(town_officers(hazard.town_id)) + list(county_officers()),
            kind="hazard_major",
            title=_("重大事故隐患(挂牌督办):%(h)s") % {"h": _label(hazard)},
            body=_("判定依据:%(c)s。须在 %(n)d 小时内报告监管部门;整改期限 %(d)s。")
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
            _("隐患当前状态为“%(s)s”,不能执行“%(a)s”")
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
            raise ValidationError(_("重大事故隐患须先制定包含六项要素的治理方案,才能开始整改"))
    images = uploads.verify_images(photos, field="photos")
    if action == "submit" and not images and not note:
        raise ValidationError(_("申请验收须上传整改后照片或填写整改说明"))
    if action == "reject" and not note:
        raise ValidationError(_("退回整改须说明原因"))
    if action == "appoint":
        if acceptor_agency is None:
            raise ValidationError({"acceptor_agency": _("请选择受委托验收的服务机构")})
        if not queries.appointable_agencies(actor).filter(pk=acceptor_agency.pk).exists():
            raise ValidationError(
                {
                    "acceptor_agency": _("%(a)s 不在服务机构名录中(不在册)或不在您的数据权限范围内,不能受委托验收")
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
    _notify_step(fresh, action, note, event)
    return fresh


def _notify_step(hazard, action, note, event):
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
            recipients=recipients,
            kind="hazard_submitted",
            title=_("隐患整改完成,请在 %(n)d 日内验收:%(h)s") % {"n": days, "h": label},
            body=note,
            link=_link(hazard),
            level=Level.WARNING if hazard.is_major else Level.INFO,
            dedup_key=key,
        )
    elif action in ("accept", "reject"):
        title = (_("隐患已验收销号:%(h)s") if action == "accept" else _("隐患验收未通过,退回整改:%(h)s")) % {"h": label}
        recipients = list(enterprise_users(hazard.enterprise_id))
        if hazard.agency_id:
            recipients += list(agency_users(hazard.agency_id))
        notify(
            recipients=recipients, kind=f"hazard_{action}", title=title, body=note, link=_link(hazard), dedup_key=key
        )
    elif action == "appoint" and hazard.acceptor_agency_id:
        notify(
            recipients=agency_users(hazard.acceptor_agency_id),
            kind="hazard_appointed",
            title=_("受委托验收重大事故隐患:%(h)s") % {"h": label},
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
                recipients=recipients,
                kind="hazard_reminder",
                title=_("隐患整改期限将至(%(d)s):%(h)s") % {"d": h.deadline.isoformat(), "h": _label(h)},
                body=_("距整改期限还有 %(n)d 天(提前 %(r)d 天提醒,设置项)。")
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
    list_url = reverse("hazards:hazard_list") + "?overdue=true"
    for row in per_town.order_by("town_id"):
        fresh = newly.get(row["town_id"], [])
        lines = [f"· {_label(h)}(期限 {h.deadline.isoformat()})" for h in fresh[:20]]
        body = _("其中今日新增逾期 %(n)d 条。") % {"n": len(fresh)} + ("\n" + "\n".join(lines) if lines else "")
        sent += len(
            notify(
                recipients=town_officers(row["town_id"]),
                kind="hazard_overdue",
                title=_("%(town)s:逾期未整改隐患 %(n)d 条(重大 %(m)d 条)")
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
                recipients=town_officers(h.town_id),
                kind="hazard_overdue_major",
                title=_("重大事故隐患逾期未整改(已逾期 %(n)d 天):%(h)s")
                % {"n": (today - h.deadline).days, "h": _label(h)},
                body=_("挂牌督办;整改期限:%(d)s;状态:%(s)s")
                % {"d": h.deadline.isoformat(), "s": h.get_state_display()},
                link=_link(h),
                level=Level.URGENT,
                dedup_key=f"hazard:{h.pk}:overdue:{today.isoformat()}",
            )
        )
    return sent
