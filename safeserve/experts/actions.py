"""Every write of the expert pool, its requests, draws, invitations, jobs and ratings.

Atomic, validated, audited; notifications are queued by notifications.notify (on commit).
"""

import hashlib
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Avg, Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core import actions as core_actions
from safeserve.core import draws
from safeserve.core.audit import AuditAction, record
from safeserve.core.models import Draw, DrawStatus
from safeserve.hazards.actions import hazard_report
from safeserve.hazards.choices import HazardSource
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import county_officers
from safeserve.registry.models import Enterprise, Expert

from . import conf, documents, recusal
from .choices import InvitationState, PoolStatus, ProposalState, RequestStatus
from .models import (
    Absence,
    ExpertProfile,
    ExpertRequest,
    Finding,
    Interest,
    Invitation,
    Rating,
    RemovalProposal,
    Specialty,
    StatusChange,
)

DRAW_PURPOSE = "expert"
SEED_SPECIALTIES = [
    "危化",
    "机械",
    "电气",
    "消防",
    "粉尘涉爆",
    "有限空间",
    "职业卫生",
    "建筑施工",
    "特种设备",
    "冶金",
    "涉氨制冷",
    "安全管理",
]


def seed_specialties() -> list[Specialty]:
    """The maintained list's starting entries (a migration and the demo data call this; idempotent)."""
    return [
        Specialty.objects.get_or_create(name=name, defaults={"sort_order": i})[0]
        for i, name in enumerate(SEED_SPECIALTIES)
    ]


# Words of the register's free-text specialties that name an entry of the maintained list.
ALIASES = {"危化": ("危险化学品",), "粉尘涉爆": ("粉尘",), "冶金": ("冶炼",), "安全管理": ("应急管理",)}


def _match_specialties(text: str) -> list[Specialty]:
    text = text or ""
    return [
        s
        for s in Specialty.objects.filter(is_active=True)
        if s.name in text or any(alias in text for alias in ALIASES.get(s.name, ()))
    ]


def ensure_profile(expert: Expert) -> ExpertProfile:
    """The expert's pool profile, created from the register entry the first time it is needed (the
    specialties named in registry.Expert.specialties that are on the maintained list)."""
    profile = ExpertProfile.objects.filter(expert=expert).first()
    if profile is not None:
        return profile
    with transaction.atomic():
        profile, created = ExpertProfile.objects.get_or_create(
            expert=expert, defaults={"status": PoolStatus.ACTIVE if expert.is_active else PoolStatus.WITHDRAWN}
        )
        if created:
            profile.specialty_list.set(_match_specialties(expert.specialties))
            StatusChange.objects.create(profile=profile, from_status="", to_status=profile.status, reason=_("入库"))
    return profile


def ensure_profiles() -> int:
    """Bring register entries added since (by the county on the register's pages or its import) into
    the pool: one profile each, from the register entry. Idempotent; returns how many were added."""
    missing = Expert.objects.exclude(pk__in=ExpertProfile.objects.values("expert_id"))
    added = 0
    for expert in missing.order_by("pk")[:1000]:
        ensure_profile(expert)
        added += 1
    return added


# ---------------------------------------------------------------- the pool


@transaction.atomic
def profile_update(*, actor, profile: ExpertProfile, specialties, certificates: str) -> ExpertProfile:
    """The expert (their own) or the county changes specialties and certificates; audited."""
    return core_actions.update_record(
        actor=actor,
        instance=profile,
        data={"certificates": certificates.strip()},
        m2m={"specialty_list": [s.pk for s in specialties]},
    )


