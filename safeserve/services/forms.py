from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, MultipleFileInput, MultipleImageField, ScopedModelForm
from safeserve.core.identity import normalize_code
from safeserve.registry.models import AgencyStaff, Enterprise

from .choices import ServiceItem
from .models import ChecklistItem, ChecklistTemplate, ServiceContract


class ContractForm(ScopedModelForm):
    field_sources = {"enterprise_codes": "enterprises"}
    items = forms.MultipleChoiceField(
        label=_("服务事项"), choices=ServiceItem.choices, widget=forms.CheckboxSelectMultiple
    )
    enterprise_codes = forms.CharField(
        label=_("服务企业"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("每行填写一个统一社会信用代码;政府购买服务可填写多家企业"),
    )

    class Meta:
        model = ServiceContract
        fields = ServiceContract.FORM_FIELDS
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "staff": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            AgencyStaff.objects.visible_to(self.user).filter(is_active=True).select_related("agency")
        )
        self.fields["staff"].label_from_instance = lambda s: f"{s.agency.name} · {s.name}"
        if self.instance.pk:
            self.initial["items"] = self.instance.items
            # Only the enterprises the user sees; the others stay on the contract (core.actions._set_m2m).
            codes = self.instance.enterprises.visible_to(self.user).values_list("credit_code", flat=True)
            self.initial["enterprise_codes"] = "\n".join(codes)
        if self.user is not None and self.user.role == "town":
            # A town owns only the contracts it buys (ServiceContract.owner_q).
            self.fields["payer_type"].choices = [("town", _("镇(街道)政府购买"))]
        if self.user is not None and self.user.role == "enterprise":
            self.fields["enterprise_codes"].required = False
            self.fields["enterprise_codes"].widget = forms.HiddenInput()
            self.fields["payer_type"].choices = [("enterprise", _("企业自费"))]
            self.fields.pop("payer_town")

    def clean_enterprise_codes(self):
        if self.user is not None and self.user.role == "enterprise":
            return [Enterprise.objects.get(pk=self.user.enterprise_id)]
        codes = [normalize_code(c) for c in (self.cleaned_data.get("enterprise_codes") or "").split() if c.strip()]
        if not codes:
            raise ValidationError(_("至少填写一家服务企业"))
        found = {e.credit_code: e for e in Enterprise.objects.visible_to(self.user).filter(credit_code__in=codes)}
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValidationError(_("以下信用代码不存在或不在您的管辖范围内:%(c)s") % {"c": "、".join(missing[:10])})
        return list(dict.fromkeys(found[c] for c in codes))

    def clean(self):
        data = super().clean()
        agency, staff = data.get("agency"), data.get("staff")
        if agency and staff and any(s.agency_id != agency.pk for s in staff):
            self.add_error("staff", _("指派人员必须属于所选服务机构"))
        return data

    def action_data(self):
        data, m2m = super().action_data()
        m2m["enterprises"] = self.cleaned_data["enterprise_codes"]
        data["items"] = list(self.cleaned_data["items"])
        return data, m2m


class ChecklistTemplateForm(ScopedModelForm):
    class Meta:
        model = ChecklistTemplate
        fields = ChecklistTemplate.FIELDS


class ChecklistItemForm(ScopedModelForm):
    class Meta:
        model = ChecklistItem
        fields = ChecklistItem.FIELDS


class VisitForm(BoundedForm):
    """The mobile-friendly visit form; checklist results come as ``result_<item id>`` fields."""

    contract = forms.ModelChoiceField(label=_("服务合同"), queryset=ServiceContract.objects.none())
    enterprise = forms.ModelChoiceField(label=_("服务企业"), queryset=Enterprise.objects.none())
    visited_at = forms.DateTimeField(
        label=_("服务时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("到场人员"), queryset=AgencyStaff.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    template = forms.ModelChoiceField(label=_("检查表"), queryset=ChecklistTemplate.objects.none(), required=False)
    findings = forms.CharField(label=_("发现问题及建议"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    signed_by = forms.CharField(label=_("企业签字确认人"), max_length=50, required=False)
    photos = MultipleImageField(label=_("现场照片"))

    def __init__(self, *args, user, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        from .choices import ContractStatus

        self.fields["contract"].queryset = ServiceContract.objects.visible_to(user).filter(status=ContractStatus.ACTIVE)
        self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)
        self.fields["staff"].queryset = AgencyStaff.objects.visible_to(user).filter(is_active=True)
        self.fields["template"].queryset = ChecklistTemplate.objects.visible_to(user).filter(is_active=True)
        self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))
        self.template = template
        self.items = list(template.items.all()) if template else []
        from .choices import ItemResult

        for item in self.items:
            self.fields[f"result_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=ItemResult.choices, widget=forms.RadioSelect, initial=ItemResult.OK
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(label=_("说明"), required=False, max_length=300)
        for name, f in self.fields.items():
            w = f.widget
            if isinstance(w, forms.RadioSelect | forms.CheckboxSelectMultiple | MultipleFileInput):
                continue
            w.attrs.setdefault(
                "class", "form-select form-select-lg" if isinstance(w, forms.Select) else "form-control form-control-lg"
            )

    def item_rows(self):
        return [(item, self[f"result_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def results(self):
        return {
            i.pk: (self.cleaned_data[f"result_{i.pk}"], self.cleaned_data.get(f"note_{i.pk}", "")) for i in self.items
        }


class RatingForm(BoundedForm):
    score = forms.TypedChoiceField(
        label=_("评分"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)], widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("评价"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
