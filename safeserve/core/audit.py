"""Audit records: every create, update and delete writes one AuditLog row."""

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from .models import AuditAction, AuditLog


def _plain(value):
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat()  # one zone, so equal instants compare equal
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, FieldFile):  # a stored file by its (content-addressed) name
        return value.name or ""
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _fingerprint(value) -> str:
    """A short, one-way stand-in for a secret: a change shows in the history, the value never does."""
    if value in (None, ""):
        return ""
    return "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:8]


def snapshot(instance) -> dict:
    """Field values of an instance, as stored (foreign keys by id), JSON-safe.

    A model lists credentials in ``audit_redacted_fields``: the audit log keeps only a fingerprint.
    """
    redacted = set(getattr(instance, "audit_redacted_fields", ()))
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name in {"created_at", "updated_at", "id", "password", "last_login"}:
            continue
        value = field.value_from_object(instance)
        data[field.attname] = _fingerprint(value) if field.name in redacted else _plain(value)
    return data


def diff(before: dict, after: dict) -> dict:
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


# Who acted when no user did, stored in ``actor_name`` as a key; pages show it through
# core.display.actor_label (系统, 设备, 数据导入, 系统定时任务), never the raw key.
SYSTEM = "system"
DEVICE = "device"  # a device's readings (an alarm raised or cleared by the ingest pipeline)
IMPORT = "import"  # reference data or a roster import run without a user


def _actor_name(actor, system_actor: str = SYSTEM):
    return str(actor) if actor is not None and actor.is_authenticated else system_actor


def audit_entry(*, actor, action: str, instance, changes: dict, note: str = "", system_actor: str = SYSTEM) -> AuditLog:
    return AuditLog(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=_actor_name(actor, system_actor)[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=changes,
        note=note[:500],
    )


def record(*, actor, action: str, instance, changes: dict, note: str = "", system_actor: str = SYSTEM) -> AuditLog:
    entry = audit_entry(
        actor=actor, action=action, instance=instance, changes=changes, note=note, system_actor=system_actor
    )
    entry.save()
    return entry


SYSTEM_JOB = "system job"


def record_job(*, job: str, model, summary: dict, note: str = "") -> AuditLog:
    """One summary entry for a bulk system job (a purge, a rollup, an expiry or escalation run).

    No actor: ``actor_name`` is "system job: <job>"; ``changes`` holds the counts and cut-offs;
    the content type is the model the job changed most, ``object_id`` is "*" (many rows).
    """
    return AuditLog.objects.create(
        actor=None,
        actor_name=f"{SYSTEM_JOB}: {job}"[:150],
        action=AuditAction.JOB,
        content_type=ContentType.objects.get_for_model(model),
        object_id="*",
        object_repr=str(model._meta.verbose_name_plural)[:200],
        changes={key: _plain(value) for key, value in summary.items()},
        note=note[:500],
    )


def history_for(instance):
    return AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(type(instance)), object_id=str(instance.pk)
    ).select_related("actor")


__all__ = [
    "DEVICE",
    "IMPORT",
    "SYSTEM",
    "AuditAction",
    "audit_entry",
    "diff",
    "history_for",
    "record",
    "record_job",
    "snapshot",
]
