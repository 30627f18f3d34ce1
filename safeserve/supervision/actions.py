"""Every write of the supervision app: notice decisions, sampling rounds (shared draw), re-checks
and misconduct findings. Atomic, validated, audited; notifications on commit."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import draws, hooks, uploads
from safeserve.core.audit import AuditAction, record
from safeserve.core.models import DrawValueSource
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import agency_users
from safeserve.registry.models import Agency
from safeserve.services.models import ServiceVisit

from .choices import (
    MISCONDUCT_OUTCOMES,
    OUTCOME_KINDS,
    CheckerKind,
    MisconductKind,
    MisconductStatus,
    NoticeStatus,
    RecheckOutcome,
    RoundStatus,
)
from .conf import setting
from .models import (
    MisconductFinding,
    PracticeNotice,
    ReCheck,
    ReCheckPhoto,
    SampledItem,
    SamplingDraw,
    SamplingRound,
)

DRAW_PURPOSE = "supervision.sampling"
# The 11号令 situation a misconduct finding is proposed under (the credit app's situation code).
LISTING_SITUATION = "false_report"


def _fail(field, message):
    raise ValidationError({field: message})


def _need(actor, perm):
    if not actor.has_perm(perm):
        raise PermissionDenied(_("您没有该操作的权限"))


# ---------------------------------------------------------------- practice notices


@transaction.atomic
def notice_decide(*, actor, notice: PracticeNotice, decision: str, reason: str = "") -> PracticeNotice:
    """The county records (登记) a filed notice, or returns it with a reason."""
    _need(actor, "supervision.record_practicenotice")
    locked = PracticeNotice.objects.visible_to(actor, "view").select_for_update().filter(pk=notice.pk).first()
    if locked is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if locked.status != NoticeStatus.FILED:
        raise ValidationError(_("该执业告知已处理，不能重复登记或退回。"))
    reason = (reason or "").strip()
    before = locked.status
    if decision == "record":
        locked.status = NoticeStatus.RECORDED
        locked.recorded_by = actor
        locked.recorded_at = timezone.now()
    elif decision == "return":
        if not reason:
            _fail("reason", _("退回理由：退回执业告知须写明理由。"))
        locked.status = NoticeStatus.RETURNED
        locked.return_reason = reason[:300]
    else:
        raise ValidationError(_("未知的操作。"))
    locked.full_clean()
    locked.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=locked,
        changes={"status": [before, locked.status], "return_reason": ["", locked.return_reason]},
        note=_("登记执业告知") if decision == "record" else _("退回执业告知"),
    )
    title = (_("执业告知已登记：%(n)s") if decision == "record" else _("执业告知被退回：%(n)s")) % {"n": locked}
    recipients = list(agency_users(locked.agency_id))
    transaction.on_commit(
        lambda: notify(
            actor=actor,
            recipients=recipients,
            kind="supervision.notice",
            title=title,
            body=reason,
            link=locked.get_absolute_url(),
        )
    )
    return locked


# ---------------------------------------------------------------- sampling rounds


def half_period(year: int, half: int) -> tuple[date, date]:
    return (date(year, 1, 1), date(year, 6, 30)) if half == 1 else (date(year, 7, 1), date(year, 12, 31))


def visit_candidate_id(visit_id) -> str:
    return f"services.servicevisit:{visit_id}"


def round_candidates(year: int, half: int) -> dict[int, list[dict]]:
    """Agency id -> the candidates of its draw: every service visit it made in the half year (local
    days), as {"id": "services.servicevisit:<id>", "label": "<enterprise> <day>"}."""
    start, end = half_period(year, half)
    visits = (
        ServiceVisit.objects.filter(visited_at__date__range=(start, end))
        .select_related("enterprise")
        .order_by("agency_id", "id")
    )
    out: dict[int, list[dict]] = {}
    for v in visits:
        day = timezone.localtime(v.visited_at).date()
        out.setdefault(v.agency_id, []).append({"id": visit_candidate_id(v.pk), "label": f"{v.enterprise.name} {day}"})
    return out


@transaction.atomic
def round_create(*, actor, year: int, half: int, share, note: str = "") -> SamplingRound:
    """Freeze one draw per agency with visits in the half year: ``share`` of them, rounded up
    (draws.sample_size: 15% of 13 is 2). The lists' hashes are shown before any random value."""
    _need(actor, "supervision.add_samplinground")
    if SamplingRound.objects.filter(year=year, half=half).exists():
        _fail(
            "half",
            _("半年：%(y)s年%(h)s的抽查已发起，不能重复发起。")
            % {"y": year, "h": _("上半年") if half == 1 else _("下半年")},
        )
    rnd = SamplingRound(year=year, half=half, share=share, created_by=actor, note=(note or "").strip())
    rnd.full_clean()
    if share <= 0:
        _fail("share", _("抽查比例：须大于0。"))
    candidates = round_candidates(year, half)
    if not candidates:
        _fail("half", _("半年：该半年没有任何服务记录，无需抽查。"))
    try:
        with transaction.atomic():
            rnd.save()
    except IntegrityError:
        _fail("half", _("半年：该半年的抽查已发起，不能重复发起。"))
    agencies = Agency.objects.in_bulk(list(candidates))
    for agency_id in sorted(candidates):
        rows = candidates[agency_id]
        places = draws.sample_size(len(rows), share)
        draw = draws.freeze_draw(
            actor=actor,
            purpose=DRAW_PURPOSE,
            purpose_label=_("%(round)s：%(agency)s") % {"round": rnd, "agency": agencies[agency_id].name},
            candidates=rows,
            places=places,
            reference=f"supervision.samplinground:{rnd.pk}",
            publish_labels=True,
        )
        SamplingDraw.objects.create(round=rnd, agency_id=agency_id, draw=draw, population=len(rows), places=places)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=rnd,
        changes={
            "year": [None, year],
            "half": [None, half],
            "share": [None, str(share)],
            "agencies": [None, len(candidates)],
        },
        note=_("发起服务抽查，冻结各机构候选名单"),
    )
    return rnd


