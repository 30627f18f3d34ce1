from django.contrib import admin

from safeserve.core.admin import AuditedAdmin

from . import models as m


@admin.register(m.Town)
class TownAdmin(AuditedAdmin):
    list_display = ["code", "name", "sort_order"]


@admin.register(m.Village)
class VillageAdmin(AuditedAdmin):
    list_display = ["code", "name", "town"]
    list_filter = ["town"]
    search_fields = ["name", "code"]


@admin.register(m.Industry)
class IndustryAdmin(AuditedAdmin):
    list_display = ["code", "name", "level", "is_key", "insurance_mandatory"]
    list_filter = ["level", "is_key", "insurance_mandatory"]
    search_fields = ["code", "name"]


@admin.register(m.Enterprise)
class EnterpriseAdmin(AuditedAdmin):
    list_display = ["name", "credit_code", "town", "industry", "size_class", "risk_level", "status"]
    list_filter = ["town", "size_class", "risk_level", "status"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["industry", "village"]
    list_select_related = ["town", "industry"]


class QualificationInline(admin.TabularInline):
    model = m.AgencyQualification
    extra = 0


class StaffInline(admin.TabularInline):
    model = m.AgencyStaff
    extra = 0


@admin.register(m.Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["name", "credit_code", "is_local", "is_active"]
    search_fields = ["name", "credit_code"]
    inlines = [QualificationInline, StaffInline]


@admin.register(m.Expert)
class ExpertAdmin(AuditedAdmin):
    list_display = ["name", "title", "pool", "employer", "is_active"]
    list_filter = ["pool"]
    search_fields = ["name", "specialties"]
    raw_id_fields = ["employer_enterprise"]


@admin.register(m.Insurer)
class InsurerAdmin(AuditedAdmin):
    list_display = ["name", "credit_code"]


@admin.register(m.Association)
class AssociationAdmin(AuditedAdmin):
    list_display = ["name", "credit_code", "industry"]
    raw_id_fields = ["members"]
