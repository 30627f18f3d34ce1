import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import ScopedFilterSet
from safeserve.registry.choices import ServiceType

from .models import Bar, CaseStatus, CaseStory, PriceItem


class PriceItemFilterSet(ScopedFilterSet):
    search_fields = ("item__icontains", "included__icontains")
    service_type = django_filters.ChoiceFilter(label=_("服务类型"), choices=ServiceType.choices)

    class Meta:
        model = PriceItem
        fields = []


class CaseStoryFilterSet(ScopedFilterSet):
    search_fields = ("title__icontains", "summary__icontains")
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices)

    class Meta:
        model = CaseStory
        fields = []


class BarFilterSet(ScopedFilterSet):
    search_fields = ("agency__name__icontains", "enterprise__name__icontains", "reason__icontains")

    class Meta:
        model = Bar
        fields = []
