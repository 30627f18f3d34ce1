from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.forms import BoundedForm, DateInput, EnterpriseByCodeField, ScopedModelForm
from safeserve.hazards.choices import HazardLevel
from safeserve.hazards.models import MajorHazardCriterion
from safeserve.registry.models import Enterprise

from .choices import CaseReason, InspectionKind, InspectionResult, ValueSource
from .models import OFFICER_ROLES, FrequencyRule, InspectionPlan, OfficerConflict, certified_officers


class PlanForm(ScopedModelForm):
    class Meta:
        model = InspectionPlan
        fields = list(InspectionPlan.FIELDS)


class RuleForm(ScopedModelForm):
    class Meta:
        model = FrequencyRule
        fields = list(FrequencyRule.FIELDS)


def officer_choices(user):
    """Officers a user may name: the county any county or town officer; a town officer its own town's."""
    from safeserve.accounts.models import User

    qs = User.objects.filter(role__in=OFFICER_ROLES, is_active=True)
    if user is None or user.role != Role.COUNTY:
        qs = qs.filter(role=Role.TOWN, town_id=getattr(user, "town_id", None) or 0)
    return qs.order_by("full_name", "pk")


class ConflictForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("企业（统一社会信用代码）"))

    class Meta:
        model = OfficerConflict
        fields = list(OfficerConflict.FIELDS)
        widgets = {"declared_on": DateInput()}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "enterprise" not in self.locked_fields:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)
        if "officer" not in self.locked_fields:
            self.fields["officer"].queryset = officer_choices(user)


class DrawFreezeForm(BoundedForm):
    month = forms.TypedChoiceField(label=_("检查月份"), coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)])
    places = forms.IntegerField(label=_("抽取数量（家）"), min_value=1, max_value=10000)
    reserves = forms.IntegerField(label=_("备选数量（家）"), min_value=0, max_value=1000, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.widget.attrs.setdefault("class", "form-select" if isinstance(f.widget, forms.Select) else "form-control")


class DrawValueForm(BoundedForm):
    source = forms.ChoiceField(label=_("随机值来源"), choices=ValueSource.choices, widget=forms.RadioSelect)
    value = forms.CharField(
        label=_("随机值"),
        max_length=200,
        required=False,
        help_text=_("公开彩票开奖号码或双方共同提供的数值；选择服务器密码学随机数时留空"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("value", "note"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")

    def clean(self):
        data = super().clean()
        if data.get("source") and data["source"] != ValueSource.SERVER and not (data.get("value") or "").strip():
            self.add_error("value", _("请录入随机值（如彩票开奖号码）。"))
        return data


class RedrawForm(BoundedForm):
    reason = forms.CharField(label=_("重新抽取理由"), max_length=300)


class InspectionForm(BoundedForm):
    kind = forms.ChoiceField(label=_("检查类型"), choices=InspectionKind.choices)
    case_reason = forms.ChoiceField(
        label=_("个案来源"), choices=[("", _("请选择")), *CaseReason.choices], required=False
    )
    officer_1 = forms.ModelChoiceField(label=_("检查人员一（执法证号）"), queryset=certified_officers().none())
    officer_2 = forms.ModelChoiceField(label=_("检查人员二（执法证号）"), queryset=certified_officers().none())
    inspected_on = forms.DateField(label=_("检查日期"), widget=DateInput(), initial=timezone.localdate)
    items_checked = forms.CharField(label=_("检查事项"), widget=forms.Textarea(attrs={"rows": 3}))
    result = forms.ChoiceField(label=_("检查结果"), choices=InspectionResult.choices)
    result_summary = forms.CharField(
        label=_("结果摘要（公示，勿填个人信息）"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
    support_note = forms.CharField(label=_("技术支撑（机构或专家意见）"), max_length=300, required=False)
    support_file = forms.FileField(label=_("技术支撑材料（PDF）"), required=False)

    def __init__(self, *args, user, target=None, enterprise=None, **kwargs):
        super().__init__(*args, **kwargs)
        ent = target.enterprise if target is not None else enterprise
        qs = certified_officers()
        if ent is not None:
            qs = qs.filter(Q(role=Role.COUNTY) | Q(role=Role.TOWN, town_id=ent.town_id))
        qs = qs.order_by("full_name", "pk")
        for name in ("officer_1", "officer_2"):
            self.fields[name].queryset = qs
            self.fields[name].label_from_instance = lambda u: f"{u}（{u.enforcement_cert_no}）"
        if target is not None:
            self.fields["kind"].choices = [
                c for c in InspectionKind.choices if c[0] == ("random" if target.kind == "random" else "planned")
            ]
            self.initial.update({"officer_1": target.officer_1_id, "officer_2": target.officer_2_id})
        else:
            self.fields["enterprise"] = EnterpriseByCodeField(label=_("被检查单位（统一社会信用代码）"))
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)
            self.order_fields(["enterprise"])
            self.fields["kind"].choices = [
                c for c in InspectionKind.choices if c[0] in (InspectionKind.SPECIAL, InspectionKind.CASE)
            ]
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)


class FindingForm(BoundedForm):
    """One finding that becomes a hazard (source 政府检查) when the record is saved."""

    location = forms.CharField(label=_("隐患部位"), max_length=200)
    description = forms.CharField(label=_("隐患描述"), max_length=1000)
    responsible_person = forms.CharField(label=_("整改责任人"), max_length=50)
    level = forms.ChoiceField(label=_("隐患等级"), choices=HazardLevel.choices, initial=HazardLevel.GENERAL)
    criterion = forms.ModelChoiceField(
        label=_("判定依据（重大隐患必填）"),
        queryset=MajorHazardCriterion.objects.filter(is_active=True),
        required=False,
    )
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            css = "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            f.widget.attrs.setdefault("class", css)


FindingFormSet = forms.formset_factory(FindingForm, extra=2, max_num=20, validate_max=True)


class ConfirmForm(BoundedForm):
    note = forms.CharField(label=_("企业意见"), max_length=300, required=False)


class YearForm(BoundedForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
