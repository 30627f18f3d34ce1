import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.models import Agency, Enterprise

from .choices import ContractStatus, PayerType
from .models import ChecklistItem, ChecklistTemplate, ServiceContract, ServiceVisit


class ContractFilterSet(ScopedFilterSet):
    search_fields = ("number__icontains", "note__icontains")
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("状态"))
    payer_type = django_filters.ChoiceFilter(choices=PayerType.choices, label=_("付费方"))
    agency = AutocompleteFilter(kind="agency", model=Agency, label=_("服务机构"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, method="filter_enterprise", label=_("企业"))

    class Meta:
        model = ServiceContract
        fields = ["status", "payer_type", "agency"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(
            pk__in=ServiceContract.enterprises.through.objects.filter(enterprise_id=value.pk).values("contract_id")
        )


class ChecklistTemplateFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains",)

    class Meta:
        model = ChecklistTemplate
        fields = ["is_active"]


class ChecklistItemFilterSet(ScopedFilterSet):
    search_fields = ("text__icontains", "category__icontains")

    class Meta:
        model = ChecklistItem
        fields = ["template"]


class VisitFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name__icontains", "findings__icontains")
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    contract = AutocompleteFilter(kind="contract", model=ServiceContract, label=_("服务合同"))
    rated = django_filters.BooleanFilter(field_name="rating", lookup_expr="isnull", exclude=True, label=_("已评价"))
    confirmed = django_filters.BooleanFilter(
        field_name="confirmation__confirmed_at", lookup_expr="isnull", exclude=True, label=_("企业已确认")
    )
    date_from = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__lte", label=_("截止日期"))

    class Meta:
        model = ServiceVisit
        fields = ["enterprise", "contract"]
