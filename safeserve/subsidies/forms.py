from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core import uploads
from safeserve.core.forms import BoundedForm, DateInput, ScopedModelForm
from safeserve.registry.choices import SizeClass
from safeserve.registry.models import Industry

from .models import SubsidyPolicy

INVOICE_HELP = _("发票的 PDF 或照片（JPG、PNG、WebP），按文件内容检查类型和大小")


class InvoiceField(forms.FileField):
    """The invoice, scanned or photographed, checked by content (core.uploads.verify_scan)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", INVOICE_HELP)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": f"application/pdf,{uploads.ACCEPT}"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        data = super().clean(data, initial)
        if not data or data is initial:
            return None
        return uploads.verify_scan(data)


def industry_choices():
    return [(i.code, f"{i.code} {i.name}") for i in Industry.objects.order_by("code")]


class PolicyForm(ScopedModelForm):
    industry_codes = forms.MultipleChoiceField(
        label=_("适用行业"),
        choices=industry_choices,
        help_text=_("门类（如 C 制造业）包括其下所有大类；默认为工商贸行业"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    size_classes = forms.MultipleChoiceField(
        label=_("适用企业规模"), choices=SizeClass.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = SubsidyPolicy
        fields = SubsidyPolicy.FORM_FIELDS

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if not self.instance.pk and user is not None and getattr(user, "town_id", None):
            self.initial.setdefault("town", user.town_id)
            year = timezone.localdate().year
            self.initial.setdefault("year", year)
            self.initial.setdefault(
                "name", _("%(year)d年%(town)s安全生产社会化服务补贴") % {"year": year, "town": user.town}
            )
        if not self.instance.pk:
            from .conf import setting

            self.initial.setdefault("share", setting("SHARE"))
            self.initial.setdefault("cap", setting("CAP"))


class ApplyForm(BoundedForm):
    contract = forms.ModelChoiceField(label=_("服务合同"), queryset=None, empty_label=_("请选择"))
    invoice_number = forms.CharField(label=_("发票号码"), max_length=50)
    invoice_amount = forms.DecimalField(
        label=_("发票金额（元）"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    invoice = InvoiceField(label=_("发票附件"))
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, contracts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts
        self.fields["contract"].label_from_instance = lambda c: (
            f"{c.number} · {c.agency.name} · {c.start_date:%Y-%m-%d}至{c.end_date:%Y-%m-%d} · {c.fee} 元"
        )


class DecideForm(BoundedForm):
    amount = forms.DecimalField(
        label=_("核定补贴（元）"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("默认为测算补贴，可核减"),
    )
    reason = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class PayForm(BoundedForm):
    paid_on = forms.DateField(label=_("拨付日期"), widget=DateInput())
    amount = forms.DecimalField(label=_("拨付金额（元）"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    voucher_number = forms.CharField(label=_("拨付凭证号"), max_length=50)


class YearForm(BoundedForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