@transaction.atomic
def round_draw(*, actor, round: SamplingRound, source: str, value: str = "", note: str = "") -> SamplingRound:
    """Enter the random value for every agency's draw of the round and record the sampled visits.
    A lottery or joint value is the same for all the round's draws; a server value is drawn per draw."""
    _need(actor, "supervision.add_samplinground")
    locked = SamplingRound.objects.select_for_update().get(pk=round.pk)
    if locked.status != RoundStatus.FROZEN:
        raise ValidationError(_("该批次已抽取，不能再次录入随机值。"))
    if source != DrawValueSource.SERVER and not (value or "").strip():
        _fail("random_value", _("随机值：请录入公开的随机值（如彩票开奖号码）。"))
    items = []
    for sd in locked.draws.select_related("draw"):
        drawn = draws.enter_value(actor=actor, draw=sd.draw, value=value, source=source, note=note)
        items += [
            SampledItem(round=locked, agency_id=sd.agency_id, visit_id=int(cid.split(":", 1)[1]), rank=rank)
            for rank, cid in enumerate(draws.chosen(drawn), start=1)
        ]
    SampledItem.objects.bulk_create(items, batch_size=2000)
    locked.status = RoundStatus.DRAWN
    locked.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=locked,
        changes={"status": [RoundStatus.FROZEN, RoundStatus.DRAWN], "value_source": [None, source]},
        note=_("录入随机值并抽取"),
    )
    per_agency = {}
    for item in locked.items.all():
        per_agency[item.agency_id] = per_agency.get(item.agency_id, 0) + 1
    title = _("%(round)s：贵机构有服务记录被抽中复核") % {"round": locked}
    link = locked.get_absolute_url()

    def tell():
        for agency_id, n in per_agency.items():
            notify(
                actor=actor,
                recipients=agency_users(agency_id),
                kind="supervision.sampled",
                title=title,
                body=_("被抽中%(n)s条，县局或镇（街道）将开展现场复核。") % {"n": n},
                link=link,
                dedup_key=f"supervision.sampled:{locked.pk}:{agency_id}",
            )

    transaction.on_commit(tell)
    return locked


# ---------------------------------------------------------------- re-checks


