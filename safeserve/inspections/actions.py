"""Every write of inspection plans, draws and records: atomic, validated, audited.

Random choices go only through ``core.draws`` (freeze, then a value entered afterwards)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import draws, uploads
from safeserve.core.audit import AuditAction, record
from safeserve.core.models import Draw, DrawStatus
from safeserve.hazards import actions as hazard_actions
from safeserve.hazards.choices import HazardSource
from safeserve.notifications.actions import notify
from safeserve.notifications.queries import enterprise_users
from safeserve.registry.models import Enterprise

from . import planning
from .choices import InspectionKind, PlanStatus, TargetKind, TargetStatus
from .models import Inspection, InspectionPlan, PlanTarget, TargetDraw

TARGETS = "inspections.targets"
INSPECTORS = "inspections.inspectors"


def _require(actor, perm):
    if actor is None or not actor.has_perm(perm):
        raise PermissionDenied(_("您没有该操作的权限"))


def _county(actor):
    if (
        actor is None
        or getattr(actor, "role", None) != Role.COUNTY
        or not actor.has_perm("inspections.change_inspectionplan")
    ):
        raise PermissionDenied(_("只有县局可以生成计划和组织抽取"))


def _lock_plan(actor, plan):
    try:
        return InspectionPlan.objects.visible_to(actor, "change").select_for_update().get(pk=plan.pk)
    except InspectionPlan.DoesNotExist:
        raise PermissionDenied(_("该计划不在您的数据权限范围内")) from None


@transaction.atomic
def plan_commit(*, actor, plan) -> int:
    """Write the previewed mandatory list as the plan's targets (once; a committed plan keeps them)."""
    _county(actor)
    plan = _lock_plan(actor, plan)
    if plan.status == PlanStatus.COMMITTED:
        raise ValidationError(_("该计划已生成，重点检查名单不再重新生成。"))
    pv = planning.preview(plan)
    rows = [
        PlanTarget(
            plan=plan,
            enterprise_id=r.enterprise["pk"],
            month=m,
            kind=TargetKind.MANDATORY,
            reasons="；".join(r.reasons)[:300],
        )
        for r in pv.rows
        for m in r.months
    ]
    PlanTarget.objects.bulk_create(rows, batch_size=500)
    plan.status = PlanStatus.COMMITTED
    plan.committed_at = timezone.now()
    plan.save(update_fields=["status", "committed_at"])
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=plan,
        changes={"status": [PlanStatus.DRAFT, PlanStatus.COMMITTED], "mandatory_targets": [0, len(rows)]},
        note=_("生成计划：重点检查 %(n)s 次，双随机名额 %(r)s 次") % {"n": len(rows), "r": pv.random_slots},
    )
    return len(rows)


@transaction.atomic
def targets_freeze(
    *, actor, plan, month: int, places: int, reserves: int = 0, supersedes=None, reason=""
) -> TargetDraw:
    """Freeze the random pool of a plan's target draw (names published, weights by risk colour)."""
    _county(actor)
    plan = _lock_plan(actor, plan)
    if plan.status != PlanStatus.COMMITTED:
        raise ValidationError(_("请先预览并生成计划（重点检查名单），再进行双随机抽取。"))
    if not 1 <= int(month) <= 12:
        raise ValidationError({"month": _("检查月份须为1至12。")})
    if supersedes is not None:
        old = supersedes.draw
        for t in supersedes.targets.select_for_update(of=("self",)):
            if t.status == TargetStatus.DONE:
                raise ValidationError(_("该次抽取的对象已有检查记录，不能重新抽取。"))
        supersedes.targets.update(status=TargetStatus.VOID)
    else:
        old = None
    candidates, exclusions = planning.random_pool(plan)
    draw = draws.freeze_draw(
        actor=actor,
        purpose=TARGETS,
        purpose_label=_("%(plan)s %(m)s月双随机抽查对象") % {"plan": plan.name, "m": month},
        candidates=candidates,
        places=int(places),
        reserves=int(reserves),
        exclusions=exclusions,
        reference=f"inspections.inspectionplan:{plan.pk}",
        publish_labels=True,
        supersedes=old,
        redraw_reason=reason,
    )
    td = TargetDraw(plan=plan, month=int(month), draw=draw)
    td.full_clean()
    td.save()
    return td


