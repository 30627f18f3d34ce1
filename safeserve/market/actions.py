"""Writes of the marketplace: profiles and prices by the agency, hiding by the county, case stories
written by towns or the county and published only after the county's review. Every write audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import audit
from safeserve.core.actions import create_record, update_record
from safeserve.core.models import AuditAction
from safeserve.core.uploads import verify_image
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, Enterprise
from safeserve.services.actions import contract_transition
from safeserve.services.choices import ITEM_SERVICE_TYPE, ContractStatus, PayerType
from safeserve.services.models import ServiceContract

from . import queries
from .models import AgencyProfile, Bar, CaseStatus, CaseStory, Need, NeedStatus, Quote, QuoteMessage, QuoteStatus


def profile_for(agency) -> AgencyProfile:
    profile, _created = AgencyProfile.objects.get_or_create(agency=agency)
    return profile


@transaction.atomic
def agency_hide(*, actor, agency, reason: str) -> AgencyProfile:
    if getattr(actor, "role", None) != "county":
        raise ValidationError(_("只有县局可以隐藏服务机构。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请写明隐藏理由。")})
    profile = AgencyProfile.objects.select_for_update().get(pk=profile_for(agency).pk)
    before = {"hidden": profile.hidden, "hidden_reason": profile.hidden_reason}
    profile.hidden, profile.hidden_reason = True, reason[:300]
    profile.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=profile,
        changes={k: [before[k], getattr(profile, k)] for k in before},
        note=_("县局在服务超市中隐藏该机构"),
    )
    return profile


@transaction.atomic
def agency_unhide(*, actor, agency, reason: str) -> AgencyProfile:
    if getattr(actor, "role", None) != "county":
        raise ValidationError(_("只有县局可以恢复展示服务机构。"))
    profile = AgencyProfile.objects.select_for_update().get(pk=profile_for(agency).pk)
    before = {"hidden": profile.hidden, "hidden_reason": profile.hidden_reason}
    profile.hidden, profile.hidden_reason = False, ""
    profile.save(update_fields=["hidden", "hidden_reason", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=profile,
        changes={k: [before[k], getattr(profile, k)] for k in before},
        note=(reason or "").strip()[:300] or _("恢复展示"),
    )
    return profile


def case_create(*, actor, data: dict, photo=None) -> CaseStory:
    system = ["author", "status"]
    if actor.role == "town":  # a town writes about itself
        data, system = {**data, "town": actor.town}, [*system, "town"]
    story = create_record(
        actor=actor, model=CaseStory, data={**data, "author": actor, "status": CaseStatus.DRAFT}, system_fields=system
    )
    if photo is not None:
        case_set_photo(actor=actor, story=story, photo=photo)
    return story


def case_set_photo(*, actor, story: CaseStory, photo) -> CaseStory:
    verified = verify_image(photo)
    with transaction.atomic():
        old = story.photo.name
        story.photo.save(f"case-{story.pk}{verified.ext}", ContentFile(verified.content), save=False)
        story.save(update_fields=["photo", "updated_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=story,
                     changes={"photo": [old, story.photo.name]}, note=_("上传配图"))  # fmt: skip
    return story


# state -> action -> (next state, who may)
TRANSITIONS = {
    CaseStatus.DRAFT: {"submit": (CaseStatus.REVIEW, {"county", "town"})},
    CaseStatus.REVIEW: {
        "publish": (CaseStatus.PUBLISHED, {"county"}),
        "return": (CaseStatus.DRAFT, {"county"}),
    },
    CaseStatus.PUBLISHED: {"withdraw": (CaseStatus.WITHDRAWN, {"county"})},
    CaseStatus.WITHDRAWN: {"return": (CaseStatus.DRAFT, {"county"})},
}


@transaction.atomic
def case_transition(*, actor, story: CaseStory, action: str, note: str = "") -> CaseStory:
    story = CaseStory.objects.select_for_update().get(pk=story.pk)
    step = TRANSITIONS.get(story.status, {}).get(action)
    if step is None or actor.role not in step[1]:
        raise ValidationError(_("当前状态下不能执行该操作。"))
    if action == "return" and not note.strip():
        raise ValidationError({"note": _("退回须写明意见。")})
    before = story.status
    story.status = step[0]
    story.review_note = note.strip()[:300] if action in ("return", "publish") else story.review_note
    if step[0] == CaseStatus.PUBLISHED:
        story.published_at = timezone.now()
    story.save()
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=story,
                 changes={"status": [before, story.status]}, note=note.strip()[:300])  # fmt: skip
    return story


# ---------------------------------------------------------------- needs, quotes, the road to a contract


def _enterprise_users(enterprise_id):
    from safeserve.notifications.queries import enterprise_users

    return enterprise_users(enterprise_id)


def _agency_users(agency_id):
    from safeserve.notifications.queries import agency_users

    return agency_users(agency_id)


def _notify(**kwargs):
    from safeserve.notifications.actions import notify

    transaction.on_commit(lambda: notify(**kwargs))


def items_for(service_types) -> list[str]:
    """The contract items (services.ServiceItem) that belong to the need's service types."""
    return [item for item, t in ITEM_SERVICE_TYPE.items() if t in set(service_types)]