@transaction.atomic
def item_assign_expert(*, actor, item: SampledItem, expert) -> SampledItem:
    """The county assigns (or, with None, withdraws) the expert who re-checks a sampled visit."""
    _need(actor, "supervision.change_sampleditem")
    locked = SampledItem.objects.visible_to(actor, "change").select_for_update().filter(pk=item.pk).first()
    if locked is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if ReCheck.objects.filter(item=locked).exists():
        raise ValidationError(_("该抽查对象已复核，不能再指派专家。"))
    if expert is not None and not expert.is_active:
        _fail("expert", _("复核专家：该专家已不在库。"))
    before = locked.expert_id
    locked.expert = expert
    locked.full_clean()
    locked.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=locked,
        changes={"expert": [before, getattr(expert, "pk", None)]},
        note=_("指派复核专家"),
    )
    return locked


def may_recheck(user, item: SampledItem) -> bool:
    return (
        user.has_perm("supervision.add_recheck")
        and not ReCheck.objects.filter(item_id=item.pk).exists()
        and SampledItem.objects.visible_to(user, "recheck").filter(pk=item.pk).exists()
    )


@uploads.discard_files_on_error
def recheck_record(
    *,
    actor,
    item: SampledItem,
    checked_on: date,
    checker_kind: str,
    checker_name: str,
    outcome: str,
    findings: str,
    photos=(),
    expert=None,
) -> ReCheck:
    """Record the re-check of one sampled visit (one per item), with at least one photo checked by
    content (core.uploads.verify_images). The outcome becomes the agency's credit fact."""
    _need(actor, "supervision.add_recheck")
    if actor.role == "expert":
        # An expert records under their own name, as the expert of the re-check.
        checker_kind, expert = CheckerKind.EXPERT, actor.expert
        checker_name = checker_name or getattr(actor.expert, "name", "")
    images = uploads.verify_images(photos, field="photos")
    if not images:
        _fail("photos", _("现场照片：复核须上传至少一张现场照片。"))
    if checked_on and checked_on > timezone.localdate():
        _fail("checked_on", _("复核日期：不能晚于今天。"))
    with transaction.atomic():
        locked = SampledItem.objects.visible_to(actor, "recheck").select_for_update().filter(pk=item.pk).first()
        if locked is None:
            raise PermissionDenied(_("该记录超出您的数据权限范围"))
        if ReCheck.objects.filter(item=locked).exists():
            raise ValidationError(_("该抽查对象已复核，不能重复录入。"))
        if checked_on and checked_on < timezone.localtime(locked.visit.visited_at).date():
            _fail("checked_on", _("复核日期：不能早于被抽查的服务时间。"))
        recheck = ReCheck(
            item=locked,
            checked_on=checked_on,
            checker_kind=checker_kind,
            checker_name=(checker_name or "").strip(),
            expert=expert if checker_kind == CheckerKind.EXPERT else None,
            outcome=outcome,
            findings=(findings or "").strip(),
            recorded_by=actor,
        )
        if checker_kind == CheckerKind.OFFICER and expert is not None:
            _fail("expert", _("监管人员复核时不填写专家"))
        recheck.full_clean()
        recheck.save()
        for image in images:
            photo = ReCheckPhoto(recheck=recheck, **image.evidence())
            uploads.save_image(photo.file, image)
            photo.save()
        record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=recheck,
            changes={"outcome": [None, outcome], "photos": [None, [i.sha256 for i in images]]},
            note=_("录入抽查复核"),
        )
        if outcome != RecheckOutcome.CONFIRMED:
            title = _("抽查复核发现问题：%(item)s（%(o)s）") % {"item": locked, "o": recheck.get_outcome_display()}
            recipients = list(agency_users(locked.agency_id))
            link = locked.get_absolute_url()
            transaction.on_commit(
                lambda: notify(
                    actor=actor,
                    recipients=recipients,
                    kind="supervision.recheck",
                    title=title,
                    link=link,
                    level=Level.WARNING,
                )
            )
    return recheck


# ---------------------------------------------------------------- misconduct


def may_propose(user, recheck: ReCheck) -> bool:
    return (
        user.has_perm("supervision.add_misconductfinding")
        and recheck.outcome in MISCONDUCT_OUTCOMES
        and not MisconductFinding.objects.filter(recheck=recheck).exists()
        and ReCheck.objects.visible_to(user).filter(pk=recheck.pk).exists()
    )


