from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, ScopedModelForm
from safeserve.core.identity import normalize_code
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, Enterprise

from .models import Attendance, Certificate, Course, TrainingSession


def _providers(field, user):
    """Agencies offering 安全教育培训 (the county chooses; an agency's own field is locked)."""
    if isinstance(field, forms.ModelChoiceField) and field.queryset.model is Agency and not field.disabled:
        field.queryset = Agency.objects.visible_to(user).filter(service_types__icontains=f'"{ServiceType.TRAINING}"')


class CourseForm(ScopedModelForm):
    class Meta:
        model = Course
        fields = Course.FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and self.user.role == "agency":
            self.fields.pop("provider", None)
        elif "provider" in self.fields:
            _providers(self.fields["provider"], self.user)


class SessionForm(ScopedModelForm):
    class Meta:
        model = TrainingSession
        fields = TrainingSession.FIELDS
        widgets = {"date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None:
            self.fields["course"].queryset = Course.objects.visible_to(self.user, "change").order_by("name")


class _EnterpriseByCodeForm(ScopedModelForm):
    """The provider names the trainee's enterprise by credit code (it cannot browse the register)."""

    credit_code = forms.CharField(label=_("所在企业统一社会信用代码"), max_length=18)
    field_sources = {"credit_code": "enterprise"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["credit_code"] = self.instance.enterprise.credit_code

    def clean_credit_code(self):
        code = normalize_code(self.cleaned_data.get("credit_code") or "")
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(_("该统一社会信用代码不在企业名录中"))
        return enterprise

    def action_data(self):
        data, m2m = super().action_data()
        data["enterprise"] = self.cleaned_data["credit_code"]
        return data, m2m


class AttendanceForm(_EnterpriseByCodeForm):
    class Meta:
        model = Attendance
        fields = ("session", "credit_code", "name", "id_number", "person_role", "hours")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None:
            sessions = TrainingSession.objects.visible_to(self.user, "change").select_related("course")
            self.fields["session"].queryset = sessions


class CertificateForm(_EnterpriseByCodeForm):
    class Meta:
        model = Certificate
        fields = (
            "credit_code",
            "holder_name",
            "id_number",
            "person_role",
            "kind",
            "number",
            "issued_on",
            "valid_until",
            "provider",
        )
        widgets = {"issued_on": DateInput(), "valid_until": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and self.user.role == "agency":
            self.fields.pop("provider", None)
        elif "provider" in self.fields:
            _providers(self.fields["provider"], self.user)


class ImportForm(BoundedForm):
    file = forms.FileField(label=_("培训记录表（.xlsx）"))
