import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import ScopedFilterSet, visible_choices
from safeserve.registry.models import Town

from .choices import TargetKind
from .models import CoverageTarget


class TargetFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "code__icontains")
    kind = django_filters.ChoiceFilter(choices=TargetKind.choices, label=_("目标类型"))
    town = django_filters.ModelChoiceFilter(queryset=visible_choices(Town), label=_("镇（街道）"))

    class Meta:
        model = CoverageTarget
        fields = ["year", "kind", "town"]