@transaction.atomic
def misconduct_propose(*, actor, recheck: ReCheck, staff, finding: str) -> MisconductFinding:
    """Record the finding of a false or copied record and propose listing (严重失信主体名单) the
    agency and the staff responsible through the credit app (core.hooks.propose_listing): its listing
    workflow gives the advance notice and the decision. All or nothing."""
    _need(actor, "supervision.add_misconductfinding")
    if not ReCheck.objects.visible_to(actor).filter(pk=recheck.pk).exists():
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if recheck.outcome not in MISCONDUCT_OUTCOMES:
        raise ValidationError(_("只有复核结论为“记录与实际不符”或“抄袭雷同”时才能提议列入严重失信名单。"))
    if MisconductFinding.objects.filter(recheck=recheck).exists():
        raise ValidationError(_("该复核已提议过，不能重复提议。"))
    return _finding_create(
        actor=actor,
        agency_id=recheck.item.agency_id,
        recheck=recheck,
        kind=OUTCOME_KINDS[recheck.outcome],
        staff=staff,
        finding=finding,
    )


@transaction.atomic
def misconduct_record_rented(*, actor, agency: Agency, staff, finding: str) -> MisconductFinding:
    """租借资质、挂靠: a finding the county makes outside sampling (no re-check), proposed for listing
    like the others and a veto item of the agency's yearly grading."""
    _need(actor, "supervision.add_misconductfinding")
    if MisconductFinding.scope_q(actor, "add") is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    return _finding_create(
        actor=actor,
        agency_id=agency.pk,
        recheck=None,
        kind=MisconductKind.RENTED_QUALIFICATION,
        staff=staff,
        finding=finding,
    )


def _finding_create(*, actor, agency_id, recheck, kind, staff, finding) -> MisconductFinding:
    staff = list(staff or [])
    if any(s.agency_id != agency_id for s in staff):
        _fail("staff", _("责任人员：只能选择该机构的人员。"))
    finding = (finding or "").strip()
    if not finding:
        _fail("finding", _("失信事实：请写明弄虚作假的事实。"))
    f = MisconductFinding(
        agency_id=agency_id,
        recheck=recheck,
        kind=kind,
        finding=finding,
        proposed_by=actor,
        proposed_on=timezone.localdate(),
    )
    f.full_clean()
    f.save()
    f.staff.set(staff)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=f,
        changes={"kind": [None, kind], "finding": [None, finding], "staff": [None, sorted(s.pk for s in staff)]},
        note=_("提议列入严重失信主体名单"),
    )
    if hooks.listing_proposals_enabled():
        facts = _("%(k)s：%(f)s") % {"k": f.get_kind_display(), "f": finding}
        parties = [("agency", agency_id)] + [("staff", s.pk) for s in staff]
        for party, party_id in parties:
            hooks.propose_listing(
                actor=actor,
                party=party,
                party_id=party_id,
                situation=LISTING_SITUATION,
                facts=facts,
                source=f.source_key,
                source_url=f.get_absolute_url(),
            )
        f.status = MisconductStatus.TAKEN_UP
        f.save(update_fields=["status"])
    return f


# ---------------------------------------------------------------- jobs


def remind_sampling(today: date | None = None) -> int:
    """Job (first working days of January and July): remind the county officers to run the sampling
    round of the half year just ended, unless it has been run. Idempotent (one message per half)."""
    from safeserve.notifications.queries import county_officers

    today = today or timezone.localdate()
    year, half = (today.year - 1, 2) if today.month <= 6 else (today.year, 1)
    if SamplingRound.objects.filter(year=year, half=half).exists():
        return 0
    label = _("%(y)s年%(h)s") % {"y": year, "h": _("上半年") if half == 1 else _("下半年")}
    sent = notify(
        actor=None,
        recipients=county_officers(),
        kind="supervision.sampling_due",
        title=_("请发起%(period)s服务机构抽查（每家机构不少于%(share)s%%的服务记录）")
        % {"period": label, "share": int(Decimal(str(setting("SAMPLING_SHARE"))) * 100)},
        link=reverse("supervision:round_add"),
        level=Level.WARNING,
        dedup_key=f"supervision.sampling_due:{year}-{half}",
    )
    return len(sent)