@transaction.atomic
def profile_set_status(*, actor, profile: ExpertProfile, status: str, reason: str) -> ExpertProfile:
    """The county moves an expert between 在库/暂停/退出, with a reason kept in the history."""
    if actor.role != Role.COUNTY:
        raise PermissionDenied(_("只有县局可以变更专家库内状态"))
    if status not in PoolStatus.values:
        raise ValidationError({"status": _("请选择库内状态")})
    if not reason.strip():
        raise ValidationError({"reason": _("变更库内状态须写明理由")})
    fresh = ExpertProfile.objects.select_for_update().get(pk=profile.pk)
    if fresh.status == status:
        raise ValidationError({"status": _("库内状态未改变")})
    before = fresh.status
    fresh.status = status
    fresh.full_clean()
    fresh.save()
    StatusChange.objects.create(profile=fresh, from_status=before, to_status=status, reason=reason.strip(), actor=actor)
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"status": [before, status]},
        note=reason.strip(),
    )
    if status == PoolStatus.WITHDRAWN:
        for proposal in RemovalProposal.objects.filter(expert_id=fresh.expert_id, state=ProposalState.PROPOSED):
            proposal.state = ProposalState.REMOVED
            proposal.decided_by = actor
            proposal.decided_at = timezone.now()
            proposal.save()
            record(
                actor=actor,
                action=AuditAction.TRANSITION,
                instance=proposal,
                changes={"state": [ProposalState.PROPOSED, ProposalState.REMOVED]},
                note=reason.strip(),
            )
    return fresh


def _own_or_county(actor, expert_id):
    if actor.role == Role.COUNTY:
        return
    if actor.role == Role.EXPERT and actor.expert_id == expert_id:
        return
    raise PermissionDenied(_("只能维护本人的专家档案"))


def absence_add(*, actor, expert: Expert, start, end, reason: str = "") -> Absence:
    _own_or_county(actor, expert.pk)
    return core_actions.create_record(
        actor=actor,
        model=Absence,
        data={"start": start, "end": end, "reason": reason.strip(), "expert": expert},
        system_fields=("expert",),
    )


def interest_declare(
    *, actor, expert: Expert, kind: str, party_name: str, enterprise=None, start=None, end=None, note=""
) -> Interest:
    _own_or_county(actor, expert.pk)
    if enterprise is not None and not party_name.strip():
        party_name = enterprise.name
    return core_actions.create_record(
        actor=actor,
        model=Interest,
        data={
            "expert": expert,
            "kind": kind,
            "enterprise": enterprise,
            "party_name": party_name.strip(),
            "start": start,
            "end": end,
            "note": note.strip(),
        },
        system_fields=("expert",),
    )


@transaction.atomic
def interests_confirm(*, actor, profile: ExpertProfile) -> int:
    """The county confirms an expert's declared interests (all not yet confirmed); audited."""
    if actor.role != Role.COUNTY:
        raise PermissionDenied(_("只有县局可以确认利害关系申报"))
    now = timezone.now()
    pending = Interest.objects.filter(expert_id=profile.expert_id, confirmed_at__isnull=True)
    ids = list(pending.values_list("pk", flat=True))
    pending.update(confirmed_at=now, confirmed_by=actor)
    ExpertProfile.objects.filter(pk=profile.pk).update(interests_confirmed_at=now, interests_confirmed_by=actor)
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=profile,
        changes={"interests_confirmed_at": [None, now.isoformat()], "interests": [None, ids]},
        note=_("确认利害关系申报"),
    )
    return len(ids)


# ---------------------------------------------------------------- requests and draws


def may_request(user) -> bool:
    return (
        user.is_authenticated and user.role in (Role.COUNTY, Role.TOWN) and user.has_perm("experts.add_expertrequest")
    )


@transaction.atomic
def request_create(
    *, actor, purpose, title, enterprises, specialties, places, reserves, work_date, place="", manual_exclusions=()
) -> ExpertRequest:
    if not may_request(actor):
        raise PermissionDenied(_("您没有申请抽取专家的权限"))
    enterprises = list(enterprises)
    if not enterprises:
        raise ValidationError({"enterprises": _("请至少选择一家涉及的企业")})
    visible = set(
        Enterprise.objects.visible_to(actor).filter(pk__in=[e.pk for e in enterprises]).values_list("pk", flat=True)
    )
    if any(e.pk not in visible for e in enterprises):
        raise PermissionDenied(_("该企业不在您的数据权限范围内"))
    if work_date < timezone.localdate():
        raise ValidationError({"work_date": _("工作日期不能早于今天")})
    exclusions = []
    for m in manual_exclusions:
        if not str(m.get("reason", "")).strip():
            raise ValidationError({"manual_exclusions": _("每个人工排除的专家都须写明理由")})
        exclusions.append({"expert": int(m["expert"]), "reason": str(m["reason"]).strip()[:200]})
    req = ExpertRequest(
        purpose=purpose,
        title=title.strip(),
        places=places,
        reserves=reserves,
        work_date=work_date,
        place=place.strip(),
        town_id=actor.town_id if actor.role == Role.TOWN else None,
        requested_by=actor,
        manual_exclusions=exclusions,
    )
    req.full_clean()
    req.save()
    req.enterprises.set(enterprises)
    req.specialties.set(list(specialties))
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=req,
        changes={
            "purpose": [None, purpose],
            "enterprises": [None, [e.pk for e in enterprises]],
            "places": [None, places],
            "reserves": [None, reserves],
            "work_date": [None, work_date.isoformat()],
            "manual_exclusions": [None, exclusions],
        },
    )
    return req


