import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import ScopedFilterSet, visible_choices
from safeserve.registry.models import Town

from .choices import Category, Finding, SubjectKind, TipoffState
from .models import Tipoff
from .queries import awaiting_town_q, overdue_q


class TipoffFilterSet(ScopedFilterSet):
    search_fields = (
        "code__icontains",
        "unit_name__icontains",
        "enterprise__name__icontains",
        "agency__name__icontains",
    )
    state = django_filters.ChoiceFilter(choices=TipoffState.choices, label=_("状态"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("举报类别"))
    subject_kind = django_filters.ChoiceFilter(choices=SubjectKind.choices, label=_("被举报对象类别"))
    finding = django_filters.ChoiceFilter(choices=Finding.choices, label=_("核查结论"))
    assigned_town = django_filters.ModelChoiceFilter(queryset=visible_choices(Town), label=_("承办镇（街道）"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("逾期"))
    to_verify = django_filters.BooleanFilter(method="filter_to_verify", label=_("待核查"))
    filed_from = django_filters.DateFilter(field_name="filed_at", lookup_expr="date__gte", label=_("举报日期起"))
    filed_to = django_filters.DateFilter(field_name="filed_at", lookup_expr="date__lte", label=_("举报日期止"))

    class Meta:
        model = Tipoff
        fields = ["state", "category", "subject_kind", "finding", "assigned_town"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_to_verify(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(awaiting_town_q()) if value else queryset.exclude(awaiting_town_q())
