import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.choices import ExpertPool
from safeserve.registry.models import Enterprise

from .choices import InvitationState, PoolStatus, Purpose, RequestStatus
from .models import ExpertProfile, ExpertRequest, Invitation, Specialty


class ProfileFilterSet(ScopedFilterSet):
    search_fields = ("expert__name__icontains", "expert__employer__icontains", "certificates__icontains")
    status = django_filters.ChoiceFilter(choices=PoolStatus.choices, label=_("库内状态"))
    pool = django_filters.ChoiceFilter(field_name="expert__pool", choices=ExpertPool.choices, label=_("专家库"))
    specialty = django_filters.ModelChoiceFilter(
        field_name="specialty_list", queryset=Specialty.objects.all(), label=_("专业领域")
    )

    class Meta:
        model = ExpertProfile
        fields = ["status"]


class RequestFilterSet(ScopedFilterSet):
    search_fields = ("title__icontains",)
    purpose = django_filters.ChoiceFilter(choices=Purpose.choices, label=_("用途"))
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices, label=_("状态"))
    date_from = django_filters.DateFilter(field_name="work_date", lookup_expr="gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="work_date", lookup_expr="lte", label=_("截止日期"))

    class Meta:
        model = ExpertRequest
        fields = ["purpose", "status"]


class JobFilterSet(ScopedFilterSet):
    search_fields = ("request__title__icontains", "expert__name__icontains")
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, method="filter_enterprise", label=_("企业"))
    state = django_filters.ChoiceFilter(choices=InvitationState.choices, label=_("状态"))
    date_from = django_filters.DateFilter(field_name="request__work_date", lookup_expr="gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="request__work_date", lookup_expr="lte", label=_("截止日期"))

    class Meta:
        model = Invitation
        fields = ["state"]

    def filter_enterprise(self, queryset, name, value):
        about = ExpertRequest.enterprises.through.objects.filter(enterprise_id=value.pk)
        return queryset.filter(request__in=about.values("expertrequest_id"))
