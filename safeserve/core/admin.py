"""Admin writes are audited like any other write.

Every ModelAdmin in SafeServe derives from ``AuditedAdmin`` (a test walks ``admin.site._registry``):
creates, updates and deletes leave an AuditLog row with each field's old and new value, including
many-to-many fields (a user's groups and permissions) and the rows of inlines. Records that only
the system writes (audit logs, alarms, dead letters, readings) use ``ReadOnlyAdmin``: no add,
change or delete for anyone, superusers included.
"""

from django.contrib import admin
from django.db import transaction

from .audit import AuditAction, diff, record, snapshot
from .models import AuditLog

NOTE = "admin"


def m2m_snapshot(instance) -> dict:
    if instance.pk is None:
        return {}
    return {f.name: sorted(getattr(instance, f.name).values_list("pk", flat=True)) for f in instance._meta.many_to_many}


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change and obj.pk else {}
        with transaction.atomic():
            obj.full_clean()
            super().save_model(request, obj, form, change)
            action = AuditAction.UPDATE if change else AuditAction.CREATE
            # save_related() adds the many-to-many changes to this same entry.
            obj._admin_audit_entry = record(
                actor=request.user, action=action, instance=obj, changes=diff(before, snapshot(obj)), note=NOTE
            )

    def save_related(self, request, form, formsets, change):
        obj = form.instance
        with transaction.atomic():
            before = m2m_snapshot(obj) if change else {}
            super().save_related(request, form, formsets, change)
            after = m2m_snapshot(obj)
            changes = {k: [before.get(k, []), v] for k, v in after.items() if before.get(k, []) != v}
            if not changes:
                return
            entry = getattr(obj, "_admin_audit_entry", None)
            if entry is None:
                record(actor=request.user, action=AuditAction.UPDATE, instance=obj, changes=changes, note=NOTE)
            else:
                entry.changes = {**entry.changes, **changes}
                entry.save(update_fields=["changes"])

    def save_formset(self, request, form, formset, change):
        """Inline rows: one entry per created, changed or deleted row, noting the parent."""
        note = f"{NOTE}: {form.instance._meta.verbose_name} {form.instance}"[:500]
        model = formset.model
        ids = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        before = {o.pk: snapshot(o) for o in model._default_manager.filter(pk__in=ids)}
        with transaction.atomic():
            for f in formset.deleted_forms:
                if f.instance.pk is not None:
                    old = before.get(f.instance.pk, snapshot(f.instance))
                    record(
                        actor=request.user,
                        action=AuditAction.DELETE,
                        instance=f.instance,
                        changes=diff(old, {}),
                        note=note,
                    )
            super().save_formset(request, form, formset, change)
            for o in formset.new_objects:
                record(
                    actor=request.user, action=AuditAction.CREATE, instance=o, changes=diff({}, snapshot(o)), note=note
                )
            for o, _fields in formset.changed_objects:
                changes = diff(before.get(o.pk, {}), snapshot(o))
                if changes:
                    record(actor=request.user, action=AuditAction.UPDATE, instance=o, changes=changes, note=note)

    def delete_model(self, request, obj):
        with transaction.atomic():
            changes = diff(snapshot(obj), {})
            changes.update({k: [v, []] for k, v in m2m_snapshot(obj).items() if v})
            record(actor=request.user, action=AuditAction.DELETE, instance=obj, changes=changes, note=NOTE)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


class ReadOnlyAdmin(AuditedAdmin):
    """Rows only the system writes: viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor_name"]
