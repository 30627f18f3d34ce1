from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, ScopedModelForm
from safeserve.registry.choices import RiskLevel
from safeserve.registry.models import Industry, Town, Village

from .models import CoverageTarget
from .queries import MAX_TREND_MONTHS

YES_NO = [("", _("全部")), ("1", _("是")), ("0", _("否"))]


class TargetForm(ScopedModelForm):
    class Meta:
        model = CoverageTarget
        fields = CoverageTarget.FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "share" in self.fields:
            self.fields["share"].widget.attrs.update({"min": "0", "max": "100", "step": "0.01"})
        if not self.instance.pk and not self.initial.get("year"):
            self.initial["year"] = timezone.localdate().year


def _as_of(cleaned):
    d = cleaned.get("as_of") or timezone.localdate()
    if d > timezone.localdate():
        raise ValidationError({"as_of": _("统计日期不能晚于今天")})
    return d


class CoverageForm(BoundedForm):
    """The overview's area and date: county, a town or a village, as of any past date."""

    as_of = forms.DateField(label=_("统计日期"), required=False, widget=DateInput())
    town = forms.ModelChoiceField(label=_("镇（街道）"), queryset=Town.objects.none(), required=False)
    village = forms.ModelChoiceField(label=_("村（社区）"), queryset=Village.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = Town.objects.visible_to(user)
        self.fields["village"].queryset = Village.objects.visible_to(user)

    def clean(self):
        data = super().clean()
        data["as_of"] = _as_of(data)
        if data.get("village") and data.get("town") and data["village"].town_id != data["town"].pk:
            raise ValidationError({"village": _("该村（社区）不属于所选镇（街道）")})
        return data


class TrendForm(CoverageForm):
    months = forms.IntegerField(label=_("月数"), required=False, min_value=1, max_value=MAX_TREND_MONTHS)


def _yes_no(value):
    return None if value in (None, "") else value == "1"


class WorkListForm(CoverageForm):
    """The work list's filters: area, industry (a section includes its divisions), flags, risk."""

    industry = forms.ModelChoiceField(label=_("行业"), queryset=Industry.objects.none(), required=False)
    key_industry = forms.ChoiceField(label=_("重点行业"), choices=YES_NO, required=False)
    village_small = forms.ChoiceField(label=_("村级小微企业"), choices=YES_NO, required=False)
    risk_level = forms.ChoiceField(label=_("风险等级"), choices=[("", _("全部")), *RiskLevel.choices], required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["industry"].queryset = Industry.objects.visible_to(user).order_by("code")

    def filters(self) -> dict:
        d = self.cleaned_data
        return {
            "town": d.get("town"),
            "village": d.get("village"),
            "industry": d.get("industry"),
            "key_industry": _yes_no(d.get("key_industry")),
            "village_small": _yes_no(d.get("village_small")),
            "risk_level": d.get("risk_level") or None,
        }
