from django.contrib import admin

from . import models as m


@admin.register(m.DeviceProfile)
class DeviceProfileAdmin(admin.ModelAdmin):
    list_display = ["name", "residual_ma", "temperature_c", "over_voltage_v", "under_voltage_v", "is_default"]


@admin.register(m.Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "enterprise", "place", "circuit", "is_active", "last_seen_at"]
    search_fields = ["code", "name"]
    raw_id_fields = ["enterprise"]
    readonly_fields = ["secret_rotated_at", "last_seen_at"]


@admin.register(m.Alarm)
class AlarmAdmin(admin.ModelAdmin):
    list_display = ["raised_at", "device", "type", "severity", "state", "count", "peak_value"]
    list_filter = ["type", "severity", "state"]
    raw_id_fields = ["device", "enterprise", "acknowledged_by", "assignee", "closed_by"]


@admin.register(m.DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["received_at", "source", "device_code", "reason", "detail"]
    list_filter = ["reason", "source"]