def _lock_request(actor, req) -> ExpertRequest:
    try:
        return ExpertRequest.objects.visible_to(actor, "change").select_for_update(of=("self",)).get(pk=req.pk)
    except ExpertRequest.DoesNotExist:
        raise PermissionDenied(_("该抽取申请不在您的数据权限范围内")) from None


@transaction.atomic
def request_freeze(*, actor, request: ExpertRequest, supersedes: Draw | None = None, redraw_reason: str = "") -> Draw:
    """Apply recusal and freeze the eligible list (its hash is shown before any random value exists)."""
    req = _lock_request(actor, request)
    if supersedes is None and req.status != RequestStatus.DRAFT:
        raise ValidationError(_("该申请的候选名单已冻结"))
    ensure_profiles()
    result = recusal.eligibility(req)
    exclusions = result.exclusions()
    if supersedes is not None:
        # Experts already called in earlier draws of this request who declined or did not answer.
        called = Invitation.objects.filter(request=req).exclude(state=InvitationState.CANCELLED)
        known = {e["id"] for e in exclusions}
        for inv in called.select_related("expert").order_by("pk"):
            if str(inv.expert_id) in known:
                continue
            known.add(str(inv.expert_id))
            reason = _("已在抽取%(n)s中%(state)s") % {"n": inv.draw.number, "state": inv.get_state_display()}
            exclusions.append({"id": str(inv.expert_id), "label": inv.expert.name, "reason": reason})
    excluded_ids = {e["id"] for e in exclusions}
    candidates = [{"id": str(e.pk), "label": e.name} for e in result.candidates if str(e.pk) not in excluded_ids]
    draw = draws.freeze_draw(
        actor=actor,
        purpose=DRAW_PURPOSE,
        purpose_label=_("专家抽取：%(r)s") % {"r": req},
        candidates=candidates,
        places=req.places,
        reserves=min(req.reserves, max(0, len(candidates) - req.places)),
        exclusions=exclusions,
        reference=f"experts.expertrequest:{req.pk}",
        publish_labels=False,
        supersedes=supersedes,
        redraw_reason=redraw_reason,
    )
    before = req.status
    req.draw = draw
    req.status = RequestStatus.FROZEN
    req.save(update_fields=["draw", "status", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=req,
        changes={"status": [before, req.status], "draw": [supersedes.number if supersedes else None, draw.number]},
        note=redraw_reason,
    )
    return draw


def _link(inv):
    return reverse("experts:job_detail", args=[inv.pk])


def _invite(req, draw, expert_id, rank, *, reserve=False, actor=None) -> Invitation:
    deadline = timezone.now() + timedelta(hours=conf.get("EXPERT_ANSWER_HOURS"))
    inv = Invitation(request=req, draw=draw, expert_id=expert_id, rank=rank, is_reserve=reserve, deadline=deadline)
    inv.full_clean()
    inv.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=inv,
        changes={"expert": [None, expert_id], "rank": [None, rank], "is_reserve": [None, reserve]},
        note=_("由备选递补") if reserve else _("抽中"),
    )
    notify(
        actor=actor,
        recipients=User.objects.filter(role=Role.EXPERT, expert_id=expert_id, is_active=True),
        kind="expert_invited",
        title=_("专家抽取邀请：%(r)s，%(d)s") % {"r": req, "d": req.work_date.isoformat()},
        body=_("请在 %(t)s 前答复是否参加。") % {"t": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
        link=_link(inv),
        level=Level.URGENT,
        dedup_key=f"expert-invite:{inv.pk}",
    )
    return inv


@transaction.atomic
def request_draw(*, actor, request: ExpertRequest, source: str, value: str = "", note: str = "") -> Draw:
    """Enter the random value (or take the server's), rank, and invite the drawn experts in order."""
    req = _lock_request(actor, request)
    if req.status != RequestStatus.FROZEN or req.draw is None:
        raise ValidationError(_("请先冻结候选名单"))
    draw = draws.enter_value(actor=actor, draw=req.draw, value=value, source=source, note=note)
    for rank, expert_id in enumerate(draws.chosen(draw), start=1):
        _invite(req, draw, int(expert_id), rank, actor=actor)
    req.status = RequestStatus.DRAWN
    req.save(update_fields=["status", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=req,
        changes={"status": [RequestStatus.FROZEN, RequestStatus.DRAWN], "result": [None, draws.chosen(draw)]},
    )
    return draw


@transaction.atomic
def request_redraw(*, actor, request: ExpertRequest, reason: str) -> Draw:
    """A new numbered draw citing the old one and why; the old draw's open invitations are cancelled."""
    req = _lock_request(actor, request)
    old = req.draw
    if old is None or old.status != DrawStatus.DRAWN:
        raise ValidationError(_("只有已抽取的申请可以重新抽取"))
    if not reason.strip():
        raise ValidationError({"redraw_reason": _("重新抽取须写明理由")})
    for inv in Invitation.objects.filter(draw=old, state=InvitationState.INVITED):
        inv.state = InvitationState.CANCELLED
        inv.save(update_fields=["state", "updated_at"])
        record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=inv,
            changes={"state": [InvitationState.INVITED, InvitationState.CANCELLED]},
            note=reason,
        )
    req.status = RequestStatus.DRAFT
    req.save(update_fields=["status", "updated_at"])
    return request_freeze(actor=actor, request=req, supersedes=old, redraw_reason=reason)


def call_next_reserve(*, actor, request: ExpertRequest, draw: Draw, why: str) -> Invitation | None:
    """Call the next reserve of ``draw`` in order (after a decline or no answer); recorded. None when
    the reserves are used up (the requester is told to re-draw)."""
    called = set(Invitation.objects.filter(draw=draw).values_list("expert_id", flat=True))
    order = draws.chosen(draw) + draws.reserves(draw)
    for position, expert_id in enumerate(order, start=1):
        if int(expert_id) not in called:
            inv = _invite(request, draw, int(expert_id), position, reserve=True, actor=actor)
            record(
                actor=actor,
                action=AuditAction.TRANSITION,
                instance=request,
                changes={"called_reserve": [None, int(expert_id)]},
                note=why,
            )
            return inv
    notify(
        actor=actor,
        recipients=User.objects.filter(pk=request.requested_by_id),
        kind="expert_reserves_exhausted",
        title=_("备选专家已用完：%(r)s") % {"r": request},
        body=_("请重新抽取（新抽取将引用原抽取%(n)s）。") % {"n": draw.number},
        link=request.get_absolute_url(),
        level=Level.URGENT,
        dedup_key=f"expert-exhausted:{draw.pk}",
    )
    return None


@transaction.atomic
def invitation_answer(*, actor, invitation: Invitation, accept: bool, reason: str = "") -> Invitation:
    """The invited expert accepts, or declines with a reason (then the next reserve is called)."""
    if actor.role != Role.EXPERT or actor.expert_id != invitation.expert_id:
        raise PermissionDenied(_("只有被抽中的专家本人可以答复"))
    inv = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if inv.state != InvitationState.INVITED:
        raise ValidationError(_("该邀请已答复或已失效"))
    if timezone.now() > inv.deadline:
        raise ValidationError(_("已超过答复期限"))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("拒绝须写明理由")})
    before = inv.state
    inv.state = InvitationState.ACCEPTED if accept else InvitationState.DECLINED
    inv.reason = "" if accept else reason.strip()
    inv.answered_at = timezone.now()
    inv.full_clean()
    inv.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=inv,
        changes={"state": [before, inv.state], "reason": ["", inv.reason]},
        note=inv.reason,
    )
    notify(
        actor=actor,
        recipients=User.objects.filter(pk=inv.request.requested_by_id),
        kind="expert_answered",
        title=(_("专家已接受：%(e)s · %(r)s") if accept else _("专家已拒绝：%(e)s · %(r)s"))
        % {"e": inv.expert.name, "r": inv.request},
        body=inv.reason,
        link=inv.request.get_absolute_url(),
        dedup_key=f"expert-answer:{inv.pk}",
    )
    if not accept and inv.draw_id == inv.request.draw_id:
        call_next_reserve(
            actor=actor,
            request=inv.request,
            draw=inv.draw,
            why=_("%(e)s拒绝：%(r)s") % {"e": inv.expert.name, "r": inv.reason},
        )
    return inv


