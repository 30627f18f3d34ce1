from datetime import timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, DaysFilter, ScopedFilterSet, visible_choices
from safeserve.registry.models import Enterprise, Town

from .choices import CriterionCategory, HazardLevel, HazardSource, HazardState
from .models import Hazard, MajorHazardCriterion
from .queries import TO_RECTIFY_Q, overdue_q


class HazardFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name__icontains", "location__icontains", "description__icontains")
    state = django_filters.ChoiceFilter(choices=HazardState.choices, label=_("状态"))
    level = django_filters.ChoiceFilter(choices=HazardLevel.choices, label=_("等级"))
    source = django_filters.ChoiceFilter(choices=HazardSource.choices, label=_("来源"))
    town = django_filters.ModelChoiceFilter(queryset=visible_choices(Town), label=_("镇（街道）"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("逾期"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("未销号"))
    to_rectify = django_filters.BooleanFilter(method="filter_to_rectify", label=_("待整改"))
    due_within = DaysFilter(method="filter_due_within", label=_("N日内到期"))
    reported_from = django_filters.DateFilter(field_name="reported_at", lookup_expr="date__gte", label=_("发现日期起"))
    reported_to = django_filters.DateFilter(field_name="reported_at", lookup_expr="date__lte", label=_("发现日期止"))

    class Meta:
        model = Hazard
        fields = ["state", "level", "source", "town", "enterprise", "supervised"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(state=HazardState.CLOSED) if value else queryset.filter(state=HazardState.CLOSED)

    def filter_to_rectify(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(TO_RECTIFY_Q) if value else queryset.exclude(TO_RECTIFY_Q)

    def filter_due_within(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.exclude(state=HazardState.CLOSED).filter(
            deadline__gte=today, deadline__lte=today + timedelta(days=int(value))
        )


class CriterionFilterSet(ScopedFilterSet):
    search_fields = ("text__icontains", "code__startswith", "sector__icontains")
    category = django_filters.ChoiceFilter(choices=CriterionCategory.choices, label=_("类别"))

    class Meta:
        model = MajorHazardCriterion
        fields = ["category", "is_active"]