@transaction.atomic
def targets_enter_value(*, actor, target_draw, source: str, value: str = "", note: str = "") -> list[PlanTarget]:
    """Enter the random value; the chosen units become the plan's random targets for that month."""
    _county(actor)
    _lock_plan(actor, target_draw.plan)
    draw = draws.enter_value(actor=actor, draw=target_draw.draw, value=value, source=source, note=note)
    rows = [
        PlanTarget(
            plan=target_draw.plan,
            enterprise_id=int(eid),
            month=target_draw.month,
            kind=TargetKind.RANDOM,
            reasons=_("双随机抽取 %(n)s") % {"n": draw.number},
            target_draw=target_draw,
        )
        for eid in draws.chosen(draw)
    ]
    return PlanTarget.objects.bulk_create(rows)


def _target_locked(actor, target):
    try:
        return (
            PlanTarget.objects.visible_to(actor, "view")
            .select_for_update(of=("self",))
            .select_related("enterprise", "plan")
            .get(pk=target.pk)
        )
    except PlanTarget.DoesNotExist:
        raise PermissionDenied(_("该检查对象不在您的数据权限范围内")) from None


@transaction.atomic
def inspectors_freeze(*, actor, target, reason: str = "") -> Draw:
    """Freeze the two-inspector draw of one target: certified officers minus declared conflicts and
    who inspected the unit last round, each exclusion with its reason. A second call is a re-draw
    (new draw citing the old one; ``reason`` required)."""
    _county(actor)
    target = _target_locked(actor, target)
    if target.status != TargetStatus.PLANNED:
        raise ValidationError(_("该检查对象已检查或已作废，不能抽取检查人员。"))
    candidates, exclusions = planning.officer_pool(target.enterprise)
    old = target.inspector_draw
    draw = draws.freeze_draw(
        actor=actor,
        purpose=INSPECTORS,
        purpose_label=_("%(e)s 检查人员抽取") % {"e": target.enterprise.name},
        candidates=candidates,
        places=2,
        exclusions=exclusions,
        reference=f"inspections.plantarget:{target.pk}",
        publish_labels=False,  # officers' names are not published; ids and hash are
        supersedes=old,
        redraw_reason=reason if old is not None else "",
    )
    target.inspector_draw = draw
    target.officer_1 = target.officer_2 = None
    target.save(update_fields=["inspector_draw", "officer_1", "officer_2"])
    return draw