def expire_invitations(now=None) -> int:
    """The job: invitations past their deadline without an answer expire and the next reserve is called."""
    now = now or timezone.now()
    count = 0
    for pk in Invitation.objects.filter(state=InvitationState.INVITED, deadline__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            inv = Invitation.objects.select_for_update().select_related("request", "expert").get(pk=pk)
            if inv.state != InvitationState.INVITED:
                continue
            inv.state = InvitationState.EXPIRED
            inv.save(update_fields=["state", "updated_at"])
            record(
                actor=None,
                action=AuditAction.TRANSITION,
                instance=inv,
                changes={"state": [InvitationState.INVITED, InvitationState.EXPIRED]},
                note=_("超过答复期限未答复"),
            )
            if inv.draw_id == inv.request.draw_id:
                call_next_reserve(
                    actor=None, request=inv.request, draw=inv.draw, why=_("%(e)s超时未答复") % {"e": inv.expert.name}
                )
            count += 1
    return count


# ---------------------------------------------------------------- jobs


def _own_job(actor, job: Invitation) -> Invitation:
    if actor.role != Role.EXPERT or actor.expert_id != job.expert_id:
        raise PermissionDenied(_("只有承担该任务的专家本人可以记录"))
    fresh = Invitation.objects.select_for_update().select_related("request").get(pk=job.pk)
    if fresh.state != InvitationState.ACCEPTED:
        raise ValidationError(_("只有已接受的任务可以记录检查结果"))
    return fresh


@transaction.atomic
def job_record_finding(
    *, actor, job: Invitation, enterprise, location, description, responsible_person, level, criterion=None, photos=()
) -> Finding:
    """A finding becomes a hazard of the enterprise (source 专家检查), reported in the name of the
    requesting office that commissioned the expert (the expert holds no hazard rights of their own);
    the finding keeps which expert recorded it and the hazard's history says so."""
    job = _own_job(actor, job)
    if not job.request.enterprises.filter(pk=enterprise.pk).exists():
        raise ValidationError({"enterprise": _("该企业不属于本次任务")})
    hazard = hazard_report(
        actor=job.request.requested_by,
        enterprise=enterprise,
        location=location,
        description=description,
        responsible_person=responsible_person,
        level=level,
        source=HazardSource.EXPERT,
        criterion=criterion,
        photos=photos,
        note=_("专家%(e)s检查发现（专家任务%(n)s）") % {"e": job.expert.name, "n": job.pk},
    )
    finding = Finding.objects.create(invitation=job, hazard=hazard, recorded_by=actor)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=job,
        changes={"finding_hazard": [None, hazard.pk]},
        note=_("记录检查发现，形成隐患"),
    )
    return finding


