from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import DateInput, EnterpriseByCodeField, ScopedModelForm
from safeserve.core.identity import normalize_code, normalize_text
from safeserve.core.validation import parse_id

from . import models as m

__all__ = ["EnterpriseByCodeField"]  # re-exported: the field lives in core so accounts can use it
from .choices import ServiceType


class NormalizingForm(ScopedModelForm):
    """Full-width characters and stray whitespace are normalised before any validation."""

    code_fields = ("credit_code", "id_number", "engineer_certificate_no")

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            data = data.copy()
            for key in list(data.keys()):
                values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
                fix = normalize_code if key in self.code_fields else normalize_text
                cleaned = [fix(v) if isinstance(v, str) and key != "member_codes" else v for v in values]
                if hasattr(data, "setlist"):
                    data.setlist(key, cleaned)
                else:
                    data[key] = cleaned[0]
        super().__init__(data, *args, **kwargs)


class TownForm(NormalizingForm):
    class Meta:
        model = m.Town
        fields = ["code", "name", "sort_order"]


class VillageForm(NormalizingForm):
    class Meta:
        model = m.Village
        fields = ["town", "code", "name"]


class IndustryForm(NormalizingForm):
    class Meta:
        model = m.Industry
        fields = ["code", "name", "level", "parent", "is_key", "insurance_mandatory"]


class EnterpriseForm(NormalizingForm):
    class Meta:
        model = m.Enterprise
        fields = list(m.Enterprise.FIELDS)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["industry"].queryset = self.fields["industry"].queryset.filter(level="division")
        towns = list(self.fields["town"].queryset[:2])
        if not self.instance.pk and len(towns) == 1:
            self.initial.setdefault("town", towns[0].pk)  # a town officer's own town
        self.fields["village"].widget.attrs.update(
            {"data-depends-on": "id_town", "data-source": "/api/v1/registry/villages/?town="}
        )
        town_id = self["town"].value()  # the posted town, or the stored one when the field is disabled
        if parse_id(town_id):
            self.fields["village"].queryset = self.fields["village"].queryset.filter(town_id=town_id)
        else:
            self.fields["village"].queryset = self.fields["village"].queryset.none()


class AgencyForm(NormalizingForm):
    service_types = forms.MultipleChoiceField(
        label=_("服务类型"), choices=ServiceType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = m.Agency
        fields = [
            "credit_code",
            "name",
            "address",
            "service_types",
            "is_local",
            "contact_person",
            "contact_phone",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        data["service_types"] = list(self.cleaned_data.get("service_types") or [])
        return data


class AgencyQualificationForm(NormalizingForm):
    class Meta:
        model = m.AgencyQualification
        fields = ["agency", "name", "number", "issuer", "scope", "service_type", "valid_until"]
        widgets = {"valid_until": DateInput()}


class AgencyStaffForm(NormalizingForm):
    class Meta:
        model = m.AgencyStaff
        fields = [
            "agency",
            "name",
            "id_number",
            "phone",
            "title",
            "is_registered_engineer",
            "engineer_certificate_no",
            "engineer_certificate_valid_until",
            "other_certificates",
            "is_active",
        ]
        widgets = {"engineer_certificate_valid_until": DateInput()}


class ExpertForm(NormalizingForm):
    # Resolved only among the enterprises the editor may see (ScopedModelForm): an expert cannot
    # turn a credit code into an enterprise name here; it writes its employer as free text.
    employer_enterprise = EnterpriseByCodeField(label=_("任职企业"), required=False)

    class Meta:
        model = m.Expert
        fields = [
            "name",
            "id_number",
            "title",
            "specialties",
            "pool",
            "employer",
            "employer_enterprise",
            "employer_agency",
            "phone",
            "email",
            "is_active",
        ]


class InsurerForm(NormalizingForm):
    class Meta:
        model = m.Insurer
        fields = ["credit_code", "name", "address", "contact_person", "contact_phone"]


class AssociationForm(NormalizingForm):
    field_sources = {"member_codes": "members"}

    class Meta:
        model = m.Association
        fields = ["credit_code", "name", "industry", "contact_person", "contact_phone"]

    member_codes = forms.CharField(
        label=_("会员企业"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一个统一社会信用代码"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk:  # also when bound: a disabled field keeps its initial value
            members = self.instance.members.visible_to(self.user)
            codes = members.order_by("credit_code").values_list("credit_code", flat=True)
            self.initial["member_codes"] = "\n".join(codes)

    def clean_member_codes(self):
        codes = [normalize_code(c) for c in (self.cleaned_data.get("member_codes") or "").splitlines() if c.strip()]
        found = dict(
            m.Enterprise.objects.visible_to(self.user).filter(credit_code__in=codes).values_list("credit_code", "pk")
        )
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(_("未找到以下企业：%(codes)s") % {"codes": "、".join(missing[:20])})
        return [found[c] for c in dict.fromkeys(codes)]

    def action_data(self):
        data, m2m = super().action_data()
        m2m["members"] = self.cleaned_data.get("member_codes") or []
        return data, m2m
