from django.contrib import admin

from safeserve.core.admin import AuditedAdmin, ReadOnlyAdmin

from . import models as m


@admin.register(m.DeviceProfile)
class DeviceProfileAdmin(AuditedAdmin):
    list_display = ["name", "residual_ma", "temperature_c", "over_voltage_v", "under_voltage_v", "is_default"]


@admin.register(m.Device)
class DeviceAdmin(AuditedAdmin):
    """Devices are added (and secrets rotated) on the app's own pages, which show the secret once."""

    list_display = ["code", "name", "enterprise", "place", "circuit", "is_active", "last_seen_at"]
    search_fields = ["code", "name"]
    raw_id_fields = ["enterprise"]
    readonly_fields = ["secret_hash", "secret_rotated_at", "last_seen_at"]

    def has_add_permission(self, request):
        return False


@admin.register(m.Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    """Alarms change only through their state machine (the alarm pages)."""

    list_display = ["raised_at", "device", "type", "severity", "state", "count", "peak_value"]
    list_filter = ["type", "severity", "state"]


@admin.register(m.DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "source", "device_code", "reason", "detail"]
    list_filter = ["reason", "source"]
