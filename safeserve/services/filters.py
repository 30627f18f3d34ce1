import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import IdFilter, ScopedFilterSet, visible_choices
from safeserve.registry.models import Agency

from .choices import ContractStatus, PayerType
from .models import ChecklistItem, ChecklistTemplate, ServiceContract, ServiceVisit


class ContractFilterSet(ScopedFilterSet):
    search_fields = ("number__icontains", "note__icontains")
    status = django_filters.ChoiceFilter(choices=ContractStatus.choices, label=_("状态"))
    payer_type = django_filters.ChoiceFilter(choices=PayerType.choices, label=_("付费方"))
    agency = django_filters.ModelChoiceFilter(queryset=visible_choices(Agency), label=_("服务机构"))
    enterprise = IdFilter(method="filter_enterprise", label=_("企业ID"))

    class Meta:
        model = ServiceContract
        fields = ["status", "payer_type", "agency"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(
            pk__in=ServiceContract.enterprises.through.objects.filter(enterprise_id=value).values("contract_id")
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
    enterprise = IdFilter(field_name="enterprise_id", label=_("企业ID"))
    contract = IdFilter(field_name="contract_id", label=_("合同ID"))
    date_from = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__lte", label=_("截止日期"))

    class Meta:
        model = ServiceVisit
        fields = ["enterprise", "contract"]
