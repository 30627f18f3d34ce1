import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet, visible_choices
from safeserve.registry.models import Enterprise, Town

from . import models as m
from .choices import AlarmState, AlarmType, DeadLetterReason, Severity, Source
from .queries import unhandled_q


class DeviceProfileFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains",)

    class Meta:
        model = m.DeviceProfile
        fields = []


class DeviceFilterSet(ScopedFilterSet):
    search_fields = ("code__icontains", "name__icontains", "place__icontains", "enterprise__name__icontains")
    town = django_filters.ModelChoiceFilter(
        field_name="enterprise__town", queryset=visible_choices(Town), label=_("镇（街道）")
    )
    alarming = django_filters.BooleanFilter(label=_("报警中"), method="filter_alarming")
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))

    class Meta:
        model = m.Device
        fields = ["town", "is_active"]

    def filter_alarming(self, queryset, name, value):
        return queryset.filter(n_active__gt=0) if value else queryset.filter(n_active=0)


class AlarmFilterSet(ScopedFilterSet):
    search_fields = ("device__code__icontains", "device__name__icontains", "enterprise__name__icontains")
    town = django_filters.ModelChoiceFilter(
        field_name="enterprise__town", queryset=visible_choices(Town), label=_("镇（街道）")
    )
    type = django_filters.ChoiceFilter(choices=AlarmType.choices, label=_("报警类型"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("严重程度"))
    state = django_filters.ChoiceFilter(choices=AlarmState.choices, label=_("状态"))
    active = django_filters.BooleanFilter(label=_("活动"))
    closed = django_filters.BooleanFilter(field_name="closed_at", lookup_expr="isnull", exclude=True, label=_("已关闭"))
    device = django_filters.NumberFilter(field_name="device_id", widget=forms.HiddenInput, label="")
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    unhandled = django_filters.BooleanFilter(method="filter_unhandled", label=_("超时未确认"))

    class Meta:
        model = m.Alarm
        fields = ["town", "type", "severity", "state", "active"]

    def filter_unhandled(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(unhandled_q()) if value else queryset.exclude(unhandled_q())


class DeadLetterFilterSet(ScopedFilterSet):
    search_fields = ("device_code__icontains", "detail__icontains")
    reason = django_filters.ChoiceFilter(choices=DeadLetterReason.choices, label=_("原因"))
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("来源"))

    class Meta:
        model = m.DeadLetter
        fields = ["reason", "source"]
