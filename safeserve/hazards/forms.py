from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, MultipleImageField, ScopedModelForm
from safeserve.core.validation import MAX_YEAR, MIN_YEAR, id_validators
from safeserve.registry.forms import EnterpriseByCodeField
from safeserve.registry.models import Agency, Enterprise

from . import conf, queries
from .choices import HazardLevel, HazardSource
from .models import MajorHazardCriterion, RemediationPlan


def _style(form):
    for f in form.fields.values():
        w = f.widget
        if isinstance(w, forms.RadioSelect | forms.CheckboxSelectMultiple) or getattr(
            w, "allow_multiple_selected", False
        ):
            continue
        w.attrs.setdefault(
            "class", "form-select form-select-lg" if isinstance(w, forms.Select) else "form-control form-control-lg"
        )


class HazardReportForm(BoundedForm):
    enterprise = EnterpriseByCodeField(label=_("企业（统一社会信用代码）"))
    source = forms.ChoiceField(label=_("来源"), choices=HazardSource.choices, required=False)
    level = forms.ChoiceField(
        label=_("隐患等级"), choices=HazardLevel.choices, widget=forms.RadioSelect, initial=HazardLevel.GENERAL
    )
    criterion = forms.ModelChoiceField(
        label=_("判定依据（重大隐患必填）"), queryset=MajorHazardCriterion.objects.none(), required=False
    )
    location = forms.CharField(label=_("隐患部位"), max_length=200)
    description = forms.CharField(label=_("隐患描述"), widget=forms.Textarea(attrs={"rows": 3}))
    responsible_person = forms.CharField(label=_("整改责任人"), max_length=50)
    deadline = forms.DateField(label=_("整改期限"), required=False, widget=DateInput())
    photos = MultipleImageField(label=_("隐患照片（整改前）"))

    def __init__(self, *args, user, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.visit = user, visit
        choice = queries.report_enterprise_choice(user, visit)
        if choice == "pick":  # the few enterprises an agency serves: a select, not a code to type
            self.fields["enterprise"] = forms.ModelChoiceField(
                label=_("企业"), queryset=Enterprise.objects.visible_to(user).order_by("name")
            )
        else:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(user)
        self.fields["criterion"].queryset = MajorHazardCriterion.objects.filter(is_active=True)
        self.fields["deadline"].help_text = _(
            "留空则按设置：一般隐患 %(g)d 天，重大隐患 %(m)d 天；最长：一般隐患发现后 %(gm)d 天，重大隐患 %(mm)d 天"
        ) % {
            "g": conf.get("HAZARD_GENERAL_DAYS"),
            "m": conf.get("HAZARD_MAJOR_DAYS"),
            "gm": conf.get("HAZARD_GENERAL_MAX_DAYS"),
            "mm": conf.get("HAZARD_MAJOR_MAX_DAYS"),
        }
        if choice in ("visit", "own"):
            self.fields.pop("enterprise")
        if user.role in ("agency", "enterprise") or visit is not None:
            self.fields.pop("source")
        _style(self)


class UrgeForm(BoundedForm):
    message = forms.CharField(
        label=_("督办意见"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("督办催办须填写督办意见")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class ExtensionRequestForm(BoundedForm):
    requested_deadline = forms.DateField(
        label=_("申请延期至"), widget=DateInput(), error_messages={"required": _("请填写申请延期至的日期")}
    )
    reason = forms.CharField(
        label=_("延期理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("申请延期须说明理由")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_deadline"].help_text = _(
            "每次延期最长 %(n)d 天（设置项），由镇（街道）或县级监管部门审批"
        ) % {"n": conf.get("HAZARD_EXTENSION_MAX_DAYS")}
        _style(self)


class ExtensionDecisionForm(BoundedForm):
    note = forms.CharField(
        label=_("审批意见"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class TransitionForm(BoundedForm):
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultipleImageField(label=_("照片"))
    acceptor_agency = forms.ModelChoiceField(label=_("受委托验收机构"), queryset=Agency.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acceptor_agency"].queryset = queries.appointable_agencies(user)
        _style(self)


class PlanForm(ScopedModelForm):
    class Meta:
        model = RemediationPlan
        fields = list(RemediationPlan.ELEMENTS)
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in RemediationPlan.ELEMENTS}


class CriterionForm(ScopedModelForm):
    class Meta:
        model = MajorHazardCriterion
        fields = MajorHazardCriterion.FIELDS


class PeriodForm(BoundedForm):
    start = forms.DateField(label=_("起始日期"), widget=DateInput())
    end = forms.DateField(label=_("截止日期"), widget=DateInput())
    town = forms.IntegerField(required=False, widget=forms.HiddenInput, validators=id_validators())
    enterprise = forms.IntegerField(required=False, widget=forms.HiddenInput, validators=id_validators())

    def clean(self):
        d = super().clean()
        if d.get("start") and d.get("end") and d["end"] < d["start"]:
            raise forms.ValidationError(_("截止日期不能早于起始日期"))
        return d


class StatisticsForm(BoundedForm):
    """Quarterly statistics: which quarter, grouped how (query parameters of the statistics page)."""

    year = forms.IntegerField(label=_("年度"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    quarter = forms.TypedChoiceField(label=_("季度"), choices=[(q, q) for q in range(1, 5)], coerce=int)
    by = forms.ChoiceField(
        label=_("统计口径"), choices=[("town", _("按镇（街道）")), ("enterprise", _("按企业"))], required=False
    )
