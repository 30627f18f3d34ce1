"""Every write of the associations app: membership periods, campaigns and their groups, inspections."""

from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import uploads
from safeserve.core.actions import create_record, update_record
from safeserve.core.audit import AuditAction, record
from safeserve.core.identity import normalize_code
from safeserve.hazards.actions import hazard_report_mutual
from safeserve.notifications.actions import notify
from safeserve.notifications.queries import enterprise_users
from safeserve.registry.models import Association, Enterprise
from safeserve.services.actions import unanswered_message
from safeserve.services.chain import GENESIS, digest
from safeserve.services.choices import ItemResult
from safeserve.services.evidence import store_answers_and_photos

from .models import (
    Campaign,
    CampaignGroup,
    InspectionHazard,
    InspectionPhoto,
    InspectionResult,
    Membership,
    MutualInspection,
)
from .queries import member_ids_on


def _fail(field, message):
    raise ValidationError({field: message})


def _own_association(actor, association_id=None) -> Association:
    """The association the actor manages members for: its own, or (the county) the one named."""
    if actor is None or not actor.has_perm("associations.add_membership"):
        raise PermissionDenied(_("您没有管理会员的权限"))
    if actor.role == Role.ASSOCIATION:
        association_id = actor.association_id
    rows = Association.objects.visible_to(actor, "change" if actor.role == Role.COUNTY else "view")
    association = rows.filter(pk=association_id).first() if association_id else None
    if association is None:
        _fail("association", _("请选择行业协会"))
    return association


# ---------------------------------------------------------------- membership


@transaction.atomic
def membership_join(*, actor, credit_code: str, joined_on: date, association_id=None, note: str = "") -> Membership:
    """An enterprise joins: a new open membership period, and it becomes a current member."""
    association = _own_association(actor, association_id)
    code = normalize_code(credit_code or "")
    enterprise = Enterprise.objects.filter(credit_code=code).first()
    if enterprise is None:
        _fail("credit_code", _("统一社会信用代码“%(c)s”不在企业名录中") % {"c": code or "-"})
    if joined_on is None:
        _fail("joined_on", _("请填写入会日期"))
    Association.objects.select_for_update().filter(pk=association.pk).first()
    if Membership.objects.filter(association=association, enterprise=enterprise, left_on__isnull=True).exists():
        _fail("credit_code", _("%(e)s 已是本协会会员") % {"e": enterprise.name})
    last = Membership.objects.filter(association=association, enterprise=enterprise).order_by("-left_on").first()
    if last is not None and last.left_on and joined_on <= last.left_on:
        _fail("joined_on", _("入会日期须晚于上次退会日期（%(d)s）") % {"d": last.left_on.isoformat()})
    membership = Membership(association=association, enterprise=enterprise, joined_on=joined_on, note=note.strip())
    membership.full_clean()
    membership.save()
    association.members.add(enterprise)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=membership,
        changes={"enterprise": [None, enterprise.name], "joined_on": [None, joined_on.isoformat()]},
        note=_("入会"),
    )
    return membership


@transaction.atomic
def membership_update(*, actor, membership: Membership, left_on: date | None, note: str = "") -> Membership:
    """Record the leaving date (the member leaves on it) or correct the note; both audited."""
    if left_on is not None and left_on > timezone.localdate():
        _fail("left_on", _("退会日期不能晚于今天"))
    was_open = membership.left_on is None
    if left_on is None and not was_open:
        _fail("left_on", _("已退会的会员期不能重新打开；重新入会请新增会员"))
    fresh = update_record(actor=actor, instance=membership, data={"left_on": left_on, "note": (note or "").strip()})
    if was_open and fresh.left_on is not None:
        fresh.association.members.remove(fresh.enterprise_id)
    return fresh


# ---------------------------------------------------------------- campaigns and groups


def campaign_save(*, actor, campaign: Campaign | None, data: dict) -> Campaign:
    """An association plans (or re-plans) its own campaign; the association is always the actor's."""
    if actor is None or actor.role != Role.ASSOCIATION:
        raise PermissionDenied(_("只有行业协会可以组织互查活动"))
    if campaign is None:
        data = {**data, "association_id": actor.association_id}
        return create_record(actor=actor, model=Campaign, data=data, system_fields=("association_id",))
    if campaign.inspections.exists() and data.get("template") and data["template"].pk != campaign.template_id:
        _fail("template", _("已有互查记录，检查表不能更换"))
    return update_record(actor=actor, instance=campaign, data=data)


