from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safeserve.core.forms import BoundedForm, DateInput, MultipleImageField, ScopedModelForm
from safeserve.core.identity import normalize_code
from safeserve.core.models import DrawValueSource
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import AgencyStaff, Enterprise, Expert, Town

from .choices import CheckerKind, Half, RecheckOutcome
from .conf import setting
from .models import PracticeNotice

MAX_CODES = 500


def _style(fields):
    """Bootstrap classes on a plain form's widgets (ScopedModelForm does this for model forms)."""
    for field in fields.values():
        w = field.widget
        if isinstance(w, forms.RadioSelect | forms.CheckboxSelectMultiple):
            continue
        w.attrs.setdefault("class", "form-select" if isinstance(w, forms.Select) else "form-control")


class NoticeForm(ScopedModelForm):
    """执业告知: the enterprises are given as credit codes (one per line), the area as towns."""

    field_sources = {"enterprise_codes": "enterprises"}
    services = forms.MultipleChoiceField(
        label=_l("服务事项"), choices=ServiceType.choices, widget=forms.CheckboxSelectMultiple
    )
    enterprise_codes = forms.CharField(
        label=_l("服务企业（统一社会信用代码）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_l("每行一个；已选服务区域时可不填"),
    )

    class Meta:
        model = PracticeNotice
        fields = ("agency", "services", "staff", "towns", "enterprise_codes", "start_date", "end_date", "note")
        widgets = {
            "staff": forms.CheckboxSelectMultiple,
            "towns": forms.CheckboxSelectMultiple,
            "start_date": DateInput,
            "end_date": DateInput,
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["enterprise_codes"] = "\n".join(
                self.instance.enterprises.order_by("credit_code").values_list("credit_code", flat=True)
            )
        self.fields["staff"].queryset = (
            AgencyStaff.objects.visible_to(user).filter(is_active=True).select_related("agency")
        )
        self.fields["staff"].label_from_instance = lambda s: (
            f"{s.name}（{s.agency}）{'· 注安' if s.is_registered_engineer else ''}"
        )
        self.fields["staff"].help_text = _l("在本县执业的专职人员（计入专职持证人数）")
        self.fields["towns"].queryset = Town.objects.order_by("sort_order", "code")
        self.fields["towns"].required = False

    def clean_enterprise_codes(self):
        text = self.cleaned_data.get("enterprise_codes") or ""
        codes = [normalize_code(line) for line in text.replace(",", "\n").replace("，", "\n").splitlines()]
        codes = [c for c in codes if c]
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(_("最多填写%(n)s个企业") % {"n": MAX_CODES})
        found = {e.credit_code: e for e in Enterprise.objects.visible_to(self.user).filter(credit_code__in=codes)}
        missing = [c for c in codes if c not in found]
        if missing:
            raise forms.ValidationError(
                _("未找到以下统一社会信用代码的企业，或不在您的数据范围内：%(codes)s")
                % {"codes": "、".join(missing[:10])}
            )
        return list(found.values())

    def clean(self):
        data = super().clean()
        agency = data.get("agency")
        staff = data.get("staff") or []
        if agency is not None and any(s.agency_id != agency.pk for s in staff):
            self.add_error("staff", _("专职从业人员：只能选择该机构的人员"))
        if not data.get("towns") and not data.get("enterprise_codes"):
            self.add_error("towns", _("服务区域：请选择服务的镇（街道），或填写服务企业"))
        return data

    def action_data(self):
        data, m2m = super().action_data()
        m2m["enterprises"] = list(self.cleaned_data.get("enterprise_codes") or [])
        return data, m2m


class RoundForm(BoundedForm):
    year = forms.IntegerField(label=_l("年度"), min_value=2000, max_value=2100)
    half = forms.TypedChoiceField(label=_l("半年"), choices=Half.choices, coerce=int)
    share = forms.DecimalField(
        label=_l("抽查比例"),
        min_value=0.01,
        max_value=1,
        decimal_places=3,
        help_text=_l("如0.15表示15%，按机构向上取整"),
    )
    note = forms.CharField(label=_l("备注"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["share"].initial = setting("SAMPLING_SHARE")
        _style(self.fields)


class DrawValueForm(BoundedForm):
    source = forms.ChoiceField(label=_l("随机值来源"), choices=DrawValueSource.choices, initial=DrawValueSource.LOTTERY)
    value = forms.CharField(
        label=_l("随机值"),
        max_length=200,
        required=False,
        help_text=_l("如当期体育彩票开奖号码；选择服务器随机数时不填"),
    )
    note = forms.CharField(label=_l("随机值说明"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self.fields)


class RecheckForm(BoundedForm):
    checked_on = forms.DateField(label=_l("复核日期"), widget=DateInput)
    checker_kind = forms.ChoiceField(label=_l("复核人类别"), choices=CheckerKind.choices)
    checker_name = forms.CharField(label=_l("复核人"), max_length=50)
    expert = forms.ModelChoiceField(label=_l("复核专家"), queryset=Expert.objects.none(), required=False)
    outcome = forms.ChoiceField(label=_l("复核结论"), choices=RecheckOutcome.choices, widget=forms.RadioSelect)
    findings = forms.CharField(label=_l("复核情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    photos = MultipleImageField(label=_l("现场照片"), required=True)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = Expert.objects.visible_to(user).filter(is_active=True).order_by("name")
        _style(self.fields)

    def clean(self):
        data = super().clean()
        if data.get("checker_kind") == CheckerKind.EXPERT and not data.get("expert"):
            self.add_error("expert", _("复核专家：专家复核须选择复核专家"))
        if data.get("checker_kind") == CheckerKind.OFFICER and data.get("expert"):
            self.add_error("expert", _("复核专家：监管人员复核时不填写专家"))
        return data


class AssignExpertForm(BoundedForm):
    expert = forms.ModelChoiceField(label=_l("指派复核专家"), queryset=Expert.objects.none(), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expert"].queryset = Expert.objects.visible_to(user).filter(is_active=True).order_by("name")
        _style(self.fields)


class ProposeForm(BoundedForm):
    staff = forms.ModelMultipleChoiceField(
        label=_l("责任人员"), queryset=AgencyStaff.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    finding = forms.CharField(label=_l("失信事实"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)

    def __init__(self, *args, user=None, agency_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = (
            AgencyStaff.objects.visible_to(user).filter(agency_id=agency_id).order_by("name")
        )
        _style(self.fields)


class RentedQualificationForm(ProposeForm):
    """租借资质、挂靠: a finding the county records on the agency's file (no re-check behind it)."""
