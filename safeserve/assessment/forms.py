"""Forms parse and check input; the actions (assessment/actions.py) write."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core import hooks
from safeserve.core.forms import BoundedForm, DateInput, MultipleFileInput

from .choices import MANUAL_SOURCE, Direction, Rule, Subject
from .models import Scheme

SMALL = {"class": "form-control form-control-sm"}
SELECT = {"class": "form-select form-select-sm"}


def source_choices(subject: str | None = None):
    rows = [(MANUAL_SOURCE, _("人工录入"))]
    for key, src in sorted(hooks.INDICATOR_SOURCES.items()):
        if subject is None or subject in src.subjects:
            rows.append((key, f"{src.label}（{src.unit}）"))
    return rows


class SchemeForm(BoundedForm):
    subject = forms.ChoiceField(label=_("考核对象"), choices=Subject.choices[:2], widget=forms.Select(attrs=SELECT))
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=SMALL))
    name = forms.CharField(label=_("方案名称"), max_length=100, widget=forms.TextInput(attrs=SMALL))
    note = forms.CharField(label=_("说明"), max_length=300, required=False, widget=forms.TextInput(attrs=SMALL))


class IndicatorForm(BoundedForm):
    name = forms.CharField(label=_("指标名称"), max_length=100, widget=forms.TextInput(attrs=SMALL))
    weight = forms.DecimalField(
        label=_("分值"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=SMALL),
    )
    source = forms.ChoiceField(label=_("数据来源"), widget=forms.Select(attrs=SELECT))
    rule = forms.ChoiceField(label=_("评分规则"), choices=Rule.choices, widget=forms.Select(attrs=SELECT))
    low = forms.DecimalField(
        label=_("零分阈值"), required=False, max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs=SMALL)
    )
    high = forms.DecimalField(
        label=_("满分阈值"), required=False, max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs=SMALL)
    )
    per_event = forms.DecimalField(
        label=_("每次扣分"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs=SMALL),
    )
    floor = forms.DecimalField(
        label=_("最低得分"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs=SMALL),
    )
    threshold = forms.DecimalField(
        label=_("达标值"), required=False, max_digits=12, decimal_places=2, widget=forms.NumberInput(attrs=SMALL)
    )
    direction = forms.ChoiceField(
        label=_("达标方向"), choices=Direction.choices, required=False, widget=forms.Select(attrs=SELECT)
    )
    veto = forms.BooleanField(label=_("一票否决"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every source: the scheme's subject decides which fit (Indicator.clean says which do not).
        self.fields["source"].choices = source_choices()


class BaseIndicatorFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [
            {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
            for f in self.forms
            if f.has_changed() and f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


IndicatorFormSet = forms.formset_factory(
    IndicatorForm, formset=BaseIndicatorFormSet, extra=2, can_delete=True, max_num=40, validate_max=True
)


def indicator_initial(scheme: Scheme) -> list[dict]:
    return [{name: getattr(i, name) for name in IndicatorForm.base_fields} for i in scheme.indicators.all()]


class OpenForm(BoundedForm):
    scheme = forms.ModelChoiceField(
        label=_("考核方案"), queryset=Scheme.objects.none(), widget=forms.Select(attrs=SELECT)
    )
    cut_off = forms.DateField(label=_("数据截止日"), widget=DateInput(attrs=SMALL))
    title = forms.CharField(
        label=_("名称（可不填）"), max_length=100, required=False, widget=forms.TextInput(attrs=SMALL)
    )

    def __init__(self, *args, user=None, subject=Subject.TOWN, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = Scheme.objects.visible_to(user, "change").filter(subject=subject)
        latest = self.fields["scheme"].queryset.first()  # the latest year's latest version
        if latest is not None:
            self.fields["scheme"].initial = latest.pk
        self.fields["cut_off"].initial = timezone.localdate()


class MultipleFiles(forms.FileField):
    """Any number of files, handed to the action as uploaded: core.uploads.verify_scan checks each there."""

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


class ObjectionForm(BoundedForm):
    note = forms.CharField(label=_("异议说明"), max_length=2000, widget=forms.Textarea(attrs={**SMALL, "rows": 3}))
    files = MultipleFiles(
        label=_("附件（PDF 或照片，最多 5 个）"),
        required=False,
        widget=MultipleFileInput(attrs={"class": "form-control form-control-sm", "accept": "application/pdf,image/*"}),
    )


class AdjustForm(BoundedForm):
    points = forms.DecimalField(
        label=_("得分"), max_digits=7, decimal_places=2, min_value=0, widget=forms.NumberInput(attrs=SMALL)
    )
    reason = forms.CharField(label=_("理由"), max_length=300, widget=forms.TextInput(attrs=SMALL))


class RuleForm(BoundedForm):
    decision = forms.ChoiceField(
        label=_("裁定"),
        choices=[("upheld", _("异议成立")), ("dismissed", _("异议不成立"))],
        widget=forms.Select(attrs=SELECT),
    )
    points = forms.DecimalField(
        label=_("调整后得分（异议成立时可填）"),
        required=False,
        max_digits=7,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs=SMALL),
    )
    reason = forms.CharField(label=_("裁定理由"), max_length=300, widget=forms.TextInput(attrs=SMALL))