def group_save(*, actor, group: CampaignGroup | None, data: dict, m2m: dict) -> CampaignGroup:
    """A group's members must be current members of the campaign's association."""
    campaign = data.get("campaign") or (group.campaign if group else None)
    if campaign is None:
        _fail("campaign", _("请选择互查活动"))
    members = list(m2m.get("enterprises") or [])
    if len(members) < 2:
        _fail("enterprises", _("互查小组至少需要两家会员企业"))
    current = set(campaign.association.members.values_list("pk", flat=True))
    strangers = [e.name for e in members if e.pk not in current]
    if strangers:
        _fail("enterprises", _("%(names)s 不是本协会的现有会员") % {"names": "、".join(strangers[:3])})
    if group is None:
        return create_record(actor=actor, model=CampaignGroup, data=data, m2m=m2m)
    return update_record(actor=actor, instance=group, data=data, m2m=m2m)


# ---------------------------------------------------------------- inspections


def groups_for(actor, campaign) -> list[CampaignGroup]:
    if actor is None or actor.role != Role.ENTERPRISE:
        return []
    return list(campaign.groups.filter(enterprises=actor.enterprise_id))


def may_inspect(actor, campaign, inspected_id, day=None) -> CampaignGroup | None:
    """The group in which the actor's enterprise may inspect ``inspected_id`` on ``day`` (None: it may not)."""
    day = day or timezone.localdate()
    if actor is None or actor.role != Role.ENTERPRISE or not actor.has_perm("associations.add_mutualinspection"):
        return None
    if inspected_id == actor.enterprise_id or not (campaign.start_date <= day <= campaign.end_date):
        return None
    members = set(member_ids_on(campaign.association_id, day))
    if actor.enterprise_id not in members or inspected_id not in members:
        return None
    return campaign.groups.filter(enterprises=actor.enterprise_id).filter(enterprises=inspected_id).first()


def inspection_content(inspection, *, results, photo_hashes, hazard_ids) -> dict:
    return {
        "v": 1,
        "campaign": inspection.campaign_id,
        "seq": inspection.seq,
        "group": inspection.group_id,
        "inspector": inspection.inspector_id,
        "inspected": inspection.inspected_id,
        "inspected_at": timezone.localtime(inspection.inspected_at).isoformat(timespec="seconds"),
        "inspector_names": inspection.inspector_names,
        "results": sorted([int(i), str(r), str(n)] for i, r, n in results),
        "findings": inspection.findings,
        "photos": sorted(photo_hashes),
        "hazards": sorted(hazard_ids),
        "recorded_by": inspection.recorded_by_id,
        "recorded_at": timezone.localtime(inspection.recorded_at).isoformat(timespec="seconds"),
        "prev": inspection.prev_hash,
    }


def stored_digest(inspection) -> str:
    """The hash of the inspection as the database holds it now (compare with ``content_hash``)."""
    return digest(
        inspection_content(
            inspection,
            results=[(r.item_id, r.result, r.note) for r in inspection.results.all()],
            photo_hashes=[p.sha256 for p in inspection.photos.all()],
            hazard_ids=[h.hazard_id for h in inspection.hazard_links.all()],
        )
    )


