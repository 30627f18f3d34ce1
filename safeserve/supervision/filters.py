import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.models import Agency

from .choices import NoticeStatus
from .models import PracticeNotice


class NoticeFilterSet(ScopedFilterSet):
    search_fields = ("note__icontains", "agency__name__icontains")
    status = django_filters.ChoiceFilter(choices=NoticeStatus.choices, label=_("状态"))
    agency = AutocompleteFilter(kind="agency", model=Agency, label=_("服务机构"))

    class Meta:
        model = PracticeNotice
        fields = ["status", "agency"]
