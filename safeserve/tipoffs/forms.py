from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, MultipleFileInput
from safeserve.core.identity import normalize_code
from safeserve.registry.models import Agency, Enterprise, Town

from .choices import AccidentLevel, Category, Finding, SubjectKind
from .models import Tipoff

ACCEPT = "image/jpeg,image/png,image/webp,application/pdf"


class AttachmentsField(forms.FileField):
    """Any number of files; each is checked by content in the action (photos re-encoded, PDFs parsed)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT, "class": "form-control"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = list(data) if isinstance(data, list | tuple) else [data]
        return [f for f in files if f]


def _style(form):
    """Bootstrap classes, and a required-field message that names the field ."""
    for field in form.fields.values():
        field.error_messages["required"] = _("%(label)s：请填写") % {"label": field.label}
        w = field.widget
        if isinstance(w, forms.RadioSelect):
            w.attrs.setdefault("class", "form-check-input")
            continue
        css = "form-select" if isinstance(w, forms.Select) else "form-control"
        w.attrs.setdefault("class", css)


class TipoffFileForm(BoundedForm):
    """The public form (no login). Whom, what, attachments, optional identity, a chosen password."""

    subject_kind = forms.ChoiceField(label=_("被举报对象"), choices=SubjectKind.choices, widget=forms.RadioSelect)
    agency = forms.ModelChoiceField(
        label=_("服务机构"), queryset=Agency.objects.none(), required=False, empty_label=_("请选择")
    )
    unit_name = forms.CharField(label=_("单位名称"), max_length=100, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码（知道时填写）"), max_length=18, required=False)
    unit_address = forms.CharField(label=_("单位地址或位置"), max_length=200, required=False)
    town = forms.ModelChoiceField(
        label=_("所在镇（街道）"), queryset=Town.objects.none(), required=False, empty_label=_("不清楚")
    )
    category = forms.ChoiceField(label=_("举报类别"), choices=Category.choices)
    description = forms.CharField(
        label=_("举报内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("时间、地点、经过、涉及人员，越具体越便于核查。"),
    )
    attachments = AttachmentsField(label=_("附件（照片或 PDF）"))
    reporter_name = forms.CharField(label=_("您的姓名（选填）"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("联系电话（选填）"), max_length=20, required=False)
    reporter_contact = forms.CharField(label=_("其他联系方式（选填）"), max_length=200, required=False)
    password = forms.CharField(
        label=_("查询密码"),
        min_length=8,
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("至少 8 位，请牢记：凭查询码和此密码查看办理情况，本平台无法找回。"),
    )
    password2 = forms.CharField(
        label=_("再次输入查询密码"),
        max_length=128,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Public names only: the agencies on the register and the towns of the county.
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True).order_by("name")
        self.fields["town"].queryset = Town.objects.order_by("sort_order", "code")
        _style(self)
        self.fields["town"].empty_label = _("不清楚")
        self.fields["subject_kind"].initial = SubjectKind.ENTERPRISE

    def clean(self):
        data = super().clean()
        kind = data.get("subject_kind")
        if kind == SubjectKind.AGENCY and not data.get("agency"):
            self.add_error("agency", _("服务机构：请选择被举报的服务机构"))
        if kind in (SubjectKind.ENTERPRISE, SubjectKind.UNKNOWN) and not (data.get("unit_name") or "").strip():
            self.add_error("unit_name", _("单位名称：请填写被举报单位的名称（不知道时写“不明”）"))
        if kind == SubjectKind.UNKNOWN and not (data.get("unit_address") or "").strip():
            self.add_error("unit_address", _("单位地址：不明单位请填写地址或位置"))
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("再次输入查询密码：两次输入不一致"))
        return data

    def action_data(self) -> dict:
        d = self.cleaned_data
        kind = d["subject_kind"]
        out = {
            "subject_kind": kind,
            "category": d["category"],
            "description": d["description"].strip(),
            "unit_name": (d.get("unit_name") or "").strip(),
            "unit_address": (d.get("unit_address") or "").strip(),
            "town": d.get("town"),
            "reporter_name": d.get("reporter_name", "").strip(),
            "reporter_phone": d.get("reporter_phone", "").strip(),
            "reporter_contact": d.get("reporter_contact", "").strip(),
        }
        if kind == SubjectKind.AGENCY:
            out["agency"] = d["agency"]
            out["unit_name"] = ""
        elif kind == SubjectKind.ENTERPRISE:
            code = normalize_code(d.get("credit_code") or "")
            found = Enterprise.objects.filter(credit_code=code).first() if code else None
            if found is None:
                matches = list(Enterprise.objects.filter(name=out["unit_name"])[:2])
                found = matches[0] if len(matches) == 1 else None
            out["enterprise"] = found
        return out


class TrackForm(BoundedForm):
    code = forms.CharField(
        label=_("查询码"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    password = forms.CharField(
        label=_("查询密码"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class SupplementForm(BoundedForm):
    text = forms.CharField(label=_("补充内容"), max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))
    attachments = AttachmentsField(label=_("附件（照片或 PDF）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class StepForm(BoundedForm):
    """The inputs of one handling step; each step shows only its own fields (STEP_FIELDS)."""

    town = forms.ModelChoiceField(
        label=_("承办单位"), queryset=Town.objects.none(), required=False, empty_label=_("县局举报受理组")
    )
    same_matter = forms.CharField(
        label=_("同一事项的首件举报编号（选填，如 JB2026-00012）"), max_length=20, required=False
    )
    reason = forms.CharField(
        label=_("理由（举报人可见）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    forwarded_to = forms.CharField(label=_("转送部门"), max_length=100, required=False)
    verification = forms.CharField(
        label=_("核查情况"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    finding = forms.ChoiceField(label=_("核查结论"), choices=[("", _("请选择")), *Finding.choices], required=False)
    result = forms.CharField(
        label=_("处理结果（举报人可见）"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    penalty_number = forms.CharField(label=_("处罚决定书文号"), max_length=60, required=False)
    fine_amount = forms.DecimalField(
        label=_("罚款金额（元）"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    concealed_deaths = forms.IntegerField(label=_("查实瞒报死亡人数"), min_value=0, max_value=1000, required=False)
    accident_level = forms.ChoiceField(
        label=_("瞒报事故等级"), choices=[("", _("请选择")), *AccidentLevel.choices], required=False
    )

    def __init__(self, *args, step: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = Town.objects.order_by("sort_order", "code")
        keep = STEP_FIELDS.get(step, ())
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"id_{step}_{name}"
        _style(self)

    def clean_same_matter(self):
        text = (self.cleaned_data.get("same_matter") or "").strip().upper()
        if not text:
            return None
        digits = text.rsplit("-", 1)[-1]
        found = Tipoff.objects.filter(pk=int(digits)).first() if digits.isdigit() and len(digits) < 12 else None
        if found is None or found.number != text:
            raise forms.ValidationError(_("同一事项：未找到编号为 %(n)s 的举报") % {"n": text[:20]})
        return found


STEP_FIELDS = {
    "accept": ("town", "same_matter"),
    "assign": ("town",),
    "reject": ("reason",),
    "forward": ("forwarded_to", "reason"),
    "extend": ("reason",),
    "verify": ("verification",),
    "close": ("finding", "result"),
    "penalty": ("penalty_number", "fine_amount", "concealed_deaths", "accident_level"),
}


class PaymentForm(BoundedForm):
    payment_note = forms.CharField(label=_("发放凭证"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class HandlerForm(BoundedForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    grant = forms.BooleanField(label=_("授予"), required=False)