@uploads.discard_files_on_error
@transaction.atomic
def inspection_record(
    *,
    actor,
    campaign: Campaign,
    inspected: Enterprise,
    inspected_at: datetime,
    inspector_names: str,
    results: dict,
    findings: str = "",
    photos=(),
) -> MutualInspection:
    """A member records its inspection of another member of its group, on the campaign's checklist.

    Every item must be answered; each "存在问题" item becomes a 一般 hazard of the inspected member
    (source 协会互查) through hazards.actions, with the photos as its 整改前 evidence. Recording is the
    inspector's confirmation; the inspected member confirms afterwards (``inspection_confirm``).
    """
    if inspected_at is None:
        _fail("inspected_at", _("请填写检查时间"))
    if timezone.is_naive(inspected_at):
        inspected_at = timezone.make_aware(inspected_at)
    if inspected_at > timezone.now() + timedelta(minutes=10):
        _fail("inspected_at", _("检查时间不能晚于当前时间"))
    day = timezone.localtime(inspected_at).date()
    if not (campaign.start_date <= day <= campaign.end_date):
        _fail(
            "inspected_at",
            _("检查时间不在活动期间（%(s)s 至 %(e)s）内") % {"s": campaign.start_date, "e": campaign.end_date},
        )
    group = may_inspect(actor, campaign, inspected.pk, day)
    if group is None:
        raise PermissionDenied(_("只有同一互查小组的现有会员之间可以互查（不能检查本企业）"))
    if not (inspector_names or "").strip():
        _fail("inspector_names", _("请填写检查人员"))
    items = list(campaign.template.items.all())
    item_ids = {i.pk for i in items}
    if set(results) - item_ids:
        _fail("results", _("检查结果含有不属于该检查表的项目"))
    missing = [i for i in items if i.pk not in results or not results[i.pk][0]]
    if missing:
        _fail("results", unanswered_message(items, missing))
    for res, note in results.values():
        if res not in ItemResult.values:
            _fail("results", _("检查结果无效"))
        if res == ItemResult.PROBLEM and not (note or "").strip():
            _fail("results", _("“存在问题”的检查项须填写说明（将作为隐患描述）"))
    images = uploads.verify_images(photos, field="photos")

    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()  # serialise the campaign's chain
    last = campaign.inspections.order_by("-seq").values("seq", "content_hash").first()
    inspection = MutualInspection(
        campaign=campaign,
        group=group,
        inspector_id=actor.enterprise_id,
        inspected=inspected,
        inspected_at=inspected_at,
        inspector_names=inspector_names.strip(),
        findings=(findings or "").strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
        seq=(last["seq"] + 1) if last else 1,
        prev_hash=last["content_hash"] if last else GENESIS,
        content_hash="0" * 64,
    )
    inspection.full_clean()
    inspection.save()
    store_answers_and_photos(
        inspection,
        link="inspection",
        results=results,
        images=images,
        answer_model=InspectionResult,
        photo_model=InspectionPhoto,
    )
    responsible = inspected.safety_manager or inspected.legal_representative
    for item in items:
        res, note = results[item.pk]
        if res != ItemResult.PROBLEM:
            continue
        hazard = hazard_report_mutual(
            actor=actor,
            enterprise=inspected,
            location=item.category[:200] or campaign.name,
            description=f"{item.text}：{note.strip()}",
            responsible_person=responsible,
            photos=images,
            note=_("%(c)s 互查发现（检查企业：%(e)s）") % {"c": campaign.name, "e": actor.enterprise.name},
        )
        InspectionHazard.objects.create(inspection=inspection, hazard=hazard)
    inspection.refresh_from_db(fields=["inspected_at", "recorded_at"])
    inspection.content_hash = stored_digest(inspection)
    MutualInspection.objects.filter(pk=inspection.pk).update(content_hash=inspection.content_hash)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=inspection,
        changes={"content_hash": [None, inspection.content_hash], "seq": [None, inspection.seq]},
        note=_("检查企业录入即确认"),
    )
    notify(
        actor=actor,
        recipients=enterprise_users(inspected.pk),
        kind="mutual_inspection",
        title=_("互查记录待确认：%(c)s") % {"c": campaign.name},
        body=_("%(e)s 于 %(d)s 对本企业进行了互查，请核对并确认。")
        % {"e": actor.enterprise.name, "d": day.isoformat()},
        link=inspection.get_absolute_url(),
        dedup_key=f"mutual:{inspection.pk}:recorded",
    )
    return inspection


def may_confirm(actor, inspection) -> bool:
    return (
        actor is not None
        and actor.role == Role.ENTERPRISE
        and actor.enterprise_id == inspection.inspected_id
        and actor.has_perm("associations.view_mutualinspection")
        and inspection.confirmed_at is None
    )


@transaction.atomic
def inspection_confirm(*, actor, inspection: MutualInspection) -> MutualInspection:
    """The inspected member confirms the record on its own login (the second side)."""
    if actor is None or actor.role != Role.ENTERPRISE or actor.enterprise_id != inspection.inspected_id:
        raise PermissionDenied(_("只有被检查企业可以确认互查记录"))
    fresh = MutualInspection.objects.select_for_update().get(pk=inspection.pk)
    if fresh.confirmed_at is not None:
        raise ValidationError(_("该互查记录已确认"))
    fresh.confirmed_at = timezone.now()
    fresh.confirmed_by = actor
    fresh.save(update_fields=["confirmed_at", "confirmed_by", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=fresh,
        changes={"confirmed_at": [None, fresh.confirmed_at.isoformat()]},
        note=_("被检查企业确认"),
    )
    return fresh
