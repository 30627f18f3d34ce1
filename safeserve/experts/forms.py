from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.draws import MAX_VALUE_LENGTH
from safeserve.core.filters import AutocompleteSelect
from safeserve.core.forms import BoundedForm
from safeserve.core.models import DrawValueSource
from safeserve.hazards.choices import HazardLevel
from safeserve.hazards.models import MajorHazardCriterion
from safeserve.registry.models import Enterprise, Expert

from .choices import InterestKind, PoolStatus, Purpose
from .models import Specialty


class StyledForm(BoundedForm):
    """A bounded plain form with Bootstrap's classes on every widget (as core.forms.ScopedModelForm)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.HiddenInput):
                continue
            css = "form-select" if isinstance(widget, forms.Select | forms.SelectMultiple) else "form-control"
            widget.attrs.setdefault("class", css)


class ProfileForm(StyledForm):
    specialties = forms.ModelMultipleChoiceField(
        label=_("专业领域"),
        queryset=Specialty.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=True,
    )
    certificates = forms.CharField(
        label=_("证书"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class StatusForm(StyledForm):
    status = forms.ChoiceField(label=_("库内状态"), choices=PoolStatus.choices)
    reason = forms.CharField(label=_("理由"), max_length=300)


class AbsenceForm(StyledForm):
    start = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("事由"), max_length=100, required=False)


class InterestForm(StyledForm):
    kind = forms.ChoiceField(label=_("类型"), choices=InterestKind.choices)
    party_name = forms.CharField(label=_("单位名称"), max_length=100)
    start = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def clean(self):
        data = super().clean()
        name = (data.get("party_name") or "").strip()
        # A registered enterprise of that exact name is linked; others are matched by name at each draw.
        data["enterprise"] = Enterprise.objects.filter(name=name).first() if name else None
        return data


class RequestForm(StyledForm):
    purpose = forms.ChoiceField(label=_("用途"), choices=Purpose.choices)
    title = forms.CharField(label=_("事由"), max_length=200)
    enterprise = forms.ModelChoiceField(
        label=_("涉及企业"), queryset=Enterprise.objects.none(), widget=AutocompleteSelect("enterprise")
    )
    enterprise_2 = forms.ModelChoiceField(
        label=_("涉及企业（二）"),
        queryset=Enterprise.objects.none(),
        required=False,
        widget=AutocompleteSelect("enterprise"),
    )
    enterprise_3 = forms.ModelChoiceField(
        label=_("涉及企业（三）"),
        queryset=Enterprise.objects.none(),
        required=False,
        widget=AutocompleteSelect("enterprise"),
    )
    specialties = forms.ModelMultipleChoiceField(
        label=_("所需专业"), queryset=Specialty.objects.filter(is_active=True), widget=forms.CheckboxSelectMultiple
    )
    places = forms.IntegerField(label=_("抽取人数"), min_value=1, max_value=20, initial=3)
    reserves = forms.IntegerField(label=_("备选人数"), min_value=0, max_value=20, initial=2)
    work_date = forms.DateField(label=_("工作日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    exclude = forms.ModelChoiceField(
        label=_("人工排除的专家"), queryset=Expert.objects.none(), required=False, widget=AutocompleteSelect("expert")
    )
    exclude_reason = forms.CharField(label=_("人工排除理由"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("enterprise", "enterprise_2", "enterprise_3"):
            self.fields[name].queryset = Enterprise.objects.visible_to(user)
        self.fields["exclude"].queryset = Expert.objects.visible_to(user)

    def enterprises(self):
        d = self.cleaned_data
        return list(
            {e.pk: e for e in (d.get("enterprise"), d.get("enterprise_2"), d.get("enterprise_3")) if e}.values()
        )

    def clean(self):
        data = super().clean()
        if data.get("exclude") and not (data.get("exclude_reason") or "").strip():
            self.add_error("exclude_reason", _("人工排除专家须写明理由"))
        return data


class DrawValueForm(StyledForm):
    source = forms.ChoiceField(label=_("随机值来源"), choices=DrawValueSource.choices)
    value = forms.CharField(label=_("随机值"), max_length=MAX_VALUE_LENGTH, required=False)
    note = forms.CharField(label=_("随机值说明"), max_length=200, required=False)


class RedrawForm(StyledForm):
    reason = forms.CharField(label=_("重新抽取理由"), max_length=300)


class AnswerForm(StyledForm):
    accept = forms.TypedChoiceField(
        label=_("答复"), choices=[("1", _("接受")), ("0", _("拒绝"))], coerce=lambda v: v == "1"
    )
    reason = forms.CharField(label=_("拒绝理由"), max_length=300, required=False)


class FindingForm(StyledForm):
    enterprise = forms.ModelChoiceField(label=_("企业"), queryset=Enterprise.objects.none())
    location = forms.CharField(label=_("部位"), max_length=100)
    description = forms.CharField(label=_("隐患描述"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    responsible_person = forms.CharField(label=_("整改责任人"), max_length=50)
    level = forms.ChoiceField(label=_("隐患等级"), choices=HazardLevel.choices)
    criterion = forms.ModelChoiceField(
        label=_("重大隐患判定依据"), queryset=MajorHazardCriterion.objects.all(), required=False
    )

    def __init__(self, *args, job, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = job.request.enterprises.all()


class OpinionForm(StyledForm):
    opinion = forms.CharField(label=_("专家意见"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)
    fee = forms.DecimalField(label=_("劳务费（元）"), max_digits=10, decimal_places=2, min_value=0, required=False)


class RatingForm(StyledForm):
    score = forms.IntegerField(label=_("评分（满分100）"), min_value=0, max_value=100)
    comment = forms.CharField(label=_("评语"), max_length=300, required=False)
