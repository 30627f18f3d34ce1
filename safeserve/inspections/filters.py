import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.models import Enterprise

from .choices import InspectionKind, InspectionResult, RuleKind
from .models import FrequencyRule, Inspection, InspectionPlan, OfficerConflict


class PlanFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains",)

    class Meta:
        model = InspectionPlan
        fields = ["year", "town"]


class RuleFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains",)
    kind = django_filters.ChoiceFilter(choices=RuleKind.choices, label=_("依据"))

    class Meta:
        model = FrequencyRule
        fields = ["kind", "is_active"]


class ConflictFilterSet(ScopedFilterSet):
    search_fields = ("reason__icontains", "enterprise__name__icontains")
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))

    class Meta:
        model = OfficerConflict
        fields = ["enterprise", "is_active"]


class InspectionFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name__icontains", "result_summary__icontains")
    kind = django_filters.ChoiceFilter(choices=InspectionKind.choices, label=_("检查类型"))
    result = django_filters.ChoiceFilter(choices=InspectionResult.choices, label=_("检查结果"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    date_from = django_filters.DateFilter(field_name="inspected_on", lookup_expr="gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="inspected_on", lookup_expr="lte", label=_("截止日期"))

    class Meta:
        model = Inspection
        fields = ["kind", "result", "enterprise"]
