import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet, visible_choices
from safeserve.registry.models import Enterprise, Town

from .choices import ApplicationStatus, PolicyStatus
from .models import SubsidyApplication, SubsidyPolicy


class PolicyFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "note__icontains")
    status = django_filters.ChoiceFilter(choices=PolicyStatus.choices, label=_("状态"))
    year = django_filters.NumberFilter(label=_("年度"))
    town = django_filters.ModelChoiceFilter(queryset=visible_choices(Town), label=_("镇（街道）"))

    class Meta:
        model = SubsidyPolicy
        fields = ["status", "year", "town"]


class ApplicationFilterSet(ScopedFilterSet):
    search_fields = ("number__icontains", "enterprise__name__icontains", "invoice_number__icontains")
    status = django_filters.ChoiceFilter(choices=ApplicationStatus.choices, label=_("状态"))
    year = django_filters.NumberFilter(field_name="policy__year", label=_("年度"))
    town = django_filters.ModelChoiceFilter(
        field_name="policy__town", queryset=visible_choices(Town), label=_("镇（街道）")
    )
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    submitted_from = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__gte", label=_("申请日期起")
    )
    submitted_to = django_filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte", label=_("申请日期止"))

    class Meta:
        model = SubsidyApplication
        fields = ["status", "year", "town", "enterprise"]
