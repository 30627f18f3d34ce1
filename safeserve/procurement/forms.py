from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, ScopedModelForm
from safeserve.registry.choices import SizeClass
from safeserve.registry.models import Agency

from .choices import PaymentKind
from .models import Bid, Project


class ProjectForm(ScopedModelForm):
    target_sizes = forms.MultipleChoiceField(
        label=_("筛选：规模"), choices=SizeClass.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Project
        fields = Project.FORM_FIELDS
        widgets = {
            "start_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
            "target_codes": forms.Textarea(attrs={"rows": 4}),
            "stable_justification": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and self.user.role == "town":
            for name in ("buyer_kind", "buyer_town", "target_town"):
                self.fields.pop(name, None)

    def action_data(self):
        data, _m2m = super().action_data()
        return data


class BidForm(BoundedForm):
    agency = forms.ModelChoiceField(label=_("供应商（服务机构）"), queryset=Agency.objects.none())
    amount = forms.DecimalField(label=_("报价（元）"), min_value=0, max_digits=12, decimal_places=2)
    score = forms.DecimalField(label=_("评审得分"), min_value=0, max_value=100, decimal_places=2, required=False)
    submitted_on = forms.DateField(label=_("递交日期"), widget=DateInput())
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.visible_to(user).order_by("name")
        self.fields["submitted_on"].initial = timezone.localdate()


class AwardForm(BoundedForm):
    bid = forms.ModelChoiceField(label=_("中标（成交）供应商"), queryset=Bid.objects.none())
    reason = forms.CharField(
        label=_("确定中标（成交）的理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, bids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bid"].queryset = bids if bids is not None else Bid.objects.none()
        self.fields["bid"].label_from_instance = lambda b: f"{b.agency.name} · {b.amount} 元"


class EvaluationForm(BoundedForm):
    accepted = forms.BooleanField(label=_("验收合格"), required=False, initial=True)
    note = forms.CharField(label=_("评价意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, indicators=(), suggested=None, **kwargs):
        super().__init__(*args, **kwargs)
        suggested = suggested or {}
        fields = {}
        for ind in indicators:
            fields[f"score_{ind.key}"] = forms.DecimalField(
                label=f"{ind.get_group_display()} · {ind.label}（{ind.max_points}分）",
                min_value=Decimal(0),
                max_value=ind.max_points,
                decimal_places=2,
                initial=suggested.get(ind.key),
                widget=forms.NumberInput(attrs={"class": "form-control", "step": "0.01"}),
            )
        self.fields = {**fields, **self.fields}
        self.indicators = list(indicators)

    def scores(self):
        return {ind.key: self.cleaned_data[f"score_{ind.key}"] for ind in self.indicators}


class PaymentForm(BoundedForm):
    kind = forms.ChoiceField(label=_("支付节点"), choices=PaymentKind.choices)
    amount = forms.DecimalField(label=_("支付金额（元）"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    paid_on = forms.DateField(label=_("支付日期"), widget=DateInput())
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["paid_on"].initial = timezone.localdate()


class BudgetForm(BoundedForm):
    year = forms.IntegerField(label=_("预算年度"), min_value=2000, max_value=2100, required=False)