@transaction.atomic
def job_record_opinion(*, actor, job: Invitation, opinion: str, fee) -> Invitation:
    """The expert's opinion (rendered once to a PDF and stored with its SHA-256) and fee; the job is done."""
    job = _own_job(actor, job)
    if not opinion.strip():
        raise ValidationError({"opinion": _("请填写专家意见")})
    if fee is not None and fee < 0:
        raise ValidationError({"fee": _("劳务费不能为负数")})
    before = {"opinion": job.opinion, "fee": str(job.fee) if job.fee is not None else None}
    job.opinion = opinion.strip()
    job.fee = fee
    job.finished_at = timezone.now()
    pdf = documents.render_opinion_pdf(job=job, findings=list(job.findings.select_related("hazard")))
    job.opinion_sha256 = hashlib.sha256(pdf).hexdigest()
    job.opinion_file.save(f"{job.opinion_sha256}.pdf", ContentFile(pdf), save=False)
    job.full_clean()
    job.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=job,
        changes={
            "opinion": [before["opinion"], job.opinion],
            "fee": [before["fee"], str(fee) if fee is not None else None],
            "opinion_sha256": [None, job.opinion_sha256],
        },
    )
    _close_if_done(actor, job.request)
    notify(
        actor=actor,
        recipients=User.objects.filter(pk=job.request.requested_by_id),
        kind="expert_opinion",
        title=_("专家意见已提交：%(e)s · %(r)s，请在%(n)s个工作日内评分")
        % {"e": job.expert.name, "r": job.request, "n": conf.get("EXPERT_RATING_WORKING_DAYS")},
        link=_link(job),
        dedup_key=f"expert-opinion:{job.pk}",
    )
    return job


