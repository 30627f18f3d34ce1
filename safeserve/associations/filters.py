import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.models import Enterprise

from .models import Campaign, CampaignGroup, Membership, MutualInspection


class MembershipFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name__icontains", "note__icontains")
    current = django_filters.BooleanFilter(field_name="left_on", lookup_expr="isnull", label=_("现有会员"))

    class Meta:
        model = Membership
        fields = ["current"]


class CampaignFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains",)
    running = django_filters.BooleanFilter(method="filter_running", label=_("进行中"))

    def filter_running(self, queryset, name, value):
        today = timezone.localdate()
        cond = Q(start_date__lte=today, end_date__gte=today)
        return queryset.filter(cond) if value else queryset.exclude(cond)

    class Meta:
        model = Campaign
        fields = []


class CampaignGroupFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "campaign__name__icontains")

    class Meta:
        model = CampaignGroup
        fields = []


class InspectionFilterSet(ScopedFilterSet):
    search_fields = ("inspected__name__icontains", "inspector__name__icontains", "findings__icontains")
    inspected = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("被检查企业"))
    confirmed = django_filters.BooleanFilter(
        field_name="confirmed_at", lookup_expr="isnull", exclude=True, label=_("已确认")
    )

    class Meta:
        model = MutualInspection
        fields = ["inspected", "confirmed"]
