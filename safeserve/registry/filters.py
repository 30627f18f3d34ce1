import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet, visible_choices

from . import models as m
from .choices import EnterpriseStatus, ExpertPool, QualificationStatus, RiskLevel, ServiceType, SizeClass
from .queries import covered_q, qualification_warn_date


class TownFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "code__startswith")

    class Meta:
        model = m.Town
        fields = []


class VillageFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "code__startswith")
    town = django_filters.ModelChoiceFilter(queryset=visible_choices(m.Town), label=_("镇（街道）"))

    class Meta:
        model = m.Village
        fields = ["town"]


class IndustryFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "code__startswith")

    class Meta:
        model = m.Industry
        fields = ["level", "is_key", "insurance_mandatory"]


class EnterpriseFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "credit_code__startswith", "address__icontains")
    town = django_filters.ModelChoiceFilter(queryset=visible_choices(m.Town), label=_("镇（街道）"))
    village = django_filters.ModelChoiceFilter(queryset=visible_choices(m.Village), label=_("村（社区）"))
    industry = django_filters.ModelChoiceFilter(
        queryset=visible_choices(m.Industry), label=_("行业"), method="filter_industry"
    )
    size_class = django_filters.ChoiceFilter(choices=SizeClass.choices, label=_("规模"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("风险等级"))
    status = django_filters.ChoiceFilter(choices=EnterpriseStatus.choices, label=_("经营状态"))
    key_industry = django_filters.BooleanFilter(field_name="industry__is_key", label=_("重点行业"))
    service_contract = django_filters.BooleanFilter(method="filter_service_contract", label=_("有生效的服务合同"))

    class Meta:
        model = m.Enterprise
        fields = [
            "town",
            "village",
            "industry",
            "size_class",
            "risk_level",
            "status",
            "is_hazchem",
            "has_major_hazard_source",
            "is_village_small",
            "standardization_grade",
        ]

    def filter_service_contract(self, queryset, name, value):
        if value is None:
            return queryset
        covered = covered_q("service_contract")
        return queryset.filter(covered) if value else queryset.exclude(covered)

    def filter_industry(self, queryset, name, value):
        # A section (门类) matches the enterprises of all its divisions.
        if value.level == "section":
            return queryset.filter(industry__parent=value) | queryset.filter(industry=value)
        return queryset.filter(industry=value)


class AgencyFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "credit_code__startswith")
    service_type = django_filters.ChoiceFilter(
        choices=ServiceType.choices, label=_("服务类型"), method="filter_service_type"
    )

    class Meta:
        model = m.Agency
        fields = ["service_type", "is_local", "is_active"]

    def filter_service_type(self, queryset, name, value):
        return queryset.filter(service_types__icontains=f'"{value}"')


class AgencyQualificationFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "number__icontains", "agency__name__icontains")
    agency = AutocompleteFilter(kind="agency", model=m.Agency, label=_("服务机构"))
    status = django_filters.ChoiceFilter(choices=QualificationStatus.choices, label=_("状态"), method="filter_status")
    alert = django_filters.BooleanFilter(method="filter_alert", label=_("已过期或即将到期"))

    class Meta:
        model = m.AgencyQualification
        fields = ["agency"]

    def filter_alert(self, queryset, name, value):
        if value is None:
            return queryset
        cond = Q(valid_until__lte=qualification_warn_date())
        return queryset.filter(cond) if value else queryset.exclude(cond)

    def filter_status(self, queryset, name, value):
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        today = timezone.localdate()
        warn = today + timedelta(days=settings.SAFESERVE["QUALIFICATION_EXPIRY_WARNING_DAYS"])
        if value == QualificationStatus.EXPIRED:
            return queryset.filter(valid_until__lt=today)
        if value == QualificationStatus.EXPIRING:
            return queryset.filter(valid_until__gte=today, valid_until__lte=warn)
        return queryset.filter(valid_until__gt=warn)


class AgencyStaffFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "engineer_certificate_no__icontains")
    agency = AutocompleteFilter(kind="agency", model=m.Agency, label=_("服务机构"))

    class Meta:
        model = m.AgencyStaff
        fields = ["agency", "is_registered_engineer", "is_active"]


class ExpertFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "specialties__icontains", "employer__icontains")
    pool = django_filters.ChoiceFilter(choices=ExpertPool.choices, label=_("专家库"))

    class Meta:
        model = m.Expert
        fields = ["pool", "is_active"]


class InsurerFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "credit_code__startswith")

    class Meta:
        model = m.Insurer
        fields = []


class AssociationFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "credit_code__startswith")

    class Meta:
        model = m.Association
        fields = ["industry"]
