from datetime import timedelta

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import IdFilter, ScopedFilterSet, visible_choices
from safeserve.registry.models import Agency, Insurer

from . import queries
from .choices import ComplaintState, PolicyStatus
from .conf import setting
from .models import (
    Claim,
    Complaint,
    Evaluation,
    Policy,
    PremiumRuleTable,
    PreventionExpense,
    PreventionPlan,
    PreventionVisit,
)


class PolicyFilterSet(ScopedFilterSet):
    search_fields = ("number__icontains", "enterprise__name__icontains")
    status = django_filters.ChoiceFilter(choices=PolicyStatus.choices, label=_("状态"))
    insurer = django_filters.ModelChoiceFilter(queryset=visible_choices(Insurer), label=_("保险机构"))
    enterprise = IdFilter(field_name="enterprise_id", label=_("企业编号"))
    valid = django_filters.BooleanFilter(method="filter_valid", label=_("今日有效"))
    expiring = django_filters.BooleanFilter(method="filter_expiring", label=_("30天内到期"))
    idle = django_filters.BooleanFilter(method="filter_idle", label=_("保而不防（近6个月无预防服务）"))

    class Meta:
        model = Policy
        fields = ["status", "insurer"]

    def filter_valid(self, qs, name, value):
        if value is None:
            return qs
        q = Policy.valid_on_q(timezone.localdate())
        return qs.filter(q) if value else qs.exclude(q)

    def filter_expiring(self, qs, name, value):
        if not value:
            return qs
        today = timezone.localdate()
        soon = today + timedelta(days=int(setting("EXPIRING_DAYS")))
        return qs.filter(Policy.valid_on_q(today), end_date__lte=soon)

    def filter_idle(self, qs, name, value):
        if not value:
            return qs
        user = self.request.user if self.request else None
        return qs.filter(pk__in=queries.idle_policies(user, timezone.localdate()).values("pk"))


class RuleTableFilterSet(ScopedFilterSet):
    class Meta:
        model = PremiumRuleTable
        fields = ["year"]


class PlanFilterSet(ScopedFilterSet):
    search_fields = ("policy__number__icontains", "policy__enterprise__name__icontains")
    behind = django_filters.BooleanFilter(method="filter_behind", label=_("进度滞后"))
    agency = django_filters.ModelChoiceFilter(queryset=visible_choices(Agency), label=_("服务机构"))

    class Meta:
        model = PreventionPlan
        fields = ["agency"]

    def filter_behind(self, qs, name, value):
        if not value:
            return qs
        user = self.request.user if self.request else None
        ids = [plan.pk for plan, _done, _exp in queries.plans_behind(user, timezone.localdate())]
        return qs.filter(pk__in=ids)


class ExpenseFilterSet(ScopedFilterSet):
    search_fields = ("policy__number__icontains", "description__icontains")
    spent_on = django_filters.DateFromToRangeFilter(label=_("支出日期"))

    class Meta:
        model = PreventionExpense
        fields = ["spent_on"]


class ComplaintFilterSet(ScopedFilterSet):
    search_fields = ("policy__number__icontains", "complainant__icontains", "content__icontains")
    state = django_filters.ChoiceFilter(choices=ComplaintState.choices, label=_("状态"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("已逾期"))
    policy = IdFilter(field_name="policy_id", label=_("保单编号"))

    class Meta:
        model = Complaint
        fields = ["state", "needs_checking"]

    def filter_overdue(self, qs, name, value):
        if value is None:
            return qs
        q = queries.overdue_complaints_q(timezone.localdate())
        return qs.filter(q) if value else qs.exclude(q)


class ClaimFilterSet(ScopedFilterSet):
    search_fields = ("policy__number__icontains", "accident_ref__icontains")
    reported_on = django_filters.DateFromToRangeFilter(label=_("报案日期"))

    class Meta:
        model = Claim
        fields = ["reported_on"]


class EvaluationFilterSet(ScopedFilterSet):
    search_fields = ("policy__number__icontains", "evaluator__icontains")

    class Meta:
        model = Evaluation
        fields = ["year", "conclusion"]


# ---- expert prevention visits


class PreventionVisitFilterSet(ScopedFilterSet):
    search_fields = ("plan__policy__number__icontains", "enterprise__name__icontains", "expert__name__icontains")
    plan = IdFilter(field_name="plan_id", label=_("服务计划编号"))
    enterprise = IdFilter(field_name="enterprise_id", label=_("企业编号"))
    confirmed = django_filters.BooleanFilter(
        field_name="confirmed_at", lookup_expr="isnull", exclude=True, label=_("企业已确认")
    )
    visited_after = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__gte", label=_("服务日期起"))
    visited_before = django_filters.DateFilter(field_name="visited_at", lookup_expr="date__lte", label=_("服务日期止"))

    class Meta:
        model = PreventionVisit
        fields = []
