"""People's writes of the iot capability: devices (create, rotate a secret) and alarm handling.

The ingestion pipeline lives in ``safeserve.iot.ingest``; periodic jobs in ``safeserve.iot.jobs``.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import actions as core_actions
from safeserve.core.audit import AuditAction, diff, record, snapshot

from . import queries, transitions
from .choices import AlarmState
from .ingest.devices import device_cache, hash_secret, new_secret
from .models import Alarm, Device, DeviceProfile

# ----------------------------------------------------------------------------- devices (people)


def _check_perm(actor, perm):
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("您没有该操作的权限"))


def device_create(*, actor, data: dict) -> tuple[Device, str]:
    """Register a device. Returns (device, secret): the secret is shown once and never stored in clear."""
    secret = new_secret()
    data = dict(data)
    system_fields = ["secret_hash"]
    if not data.get("profile"):
        data["profile"] = default_profile()
        system_fields.append("profile")  # the default, not the actor's choice
    with transaction.atomic():
        device = core_actions.create_record(
            actor=actor, model=Device, data={**data, "secret_hash": hash_secret(secret)}, system_fields=system_fields
        )
        device_cache.invalidate(device.code)
    return device, secret


def device_rotate_secret(*, actor, device: Device) -> str:
    secret = new_secret()
    with transaction.atomic():
        fresh = Device.objects.visible_to(actor, "change").select_for_update().filter(pk=device.pk).first()
        if fresh is None:
            raise PermissionDenied(_("该记录超出您的数据权限范围"))
        fresh.secret_hash = hash_secret(secret)
        fresh.secret_rotated_at = timezone.now()
        fresh.full_clean()
        fresh.save(update_fields=["secret_hash", "secret_rotated_at", "updated_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=fresh,
            changes={"secret": ["***", "***"]},
            note=_("更换设备密钥"),
        )
    device_cache.invalidate(fresh.code)
    return secret


def default_profile() -> DeviceProfile:
    profile = DeviceProfile.objects.filter(is_default=True).first()
    if profile is None:
        profile, _created = DeviceProfile.objects.get_or_create(
            name=_("标准电气火灾监控"), defaults={"is_default": True}
        )
    return profile


# ----------------------------------------------------------------------------- alarm handling (处置)

# The state machine is one table (transitions.py): enforced here, offered by the page, tested from it.
HANDLERS = transitions.HANDLERS
allowed_actions = transitions.allowed_actions


def _locked(actor, alarm: Alarm, action: str) -> Alarm:
    _check_perm(actor, "iot.change_alarm")
    fresh = Alarm.objects.visible_to(actor, "change").select_for_update().filter(pk=alarm.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if action not in allowed_actions(actor, fresh):
        raise ValidationError(_("当前状态下不能执行该操作"))
    return fresh


def _save_transition(actor, fresh: Alarm, before: dict, note: str) -> Alarm:
    fresh.full_clean()
    fresh.save()
    record(actor=actor, action=AuditAction.TRANSITION, instance=fresh, changes=diff(before, snapshot(fresh)), note=note)
    return fresh


def _seconds_since_raised(alarm: Alarm, now) -> int:
    return max(0, int((now - alarm.raised_at).total_seconds()))


@transaction.atomic
def alarm_acknowledge(*, actor, alarm: Alarm) -> Alarm:
    fresh = _locked(actor, alarm, "acknowledge")
    before = snapshot(fresh)
    now = timezone.now()
    fresh.state = transitions.lookup(transitions.state_of(fresh), "acknowledge").target
    fresh.acknowledged_at, fresh.acknowledged_by = now, actor
    fresh.ack_seconds = _seconds_since_raised(fresh, now)
    return _save_transition(actor, fresh, before, _("确认报警"))


@transaction.atomic
def alarm_assign(*, actor, alarm: Alarm, assignee) -> Alarm:
    fresh = _locked(actor, alarm, "assign")
    if (
        assignee is None
        or not queries.alarm_handlers(fresh).filter(pk=assignee.pk).exists()
        or not Alarm.objects.visible_to(assignee, "change").filter(pk=fresh.pk).exists()
    ):
        raise ValidationError({"assignee": _("处置人无权处理该报警")})
    before = snapshot(fresh)
    fresh.assignee, fresh.assigned_at = assignee, timezone.now()
    return _save_transition(actor, fresh, before, _("指派处置人"))


@transaction.atomic
def alarm_record(*, actor, alarm: Alarm, measures: str, result: str = "") -> Alarm:
    fresh = _locked(actor, alarm, "record")
    before = snapshot(fresh)
    fresh.measures, fresh.result = measures.strip(), result.strip()
    return _save_transition(actor, fresh, before, _("记录处置措施"))


@transaction.atomic
def alarm_close(*, actor, alarm: Alarm, measures: str, result: str) -> Alarm:
    """Close after handling: measures and result are required; an active alarm is cleared by hand."""
    fresh = _locked(actor, alarm, "close")
    measures, result = (measures or "").strip(), (result or "").strip()
    errors = {}
    if not measures:
        errors["measures"] = _("关闭报警须填写处置措施")
    if not result:
        errors["result"] = _("关闭报警须填写处置结果")
    if errors:
        raise ValidationError(errors)
    before = snapshot(fresh)
    now = timezone.now()
    fresh.measures, fresh.result = measures, result
    if fresh.acknowledged_at is None:
        fresh.acknowledged_at, fresh.acknowledged_by = now, actor
        fresh.ack_seconds = _seconds_since_raised(fresh, now)
    if fresh.active:
        fresh.active, fresh.cleared_at = False, now
    fresh.state = AlarmState.CLEARED_ACK
    fresh.closed_at, fresh.closed_by = now, actor
    fresh.close_seconds = _seconds_since_raised(fresh, now)
    return _save_transition(actor, fresh, before, _("处置完成，关闭报警"))


def may_make_hazard(user, alarm: Alarm) -> bool:
    """Whether the page offers turning the alarm into a hazard (``alarm_to_hazard`` checks again)."""
    return alarm.hazard_id is None and user.has_perm("hazards.add_hazard") and user.has_perm("iot.change_alarm")


@transaction.atomic
def alarm_to_hazard(*, actor, alarm: Alarm, responsible_person: str = "", deadline=None):
    """Turn a (repeated) alarm into a 一般 hazard of its enterprise in one step.

    The hazard enters the hidden-hazard closed loop (rectify, accept, close); the alarm keeps a link
    to it so the same alarm cannot become two hazards. Officers can raise it to 重大 on the hazard.
    """
    from safeserve.hazards.actions import hazard_report
    from safeserve.hazards.choices import HazardSource

    _check_perm(actor, "iot.change_alarm")
    fresh = Alarm.objects.visible_to(actor, "change").select_for_update(of=("self",)).filter(pk=alarm.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.hazard_id:
        raise ValidationError(_("该报警已转为隐患"))
    device = fresh.device
    enterprise = fresh.enterprise
    since = timezone.now() - timedelta(days=30)
    repeats = Alarm.objects.filter(device=device, type=fresh.type, raised_at__gte=since).count()
    description = _(
        "智慧用电监测：%(type)s报警，本次累计 %(count)d 次（近30天同类报警 %(repeats)d 起），"
        "峰值 %(peak)s，阈值 %(threshold)s。设备 %(code)s，位置 %(place)s，回路 %(circuit)s。"
    ) % {
        "type": fresh.get_type_display(),
        "count": fresh.count,
        "repeats": repeats,
        "peak": "—" if fresh.peak_value is None else f"{fresh.peak_value:g}",
        "threshold": "—" if fresh.threshold is None else f"{fresh.threshold:g}",
        "code": device.code,
        "place": device.place,
        "circuit": device.circuit,
    }
    hazard = hazard_report(
        actor=actor,
        enterprise=enterprise,
        location=f"{device.place} {device.circuit}".strip()[:200],
        description=description,
        responsible_person=(responsible_person or enterprise.safety_manager or enterprise.legal_representative),
        source=HazardSource.IOT,
        deadline=deadline,
        note=_("由用电报警 #%(pk)d 转入") % {"pk": fresh.pk},
    )
    before = snapshot(fresh)
    fresh.hazard = hazard
    _save_transition(actor, fresh, before, _("转为隐患"))
    return hazard
