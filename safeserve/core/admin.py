"""Admin writes are audited like any other write."""

from django.contrib import admin
from django.db import transaction

from .audit import AuditAction, diff, record, snapshot
from .models import AuditLog


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change and obj.pk else {}
        with transaction.atomic():
            obj.full_clean()
            super().save_model(request, obj, form, change)
            action = AuditAction.UPDATE if change else AuditAction.CREATE
            record(actor=request.user, action=action, instance=obj, changes=diff(before, snapshot(obj)), note="admin")

    def delete_model(self, request, obj):
        with transaction.atomic():
            record(
                actor=request.user,
                action=AuditAction.DELETE,
                instance=obj,
                changes=diff(snapshot(obj), {}),
                note="admin",
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "content_type", "object_repr"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
