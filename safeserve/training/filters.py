import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import AutocompleteFilter, ScopedFilterSet
from safeserve.registry.models import Enterprise

from .choices import CertificateKind, CourseType, PersonRole
from .models import Attendance, Certificate, Course, TrainingSession


class CourseFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "provider__name__icontains")
    course_type = django_filters.ChoiceFilter(choices=CourseType.choices, label=_("培训类型"))

    class Meta:
        model = Course
        fields = ["course_type", "is_active"]


class SessionFilterSet(ScopedFilterSet):
    search_fields = ("course__name__icontains", "place__icontains", "trainer__icontains")
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("培训日期起"))
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("培训日期止"))

    class Meta:
        model = TrainingSession
        fields = ["date_from", "date_to"]


class AttendanceFilterSet(ScopedFilterSet):
    search_fields = ("name__icontains", "session__course__name__icontains")
    person_role = django_filters.ChoiceFilter(choices=PersonRole.choices, label=_("人员类别"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("所在企业"))

    class Meta:
        model = Attendance
        fields = ["person_role", "enterprise"]


class CertificateFilterSet(ScopedFilterSet):
    search_fields = ("holder_name__icontains", "number__icontains")
    kind = django_filters.ChoiceFilter(choices=CertificateKind.choices, label=_("证书类别"))
    enterprise = AutocompleteFilter(kind="enterprise", model=Enterprise, label=_("所在企业"))
    valid_until_before = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="lte", label=_("有效期至不晚于")
    )

    class Meta:
        model = Certificate
        fields = ["kind", "enterprise", "valid_until_before"]
