import json

from django import forms
from django.utils.translation import gettext_lazy as _

from safeserve.core import uploads
from safeserve.core.forms import BoundedForm, DateInput, EnterpriseByCodeField, ScopedModelForm

from . import rules
from .choices import PenaltyMeasure
from .models import Accident, Commitment, CreditGrade, Listing, Penalty, RuleTable

ATTACHMENT_HELP = _("PDF 或照片（JPG、PNG、WebP），上传前检查文件类型和大小")


class ScanField(forms.FileField):
    """One scanned document (PDF or photo), checked by content (core.uploads.verify_scan)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", ATTACHMENT_HELP)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": f"application/pdf,{uploads.ACCEPT}"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        data = super().clean(data, initial)
        if not data or data is initial:
            return None
        return uploads.verify_scan(data)


class AccidentForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("企业（统一社会信用代码）"))

    class Meta:
        model = Accident
        fields = Accident.FIELDS
        widgets = {"occurred_on": DateInput(), "conclusion": forms.Textarea(attrs={"rows": 3})}


class AccidentAttachmentForm(BoundedForm):
    """The accident's attachment, uploaded on its own page (credit:accident_upload), never through the
    generic edit form (the generic views take no file: core/tests/test_uploads.py)."""

    upload = ScanField(label=_("附件（事故调查报告等）"), required=True)


class PenaltyForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("企业（统一社会信用代码）"), required=False)
    measures = forms.MultipleChoiceField(
        label=_("其他处罚措施"), choices=PenaltyMeasure.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Penalty
        fields = Penalty.FIELDS
        widgets = {"decided_on": DateInput(), "violation": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["measures"] = self.instance.measures


class CommitmentForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("企业（统一社会信用代码）"))

    class Meta:
        model = Commitment
        fields = ["enterprise", "year", "content", "signed_on"]
        widgets = {"signed_on": DateInput()}


class RuleTableForm(ScopedModelForm):
    class Meta:
        model = RuleTable
        fields = RuleTable.FIELDS
        widgets = {"rules": forms.Textarea(attrs={"rows": 24, "class": "form-control font-monospace"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk and "rules" not in self.initial:
            subject = self.initial.get("subject") or "enterprise"
            self.initial["rules"] = rules.default_table(subject if subject in rules.DEFAULTS else "enterprise")
        self.fields["rules"].help_text = _("JSON 格式；已知事实类型：%(k)s。未列明的类型按 unknown 规则计。") % {
            "k": "、".join(rules.KNOWN_KINDS)
        }
        self.fields["rules"].encoder = None

    def clean_rules(self):
        value = self.cleaned_data["rules"]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise forms.ValidationError(_("规则：不是有效的 JSON")) from None
        return value


class GradeForm(ScopedModelForm):
    """Grades are computed, never typed: no role writes one (roles.WRITABLE_FIELDS)."""

    class Meta:
        model = CreditGrade
        fields = ["grade"]


class ListingForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("企业（统一社会信用代码）"), required=False)

    class Meta:
        model = Listing
        fields = ["subject", "enterprise", "agency", "situation", "accident", "penalty", "facts"]
        widgets = {"facts": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["situation"].required = False  # the model's clean names the missing reason in full
        # A staff member is proposed from a misconduct finding (core.hooks.propose_listing), not here.
        self.fields["subject"].choices = [c for c in self.fields["subject"].choices if c[0] != "staff"]


class TransitionForm(BoundedForm):
    reason = forms.CharField(label=_("理由 / 说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    attachment = ScanField(label=_("证明材料（信用修复申请时）"))


class CommitmentCheckForm(BoundedForm):
    kept = forms.TypedChoiceField(
        label=_("核查结论"),
        choices=[("1", _("已履行")), ("0", _("未履行"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("核查说明"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PenaltyImportForm(BoundedForm):
    file = forms.FileField(
        label=_("行政处罚登记表（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"})
    )
