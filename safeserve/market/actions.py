"""Writes of the marketplace: profiles and prices by the agency, hiding by the county, case stories
written by towns or the county and published only after the county's review. Every write audited."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import audit
from safeserve.core.actions import create_record, update_record
from safeserve.core.models import AuditAction
from safeserve.core.uploads import verify_image

from .models import AgencyProfile, CaseStatus, CaseStory


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


__all__ = ["agency_hide", "agency_unhide", "case_create", "case_transition", "profile_for", "update_record"]