@transaction.atomic
def inspectors_enter_value(*, actor, target, source: str, value: str = "", note: str = "") -> PlanTarget:
    _county(actor)
    target = _target_locked(actor, target)
    if target.inspector_draw is None:
        raise ValidationError(_("请先冻结检查人员名单。"))
    draw = draws.enter_value(actor=actor, draw=target.inspector_draw, value=value, source=source, note=note)
    first, second = (int(x) for x in draws.chosen(draw))
    target.officer_1_id, target.officer_2_id = first, second
    target.save(update_fields=["officer_1", "officer_2"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=target,
        changes={"officers": [None, [first, second]]},
        note=_("随机抽定检查人员（%(n)s）") % {"n": draw.number},
    )
    return target


@transaction.atomic
def inspectors_batch(*, actor, target_draw, source: str, value: str = "", note: str = "") -> int:
    """For each target of a drawn target draw: freeze its inspector draw (when none is frozen yet),
    then — with a value source — enter the value. Freezing and a value the operator types are never
    the same step: ``value`` applies only to draws frozen before this call."""
    _county(actor)
    done = 0
    for target in target_draw.targets.filter(status=TargetStatus.PLANNED).order_by("pk"):
        draw = target.inspector_draw
        if draw is None:
            inspectors_freeze(actor=actor, target=target)
            if source == "server":
                inspectors_enter_value(actor=actor, target=target, source=source, note=note)
                done += 1
        elif draw.status == DrawStatus.FROZEN and source:
            inspectors_enter_value(actor=actor, target=target, source=source, value=value, note=note)
            done += 1
    return done


def year_load(enterprise_id: int, year: int) -> int:
    return planning.cap_load([enterprise_id], year).get(enterprise_id, 0)


@uploads.discard_files_on_error
@transaction.atomic
def inspection_record(
    *,
    actor,
    enterprise: Enterprise,
    kind: str,
    officer_1,
    officer_2,
    inspected_on,
    items_checked: str,
    result: str,
    result_summary: str,
    case_reason: str = "",
    plan_target: PlanTarget | None = None,
    support_note: str = "",
    support_file=None,
    findings=(),
) -> Inspection:
    """监督检查记录 with its findings: each finding becomes a hazard (source 政府检查) in the same step."""
    _require(actor, "inspections.add_inspection")
    if actor.role not in (Role.COUNTY, Role.TOWN):
        raise PermissionDenied(_("只有执法人员可以录入监督检查记录"))
    if not Enterprise.objects.visible_to(actor).filter(pk=enterprise.pk).exists():
        raise PermissionDenied(_("该企业不在您的数据权限范围内"))
    if plan_target is not None:
        plan_target = _target_locked(actor, plan_target)
        if plan_target.enterprise_id != enterprise.pk:
            raise ValidationError({"enterprise": _("检查对象与企业不一致。")})
        if plan_target.status != TargetStatus.PLANNED:
            raise ValidationError(_("该检查对象已检查或已作废。"))
        kind = InspectionKind.RANDOM if plan_target.kind == TargetKind.RANDOM else InspectionKind.PLANNED
        drawn = {plan_target.officer_1_id, plan_target.officer_2_id} - {None}
        if drawn and drawn != {getattr(officer_1, "pk", None), getattr(officer_2, "pk", None)}:
            raise ValidationError(
                {
                    "officer_1": _("该检查对象已随机抽定检查人员：%(a)s、%(b)s；如需更换，请重新抽取并写明理由。")
                    % {"a": plan_target.officer_1, "b": plan_target.officer_2}
                }
            )
    elif kind in (InspectionKind.PLANNED, InspectionKind.RANDOM):
        raise ValidationError({"kind": _("计划检查和双随机检查须从计划检查对象（任务清单）进入录入。")})
    doc = uploads.verify_pdf(support_file, name=_("技术支撑材料")) if support_file else None
    inspection = Inspection(
        enterprise=enterprise,
        town_id=enterprise.town_id,
        plan_target=plan_target,
        kind=kind,
        case_reason=case_reason or "",
        officer_1=officer_1,
        officer_2=officer_2,
        inspected_on=inspected_on,
        items_checked=(items_checked or "").strip(),
        result=result,
        result_summary=(result_summary or "").strip(),
        support_note=(support_note or "").strip(),
        recorded_by=actor,
    )
    inspection.full_clean(exclude=["hazards"])
    if inspection.inspected_on > timezone.localdate():
        raise ValidationError({"inspected_on": _("检查日期不能晚于今天。")})
    if inspection.counts_toward_cap and plan_target is None:
        ent = Enterprise.objects.filter(pk=enterprise.pk).values(*planning.ENT_FIELDS).get()
        cap = planning.cap_for(ent)
        if year_load(enterprise.pk, inspection.inspected_on.year) + 1 > cap:
            raise ValidationError(
                {
                    "kind": _(
                        "%(e)s 本年度常规检查已达上限 %(n)s 次；投诉举报、转办交办、整改复查、依申请检查请选择“个案检查”。"
                    )
                    % {"e": enterprise.name, "n": cap}
                }
            )
    if doc is not None:
        inspection.support_sha256 = doc.sha256
        uploads.save_document(inspection.support_file, doc)
    inspection.save()
    hazards = []
    for f in findings:
        hazards.append(
            hazard_actions.hazard_report(
                actor=actor,
                enterprise=enterprise,
                location=f["location"],
                description=f["description"],
                responsible_person=f["responsible_person"],
                level=f.get("level") or "general",
                criterion=f.get("criterion"),
                deadline=f.get("deadline"),
                source=HazardSource.INSPECTION,
                note=_("监督检查发现（检查记录 %(id)s）") % {"id": inspection.pk},
            )
        )
    if hazards:
        inspection.hazards.set(hazards)
    if plan_target is not None:
        plan_target.status = TargetStatus.DONE
        plan_target.save(update_fields=["status"])
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=inspection,
        changes={"kind": [None, kind], "hazards": [None, [h.pk for h in hazards]]},
    )
    notify(
        actor=actor,
        recipients=enterprise_users(enterprise.pk),
        kind="inspection_recorded",
        title=_("监督检查记录待确认：%(d)s") % {"d": inspection.inspected_on.isoformat()},
        body=inspection.result_summary,
        link=reverse("inspections:inspection_detail", args=[inspection.pk]),
        dedup_key=f"inspection:{inspection.pk}:recorded",
    )
    return inspection


