from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, MultipleFileInput, MultipleImageField, ScopedModelForm
from safeserve.registry.models import Association, Enterprise
from safeserve.services.choices import ItemResult

from .models import Campaign, CampaignGroup, Membership


class MembershipJoinForm(BoundedForm):
    """A new member, named by its credit code (an association cannot browse non-members)."""

    association = forms.ModelChoiceField(label=_("行业协会"), queryset=Association.objects.none(), required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    joined_on = forms.DateField(label=_("入会日期"), widget=DateInput())
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        kwargs.pop("instance", None)
        super().__init__(*args, **kwargs)
        self.user = user
        if user.role == "county":
            self.fields["association"].queryset = Association.objects.visible_to(user)
            self.fields["association"].required = True
        else:
            del self.fields["association"]
        self.initial.setdefault("joined_on", timezone.localdate())
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-select" if isinstance(f.widget, forms.Select) else "form-control")


class MembershipForm(ScopedModelForm):
    """Editing a period: its leaving date and note (the rest is locked by WRITABLE_FIELDS)."""

    class Meta:
        model = Membership
        fields = Membership.FIELDS
        widgets = {"joined_on": DateInput(), "left_on": DateInput()}


class CampaignForm(ScopedModelForm):
    class Meta:
        model = Campaign
        fields = Campaign.FORM_FIELDS
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = self.fields["template"].queryset.filter(is_active=True)


class CampaignGroupForm(ScopedModelForm):
    class Meta:
        model = CampaignGroup
        fields = CampaignGroup.FIELDS
        widgets = {"enterprises": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.user
        if user is not None and user.role == "association":
            # Current members only (Enterprise.scope_q reads Association.members).
            self.fields["enterprises"].queryset = Enterprise.objects.visible_to(user).order_by("name")
        else:
            self.fields["enterprises"].queryset = Enterprise.objects.none()


class InspectionForm(BoundedForm):
    """The phone form: the inspected member, time, people, one answer per checklist item, photos."""

    inspected = forms.ModelChoiceField(label=_("被检查企业"), queryset=Enterprise.objects.none())
    inspected_at = forms.DateTimeField(
        label=_("检查时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    inspector_names = forms.CharField(label=_("检查人员"), max_length=100)
    findings = forms.CharField(label=_("发现问题及建议"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = MultipleImageField(label=_("现场照片"))

    def __init__(self, *args, campaign, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["inspected"].queryset = partners
        self.initial.setdefault("inspected_at", timezone.localtime().replace(second=0, microsecond=0))
        self.items = list(campaign.template.items.all())
        for item in self.items:
            self.fields[f"result_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=ItemResult.choices, widget=forms.RadioSelect, required=False
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(label=_("说明"), required=False, max_length=300)
        for f in self.fields.values():
            w = f.widget
            if isinstance(w, forms.RadioSelect | MultipleFileInput):
                continue
            w.attrs.setdefault(
                "class", "form-select form-select-lg" if isinstance(w, forms.Select) else "form-control form-control-lg"
            )

    def item_rows(self):
        return [(item, self[f"result_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def results(self) -> dict:
        data = self.cleaned_data
        return {i.pk: (data.get(f"result_{i.pk}") or "", data.get(f"note_{i.pk}") or "") for i in self.items}
