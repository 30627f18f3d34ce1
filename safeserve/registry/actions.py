"""Registry writes beyond plain records: certificate confirmation and staff leaving.

Docs: decisions/0014-related-rows-and-qualifications.md. An agency keeps its own staff and qualifications,
but a certificate or qualification it enters or changes counts for visits only once the county has
confirmed it; until then the validity the county confirmed last still holds (so an agency cannot
extend an expired certificate and use it at once). People named on signed records are never
deleted: they leave (``staff_deactivate``), and the database protects the link (``services.VisitStaff``).
"""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import actions as core_actions
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.core.models import AuditLog

from . import models as m
from . import reference as ref
from .models import AgencyQualification, AgencyStaff

STAFF_CERTIFICATE_FIELDS = ("is_registered_engineer", "engineer_certificate_no", "engineer_certificate_valid_until")
QUALIFICATION_FIELDS = ("service_type", "number", "valid_until")


def _by_county(actor) -> bool:
    return actor is None or actor.is_superuser or actor.role == Role.COUNTY


def _changed(previous, instance, fields) -> bool:
    return previous is None or any(getattr(previous, f) != getattr(instance, f) for f in fields)


def prepare_staff(*, actor, previous, instance):
    """Write hook for AgencyStaff (core.actions.WRITE_HOOKS)."""
    if instance.is_active:
        instance.left_on = None
    if not _changed(previous, instance, STAFF_CERTIFICATE_FIELDS):
        return  # the certificate is untouched: its confirmation stands
    if _by_county(actor) or not instance.is_registered_engineer:
        instance.certificate_verified, instance.certificate_verified_until = True, None
        return
    keep = None
    same = (
        previous is not None
        and previous.is_registered_engineer
        and previous.engineer_certificate_no == instance.engineer_certificate_no
    )
    if same:
        confirmed = previous.engineer_certificate_valid_until or date.max
        keep = confirmed if previous.certificate_verified else previous.certificate_verified_until
    instance.certificate_verified, instance.certificate_verified_until = False, keep


def prepare_qualification(*, actor, previous, instance):
    """Write hook for AgencyQualification (core.actions.WRITE_HOOKS)."""
    if not _changed(previous, instance, QUALIFICATION_FIELDS):
        return
    if _by_county(actor):
        instance.verified, instance.verified_valid_until = True, None
        return
    keep = None
    if previous is not None and (previous.number, previous.service_type) == (instance.number, instance.service_type):
        keep = previous.valid_until if previous.verified else previous.verified_valid_until
    instance.verified, instance.verified_valid_until = False, keep


@transaction.atomic
def confirm_certificate(*, actor, instance, note: str = ""):
    """The county confirms a staff certificate or an agency qualification as entered."""
    if actor is None or not (actor.is_superuser or actor.role == Role.COUNTY):
        raise PermissionDenied(_("只有县应急管理局可以核验证书和资质"))
    model = type(instance)
    try:
        fresh = model.objects.visible_to(actor, "change").select_for_update(of=("self",)).get(pk=instance.pk)
    except model.DoesNotExist:
        raise PermissionDenied(_("该记录超出您的数据权限范围")) from None
    before = snapshot(fresh)
    if model is AgencyStaff:
        fresh.certificate_verified, fresh.certificate_verified_until = True, None
    else:
        fresh.verified, fresh.verified_valid_until = True, None
    fresh.full_clean()
    fresh.save()
    changes = diff(before, snapshot(fresh))
    if changes:
        record(actor=actor, action=AuditAction.UPDATE, instance=fresh, changes=changes, note=note or _("县局核验"))
    return fresh


def staff_deactivate(*, actor, staff, left_on: date | None = None, note: str = ""):
    """A person leaves the agency: kept (visits and contracts name them), marked 离职 with the date."""
    left_on = left_on or timezone.localdate()
    return core_actions.update_record(
        actor=actor,
        instance=staff,
        data={"is_active": False, "left_on": left_on},
        note=note or _("离职（停用）"),
        system_fields=("left_on",),  # the date this action records, not a field anyone edits
    )


def register_hooks():
    core_actions.WRITE_HOOKS[AgencyStaff] = prepare_staff
    core_actions.WRITE_HOOKS[AgencyQualification] = prepare_qualification


def load_reference() -> dict:
    """Towns, villages and industries (update_or_create). Returns how many rows were created."""
    created = {"town": 0, "village": 0, "industry": 0}
    with transaction.atomic():
        created["industry"] = ref.load_industries(m.Industry)[0]
        for t in ref.TOWNS:
            town, new = m.Town.objects.update_or_create(
                name=t.name, defaults={"code": t.code, "sort_order": t.sort_order}
            )
            created["town"] += new
            for code, name in ref.village_codes(t):
                _v, new = m.Village.objects.update_or_create(town=town, name=name, defaults={"code": code})
                created["village"] += new
        for key, model in (("town", m.Town), ("village", m.Village), ("industry", m.Industry)):
            if created[key]:
                AuditLog.objects.create(
                    actor=None,
                    actor_name="load_reference",
                    action=AuditAction.IMPORT,
                    content_type=ContentType.objects.get_for_model(model),
                    object_id="*",
                    object_repr=f"{model._meta.verbose_name_plural} × {created[key]}",
                    changes={"count": created[key]},
                    note="load_reference",
                )
    return created
