import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import ScopedFilterSet
from safeserve.registry.choices import ServiceType

from .choices import BuyerKind, Method, ProjectStatus, Subject
from .models import Project


class ProjectFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "number__icontains", "awarded_bid__agency__name__icontains")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices, label=_("状态"))
    year = django_filters.NumberFilter(label=_("预算年度"))
    buyer_kind = django_filters.ChoiceFilter(choices=BuyerKind.choices, label=_("购买主体"))
    subject = django_filters.ChoiceFilter(choices=Subject.choices, label=_("购买内容"))
    service_type = django_filters.ChoiceFilter(choices=ServiceType.choices, label=_("服务类型"))
    method = django_filters.ChoiceFilter(choices=Method.choices, label=_("采购方式"))

    class Meta:
        model = Project
        fields = ["status", "year", "buyer_kind", "subject", "service_type", "method"]