def need_create(*, actor, data: dict, invited=()) -> Need:
    if getattr(actor, "role", None) != "enterprise" or not actor.enterprise_id:
        raise PermissionDenied(_("只有企业用户可以发布服务需求。"))
    enterprise = Enterprise.objects.get(pk=actor.enterprise_id)
    if data.get("open_to_all") is False and not invited:
        raise ValidationError({"invited": _("仅邀请时请至少选择一家服务机构。")})
    system = {
        "enterprise": enterprise,
        "town": enterprise.town,
        "industry": enterprise.industry,
        "size_class": enterprise.size_class,
        "status": NeedStatus.OPEN,
        "posted_by": actor,
    }
    need = create_record(
        actor=actor, model=Need, data={**data, **system}, m2m={"invited": list(invited)}, system_fields=list(system)
    )
    link = need.get_absolute_url()
    recipients = [u for a in need.invited.all() for u in _agency_users(a.pk)]
    if recipients:
        _notify(actor=actor, recipients=recipients, kind="market.invited", link=link,
                title=_("有企业邀请贵机构报价：%(n)s") % {"n": need})  # fmt: skip
    return need


NEED_ACTIONS = {"withdraw": NeedStatus.WITHDRAWN, "close": NeedStatus.CLOSED}


@transaction.atomic
def need_transition(*, actor, need: Need, action: str) -> Need:
    """The enterprise withdraws an open need (no agency chosen) or closes it."""
    target = NEED_ACTIONS.get(action)
    if target is None:
        raise ValidationError(_("未知操作。"))
    fresh = Need.objects.visible_to(actor, "change").select_for_update().filter(pk=need.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.status != NeedStatus.OPEN:
        raise ValidationError(_("只有征集报价中的需求可以撤回或关闭。"))
    before = fresh.status
    fresh.status = target
    fresh.save(update_fields=["status", "updated_at"])
    declined = list(fresh.quotes.filter(status=QuoteStatus.SUBMITTED))
    for q in declined:
        q.status = QuoteStatus.DECLINED
        q.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=q,
                     changes={"status": [QuoteStatus.SUBMITTED, QuoteStatus.DECLINED]}, note=str(target.label))  # fmt: skip
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=fresh,
                 changes={"status": [before, fresh.status]}, note=str(target.label))  # fmt: skip
    for q in declined:
        _notify(actor=actor, recipients=_agency_users(q.agency_id), kind="market.need_closed", link=q.get_absolute_url(),
                title=_("企业已撤回或关闭需求，感谢贵机构报价：%(n)s") % {"n": fresh})  # fmt: skip
    return fresh


def _check_quote_terms(need: Need, agency, staff, items, on):
    offered = set(queries.agency_types_on(agency, on))
    lacking = [t for t in need.service_types if t not in offered]
    if lacking:
        labels = "、".join(str(ServiceType(t).label) for t in lacking)
        raise ValidationError(
            _("本机构在 %(day)s 没有覆盖“%(types)s”的有效资质或服务类型，不能对该需求报价。")
            % {"day": on.isoformat(), "types": labels}
        )
    reason = queries.bar_reason(agency, need.enterprise, on)
    if reason:
        raise ValidationError(reason)
    if any(s.agency_id != agency.pk or not s.is_active for s in staff):
        raise ValidationError({"staff": _("拟派人员必须是本机构在岗人员。")})
    allowed = set(items_for(need.service_types))
    if not items or not set(items) <= allowed:
        raise ValidationError({"items": _("服务事项须在需求的服务类型之内，且至少选择一项。")})