def _lock_inspection(actor, inspection, action="view"):
    try:
        return Inspection.objects.visible_to(actor, action).select_for_update(of=("self",)).get(pk=inspection.pk)
    except Inspection.DoesNotExist:
        raise PermissionDenied(_("该检查记录不在您的数据权限范围内")) from None


@transaction.atomic
def inspection_confirm(*, actor, inspection, note: str = "") -> Inspection:
    """The inspected enterprise confirms the record (签字确认), optionally with its remark."""
    if actor is None or actor.role != Role.ENTERPRISE:
        raise PermissionDenied(_("只有被检查企业可以确认检查记录"))
    fresh = _lock_inspection(actor, inspection)
    if fresh.enterprise_id != actor.enterprise_id:
        raise PermissionDenied(_("只有被检查企业可以确认检查记录"))
    if fresh.confirmed_at:
        raise ValidationError(_("该检查记录已确认。"))
    fresh.confirmed_at = timezone.now()
    fresh.confirmed_by = actor
    fresh.enterprise_note = (note or "").strip()[:300]
    fresh.save(update_fields=["confirmed_at", "confirmed_by", "enterprise_note"])
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"confirmed_at": [None, fresh.confirmed_at.isoformat()]},
        note=fresh.enterprise_note,
    )
    return fresh


@transaction.atomic
def inspection_publish(*, actor, inspection) -> Inspection:
    """一公开: publish the result (enterprise name, date, result and its summary; no personal data)."""
    _require(actor, "inspections.publish_inspection")
    fresh = _lock_inspection(actor, inspection, "publish")
    if fresh.published_at:
        raise ValidationError(_("该检查结果已公示。"))
    fresh.published_at = timezone.now()
    fresh.save(update_fields=["published_at"])
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"published_at": [None, fresh.published_at.isoformat()]},
        note=_("公示检查结果"),
    )
    return fresh


def remind_unpublished(today) -> int:
    """一公开 within N working days: remind the record's officers and its town office of every
    unpublished result whose deadline is within 3 working days; tell the county once it is overdue.
    One message per record and stage (dedup), so the daily job may run any number of times."""
    from safeserve.notifications.models import Level
    from safeserve.notifications.queries import county_officers, town_officers

    from . import queries

    sent = 0
    soon = queries.add_working_days(today, 3)
    for inspection in (
        Inspection.objects.filter(published_at__isnull=True)
        .select_related("enterprise", "officer_1", "officer_2", "recorded_by")
        .order_by("inspected_on", "pk")
    ):
        due = queries.publish_due(inspection)
        if due > soon:
            continue
        overdue = due < today
        stage = "overdue" if overdue else "soon"
        recipients = [inspection.officer_1, inspection.officer_2, inspection.recorded_by]
        recipients += list(town_officers(inspection.town_id))
        if overdue:
            recipients += list(county_officers())
        sent += len(
            notify(
                actor=None,
                recipients=recipients,
                kind="inspection_publish_due",
                title=(
                    _("检查结果逾期未公示：%(e)s（期限 %(d)s）")
                    if overdue
                    else _("检查结果待公示：%(e)s（期限 %(d)s）")
                )
                % {"e": inspection.enterprise.name, "d": due.isoformat()},
                link=reverse("inspections:inspection_detail", args=[inspection.pk]),
                level=Level.URGENT if overdue else Level.INFO,
                dedup_key=f"inspection:{inspection.pk}:publish:{stage}",
            )
        )
    return sent
