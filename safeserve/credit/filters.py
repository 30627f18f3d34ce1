import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.models import Agency, Enterprise

from .choices import AccidentLevel, CommitmentStatus, Grade, ListingSituation, ListingState, PartyKind, PenaltyStatus
from .choices import Subject as SubjectChoices
from .models import Accident, Commitment, CreditGrade, Listing, Penalty, RuleTable


class AccidentFilterSet(ScopedFilterSet):
    search_fields = ("title__icontains", "enterprise__name__icontains")
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    level = django_filters.ChoiceFilter(choices=AccidentLevel.choices, label=_("事故等级"))
    date_from = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte", label=_("截止日期"))

    class Meta:
        model = Accident
        fields = ["enterprise", "level", "concealed"]


class PenaltyFilterSet(ScopedFilterSet):
    search_fields = ("decision_number__icontains", "violation__icontains", "enterprise__name__icontains")
    party_kind = django_filters.ChoiceFilter(choices=PartyKind.choices, label=_("当事人类型"))
    status = django_filters.ChoiceFilter(choices=PenaltyStatus.choices, label=_("状态"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))
    agency = AutocompleteFilter(kind="agency", model=Agency, label=_("服务机构"))
    date_from = django_filters.DateFilter(field_name="decided_on", lookup_expr="gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="decided_on", lookup_expr="lte", label=_("截止日期"))

    class Meta:
        model = Penalty
        fields = ["party_kind", "status", "enterprise", "agency"]


class CommitmentFilterSet(ScopedFilterSet):
    search_fields = ("content__icontains", "enterprise__name__icontains")
    status = django_filters.ChoiceFilter(choices=CommitmentStatus.choices, label=_("履行情况"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))

    class Meta:
        model = Commitment
        fields = ["year", "status", "enterprise"]


class RuleTableFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains",)

    class Meta:
        model = RuleTable
        fields = ["subject", "year"]


class GradeFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name__icontains", "agency__name__icontains")
    subject = django_filters.ChoiceFilter(choices=SubjectChoices.choices, label=_("主体类型"))
    grade = django_filters.ChoiceFilter(choices=Grade.choices, label=_("信用等级"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("企业"))

    class Meta:
        model = CreditGrade
        fields = ["subject", "grade", "enterprise"]


class ListingFilterSet(ScopedFilterSet):
    search_fields = ("enterprise__name__icontains", "agency__name__icontains", "decision_number__icontains")
    subject = django_filters.ChoiceFilter(choices=SubjectChoices.choices, label=_("主体类型"))
    state = django_filters.ChoiceFilter(choices=ListingState.choices, label=_("状态"))
    situation = django_filters.ChoiceFilter(choices=ListingSituation.choices, label=_("列入情形"))

    class Meta:
        model = Listing
        fields = ["subject", "state", "situation"]
