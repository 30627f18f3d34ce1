from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "role", "town", "enterprise", "agency", "is_active"]
    list_filter = ["role", "is_active", "town"]
    fieldsets = BaseUserAdmin.fieldsets + (
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
