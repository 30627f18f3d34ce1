from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.models import Group
from django.db import transaction

from safeserve.core.admin import NOTE, AuditedAdmin, ReadOnlyAdmin
from safeserve.core.audit import AuditAction, record

from .models import User


@admin.register(User)
class UserAdmin(AuditedAdmin, auth_admin.UserAdmin):
    """Role, town and the other scope links (which widen what a user sees), groups and permissions
    are all audited with their old and new values; a password change is audited without the hash."""

    list_display = ["username", "full_name", "role", "town", "enterprise", "agency", "is_active"]
    list_filter = ["role", "is_active", "town"]
    fieldsets = auth_admin.UserAdmin.fieldsets + (
        (
            "SafeServe",
            {
                "fields": (
                    "role",
                    "full_name",
                    "phone",
                    "town",
                    "enterprise",
                    "agency",
                    "expert",
                    "insurer",
                    "association",
                )
            },
        ),
    )
    raw_id_fields = ["enterprise", "agency", "expert", "insurer", "association"]

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:  # the form was valid and saved
                user = self.get_object(request, unquote(id))
                record(
                    actor=request.user,
                    action=AuditAction.UPDATE,
                    instance=user,
                    changes={"password": ["***", "***"]},
                    note=NOTE,
                )
        return response


# Django's and axes' own admins, re-registered on the audited base.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, auth_admin.GroupAdmin):
    pass


for model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AuditedAdmin, axes_admin.AccessAttemptAdmin):
    """Deleting an attempt unlocks a locked-out login: allowed, and audited."""


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin, axes_admin.AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class AccessFailureLogAdmin(ReadOnlyAdmin, axes_admin.AccessFailureLogAdmin):
    pass