@transaction.atomic
def quote_submit(*, actor, need: Need, data: dict, staff=()) -> Quote:
    """An agency quotes for a need it sees: only for service types it may offer on the day, never for
    an enterprise it is barred from; one quote per agency and need."""
    if getattr(actor, "role", None) != "agency" or not actor.agency_id:
        raise PermissionDenied(_("只有服务机构可以报价。"))
    fresh = Need.objects.visible_to(actor, "view").select_for_update().filter(pk=need.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.status != NeedStatus.OPEN:
        raise ValidationError(_("该需求已不再征集报价。"))
    if Quote.objects.filter(need=fresh, agency_id=actor.agency_id).exists():
        raise ValidationError(_("本机构已对该需求报价。"))
    today = timezone.localdate()
    agency = Agency.objects.get(pk=actor.agency_id)
    _check_quote_terms(fresh, agency, list(staff), data.get("items"), today)
    if data.get("valid_until") and data["valid_until"] < today:
        raise ValidationError({"valid_until": _("报价有效期不能早于今天。")})
    system = {"need": fresh, "agency": agency, "submitted_by": actor}
    quote = create_record(
        actor=actor, model=Quote, data={**data, **system}, m2m={"staff": list(staff)}, system_fields=list(system)
    )
    _notify(actor=actor, recipients=_enterprise_users(fresh.enterprise_id), kind="market.quote",
            link=reverse("market:need_compare", args=[fresh.pk]),
            title=_("收到新的报价：%(a)s，%(p)s 元") % {"a": agency, "p": quote.price})  # fmt: skip
    return quote


@transaction.atomic
def quote_message(*, actor, quote: Quote, text: str) -> QuoteMessage:
    """A question or answer in the quote's thread; the other side is told."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("请填写内容。")})
    role = getattr(actor, "role", None)
    if role not in ("enterprise", "agency"):
        raise PermissionDenied(_("只有企业和报价机构可以在此留言。"))
    if not Quote.objects.visible_to(actor, "view").filter(pk=quote.pk).exists():
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    msg = create_record(
        actor=actor,
        model=QuoteMessage,
        data={"quote": quote, "author": actor, "side": role, "text": text[:2000]},
        system_fields=["quote", "author", "side"],
    )
    others = _agency_users(quote.agency_id) if role == "enterprise" else _enterprise_users(quote.need.enterprise_id)
    _notify(actor=actor, recipients=others, kind="market.message", link=quote.get_absolute_url(),
            title=_("报价问答有新留言：%(n)s") % {"n": quote.need})  # fmt: skip
    return msg


@transaction.atomic
def quote_withdraw(*, actor, quote: Quote) -> Quote:
    """The agency withdraws its quote while the need still takes quotes."""
    if getattr(actor, "role", None) != "agency":
        raise PermissionDenied(_("只有报价机构可以撤回报价。"))
    fresh = Quote.objects.visible_to(actor, "change").select_for_update().filter(pk=quote.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.status != QuoteStatus.SUBMITTED or fresh.need.status != NeedStatus.OPEN:
        raise ValidationError(_("只有征集中需求的已提交报价可以撤回。"))
    fresh.status = QuoteStatus.WITHDRAWN
    fresh.save(update_fields=["status", "updated_at"])
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=fresh,
                 changes={"status": [QuoteStatus.SUBMITTED, QuoteStatus.WITHDRAWN]}, note=_("机构撤回报价"))  # fmt: skip
    _notify(actor=actor, recipients=_enterprise_users(fresh.need.enterprise_id), kind="market.quote_withdrawn",
            link=reverse("market:need_compare", args=[fresh.need_id]),
            title=_("%(a)s撤回了报价：%(n)s") % {"a": fresh.agency, "n": fresh.need})  # fmt: skip
    return fresh


def _contract_number(quote: Quote) -> str:
    return f"SC{timezone.localdate():%Y}-M{quote.pk:06d}"


@transaction.atomic
def quote_accept(*, actor, quote: Quote):
    """The enterprise accepts one quote: the need is awarded, the other agencies are told politely,
    and exactly one draft service contract is made with the quote's terms (services' own write)."""
    if getattr(actor, "role", None) != "enterprise":
        raise PermissionDenied(_("只有发布需求的企业可以选定报价。"))
    need = Need.objects.visible_to(actor, "change").select_for_update().filter(pk=quote.need_id).first()
    if need is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    fresh = Quote.objects.select_for_update().get(pk=quote.pk)
    if need.status != NeedStatus.OPEN or fresh.contract_id:
        raise ValidationError(_("该需求已选定机构（或已关闭），不能再次选定。"))
    if fresh.status != QuoteStatus.SUBMITTED:
        raise ValidationError(_("该报价已撤回或未中选，不能选定。"))
    today = timezone.localdate()
    if fresh.valid_until < today:
        raise ValidationError(_("该报价已过有效期，请机构重新报价。"))
    _check_quote_terms(need, fresh.agency, list(fresh.staff.all()), fresh.items, today)
    contract = create_record(
        actor=actor,
        model=ServiceContract,
        data={
            "number": _contract_number(fresh),
            "agency": fresh.agency,
            "payer_type": PayerType.ENTERPRISE,
            "items": list(fresh.items),
            "start_date": need.start_date,
            "end_date": need.end_date,
            "fee": fresh.price,
            "visits_per_year": fresh.visits_per_year,
            "note": (_("由服务超市报价生成：%(n)s") % {"n": need})[:300],
        },
        m2m={"enterprises": [need.enterprise], "staff": list(fresh.staff.all())},
        note=_("服务超市选定报价，生成合同草稿"),
    )
    now = timezone.now()
    fresh.status, fresh.contract, fresh.accepted_at = QuoteStatus.ACCEPTED, contract, now
    fresh.save(update_fields=["status", "contract", "accepted_at", "updated_at"])
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=fresh,
                 changes={"status": [QuoteStatus.SUBMITTED, QuoteStatus.ACCEPTED], "contract": [None, contract.pk]},
                 note=_("选定该报价"))  # fmt: skip
    others = list(need.quotes.filter(status=QuoteStatus.SUBMITTED).exclude(pk=fresh.pk))
    for other in others:
        other.status = QuoteStatus.DECLINED
        other.save(update_fields=["status", "updated_at"])
        audit.record(actor=actor, action=AuditAction.TRANSITION, instance=other,
                     changes={"status": [QuoteStatus.SUBMITTED, QuoteStatus.DECLINED]}, note=_("企业选定了其他报价"))  # fmt: skip
    need.status, need.awarded_at = NeedStatus.AWARDED, now
    need.save(update_fields=["status", "awarded_at", "updated_at"])
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=need,
                 changes={"status": [NeedStatus.OPEN, NeedStatus.AWARDED]}, note=str(fresh.agency))  # fmt: skip
    _notify(actor=actor, recipients=_agency_users(fresh.agency_id), kind="market.accepted",
            link=fresh.get_absolute_url(),
            title=_("贵机构的报价已中选，请确认合同草稿：%(n)s") % {"n": need})  # fmt: skip
    for other in others:
        _notify(actor=actor, recipients=_agency_users(other.agency_id), kind="market.declined",
                link=other.get_absolute_url(),
                title=_("感谢贵机构的报价。企业经比较已选择其他机构，期待今后合作：%(n)s") % {"n": need})  # fmt: skip
    return contract


@transaction.atomic
def quote_confirm(*, actor, quote: Quote) -> Quote:
    """Each side confirms the draft contract made from the accepted quote. The agency's confirmation
    is its consent to activation: when both have confirmed, the contract is activated through
    services' own transition, by the agency user who confirmed (the agency may activate a draft)."""
    role = getattr(actor, "role", None)
    fresh = Quote.objects.visible_to(actor, "view").select_for_update().filter(pk=quote.pk).first()
    if fresh is None or role not in ("enterprise", "agency"):
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.status != QuoteStatus.ACCEPTED or fresh.contract_id is None:
        raise ValidationError(_("只有中选报价生成的合同草稿需要确认。"))
    if fresh.contract.status != ContractStatus.DRAFT:
        raise ValidationError(_("合同已不是草稿，无需再确认。"))
    side = "enterprise" if role == "enterprise" else "agency"
    if getattr(fresh, f"{side}_confirmed_at"):
        raise ValidationError(_("您方已确认过该合同草稿。"))
    now = timezone.now()
    setattr(fresh, f"{side}_confirmed_at", now)
    setattr(fresh, f"{side}_confirmed_by", actor)
    fresh.save(update_fields=[f"{side}_confirmed_at", f"{side}_confirmed_by", "updated_at"])
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=fresh,
                 changes={f"{side}_confirmed_at": [None, now.isoformat()]},
                 note=_("企业确认合同草稿") if side == "enterprise" else _("机构确认合同草稿"))  # fmt: skip
    if fresh.enterprise_confirmed_at and fresh.agency_confirmed_at:
        contract_transition(
            actor=fresh.agency_confirmed_by if side == "enterprise" else actor,
            contract=fresh.contract,
            action="activate",
            note=_("双方已在服务超市确认合同，合同生效"),
        )
    else:
        other = _agency_users(fresh.agency_id) if side == "enterprise" else _enterprise_users(fresh.need.enterprise_id)
        _notify(actor=actor, recipients=other, kind="market.confirm", link=fresh.get_absolute_url(),
                title=_("对方已确认合同草稿，请您确认：%(c)s") % {"c": fresh.contract})  # fmt: skip
    return fresh


def bar_create(*, actor, data: dict) -> Bar:
    return create_record(actor=actor, model=Bar, data=data)


__all__ = ["agency_hide", "agency_unhide", "case_create", "case_transition", "profile_for", "update_record"]