def _close_if_done(actor, request: ExpertRequest) -> None:
    """A request is done when its current draw has all its places accepted and every such job finished."""
    accepted = Invitation.objects.filter(draw_id=request.draw_id, state=InvitationState.ACCEPTED)
    if accepted.count() >= request.places and not accepted.filter(finished_at__isnull=True).exists():
        before = request.status
        ExpertRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)
        record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=request,
            changes={"status": [before, RequestStatus.CLOSED]},
            note=_("全部专家已提交意见"),
        )


# ---------------------------------------------------------------- rating


def add_working_days(start, days: int):
    """``start`` plus ``days`` working days (Monday to Friday)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def rating_due(job: Invitation):
    if job.finished_at is None:
        return None
    return add_working_days(timezone.localdate(job.finished_at), conf.get("EXPERT_RATING_WORKING_DAYS"))


def may_rate(user, job: Invitation) -> bool:
    """The requester (or, for a town's request, an officer of that town), or the county."""
    if not user.is_authenticated or not user.has_perm("experts.add_rating"):
        return False
    if user.role == Role.COUNTY:
        return True
    return user.role == Role.TOWN and job.request.town_id is not None and job.request.town_id == user.town_id


@transaction.atomic
def job_rate(*, actor, job: Invitation, score: int, comment: str = "") -> Rating:
    """Rate a finished job out of 100; a rating after the working-day deadline is kept, marked late.
    Then the expert's average over the period: below the threshold proposes removal (audited)."""
    if not may_rate(actor, job):
        raise PermissionDenied(_("只有申请单位可以为专家评分"))
    job = Invitation.objects.select_for_update().select_related("request", "expert").get(pk=job.pk)
    if job.finished_at is None:
        raise ValidationError(_("专家提交意见后才能评分"))
    if Rating.objects.filter(invitation=job).exists():
        raise ValidationError(_("该任务已评分"))
    if score is None or not 0 <= int(score) <= 100:
        raise ValidationError({"score": _("评分须为0至100的整数")})
    late = timezone.localdate() > rating_due(job)
    rating = Rating(
        invitation=job, expert=job.expert, score=int(score), comment=comment.strip(), late=late, rated_by=actor
    )
    rating.full_clean()
    rating.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=rating,
        changes={"score": [None, rating.score], "late": [None, late]},
    )
    propose_removal_if_low(actor=actor, expert=job.expert)
    return rating


def expert_average(expert_id, since):
    return Rating.objects.filter(expert_id=expert_id, rated_at__date__gte=since).aggregate(
        avg=Avg("score"), n=Count("id")
    )


def propose_removal_if_low(*, actor, expert: Expert) -> RemovalProposal | None:
    since = timezone.localdate() - timedelta(days=conf.get("EXPERT_RATING_PERIOD_DAYS"))
    figures = expert_average(expert.pk, since)
    if not figures["n"] or figures["avg"] >= conf.get("EXPERT_RATING_THRESHOLD"):
        return None
    if RemovalProposal.objects.filter(expert=expert, state=ProposalState.PROPOSED).exists():
        return None
    average = Decimal(str(figures["avg"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    proposal = RemovalProposal(expert=expert, average=average, ratings=figures["n"], since=since)
    proposal.full_clean()
    proposal.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=proposal,
        changes={"average": [None, str(average)], "ratings": [None, figures["n"]]},
        note=_("平均分低于%(t)s分，建议移出专家库") % {"t": conf.get("EXPERT_RATING_THRESHOLD")},
    )
    notify(
        actor=actor,
        recipients=county_officers(),
        kind="expert_removal_proposed",
        title=_("建议移出专家库：%(e)s（平均分%(a)s，%(n)s次评分）")
        % {"e": expert.name, "a": average, "n": figures["n"]},
        link=reverse("experts:profile_detail", args=[ensure_profile(expert).pk]),
        dedup_key=f"expert-removal:{proposal.pk}",
    )
    return proposal
