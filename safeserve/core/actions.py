"""Generic, audited writes for plain records.

Domain apps call these (or wrap them) from their own ``actions.py``; views and API endpoints never
call ``.save()`` on a scoped model. Each action is atomic, runs ``full_clean()`` before saving,
and writes the audit record in the same transaction.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import AuditAction, diff, record, snapshot
from .fieldperms import check_writable

# Model-specific preparation of a write, registered by the apps above core in ``ready()``:
# ``hook(*, actor, previous, instance)`` runs after the new values are set and before ``full_clean``;
# ``previous`` is the stored row (None on create). Example: registry.actions (certificate confirmation).
WRITE_HOOKS: dict = {}


def _prepare(actor, previous, instance):
    hook = WRITE_HOOKS.get(type(instance))
    if hook is not None:
        hook(actor=actor, previous=previous, instance=instance)


def _check(actor, model, action):
    opts = model._meta
    if actor is not None and not actor.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        raise PermissionDenied(_("您没有该操作的权限"))


def _check_scope(actor, instance, action):
    """After a write, the row must still be inside the actor's scope, or the write is undone.

    This stops, for example, a town officer moving an enterprise into another town.
    """
    if actor is None:
        return
    model = type(instance)
    if not model.objects.visible_to(actor, action).filter(pk=instance.pk).exists():
        raise PermissionDenied(_("该记录超出您的数据权限范围"))


def _set_m2m(instance, m2m: dict | None, actor=None) -> dict:
    """Set many-to-many values; rows the actor cannot see are kept, never silently dropped.

    A town officer editing a contract that also covers another town's enterprise submits only the
    enterprises it sees; the others stay on the contract.
    """
    changes = {}
    for name, values in (m2m or {}).items():
        manager = getattr(instance, name)
        before = sorted(manager.values_list("pk", flat=True)) if instance.pk else []
        if before and actor is not None:
            related = manager.model
            visible = related.objects.visible_to(actor) if hasattr(related.objects, "visible_to") else None
            hidden = manager.exclude(pk__in=visible.values("pk")) if visible is not None else manager.none()
            values = list(values) + list(hidden)
        manager.set(values)
        after = sorted(manager.values_list("pk", flat=True))
        if before != after:
            changes[name] = [before, after]
    return changes


@transaction.atomic
def create_record(*, actor, model, data: dict, m2m: dict | None = None, note: str = "", system_fields=()):
    """``system_fields``: values the calling action sets itself, exempt from the writable-field rule."""
    _check(actor, model, "add")
    check_writable(actor=actor, model=model, data=data, m2m=m2m, system_fields=system_fields)
    instance = model(**data)
    _prepare(actor, None, instance)
    instance.full_clean()
    instance.save()
    changes = diff({}, snapshot(instance))
    changes.update(_set_m2m(instance, m2m))
    _check_scope(actor, instance, "add")
    record(actor=actor, action=AuditAction.CREATE, instance=instance, changes=changes, note=note)
    return instance


@transaction.atomic
def update_record(*, actor, instance, data: dict, m2m: dict | None = None, note: str = "", system_fields=()):
    _check(actor, type(instance), "change")
    model = type(instance)
    rows = model.objects.visible_to(actor, "change") if actor is not None else model.objects.all()
    try:
        fresh = rows.select_for_update(of=("self",)).get(pk=instance.pk)
    except model.DoesNotExist:
        raise PermissionDenied(_("该记录超出您的数据权限范围")) from None
    check_writable(actor=actor, model=model, instance=fresh, data=data, m2m=m2m, system_fields=system_fields)
    before = snapshot(fresh)
    previous = model.objects.get(pk=fresh.pk) if model in WRITE_HOOKS else None
    for key, value in data.items():
        setattr(fresh, key, value)
    _prepare(actor, previous, fresh)
    fresh.full_clean()
    fresh.save()
    changes = diff(before, snapshot(fresh))
    changes.update(_set_m2m(fresh, m2m, actor))
    _check_scope(actor, fresh, "change")
    if changes:
        record(actor=actor, action=AuditAction.UPDATE, instance=fresh, changes=changes, note=note)
    return fresh


@transaction.atomic
def delete_record(*, actor, instance, note: str = ""):
    _check(actor, type(instance), "delete")
    _check_scope(actor, instance, "delete")
    changes = diff(snapshot(instance), {})
    record(actor=actor, action=AuditAction.DELETE, instance=instance, changes=changes, note=note)
    instance.delete()
