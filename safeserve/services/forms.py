from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import BoundedForm, DateInput, MultipleFileInput, MultipleImageField, ScopedModelForm
from safeserve.core.identity import normalize_code
from safeserve.core.validation import parse_id
from safeserve.registry.models import AgencyStaff, Enterprise

from .choices import ContractStatus, ItemResult, ServiceItem
from .models import ChecklistItem, ChecklistTemplate, PendingPhoto, ServiceContract


class EnterprisePicker(forms.SelectMultiple):
    """Enterprises chosen by name: a search box (contract_form.js asks the scoped search endpoint) and the
    chosen ones as ticked boxes. Only the chosen are rendered, never the whole register."""

    template_name = "services/widgets/enterprise_picker.html"

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        ids = [i for i in map(parse_id, value or []) if i]
        qs = getattr(self.choices, "queryset", None)
        context["widget"]["selected"] = list(qs.filter(pk__in=ids).order_by("name")) if qs is not None and ids else []
        context["widget"]["search_url"] = reverse("services:contract_enterprise_search")
        return context


class ContractForm(ScopedModelForm):
    """A contract: the agency first, then only its staff (htmx reloads them); enterprises by name."""

    field_sources = {"enterprise_codes": "enterprises", "enterprise_picks": "enterprises"}
    field_order = ["number", "agency", "staff", "enterprise_picks", "enterprise_codes"]
    items = forms.MultipleChoiceField(
        label=_("服务事项"), choices=ServiceItem.choices, widget=forms.CheckboxSelectMultiple
    )
    enterprise_picks = forms.ModelMultipleChoiceField(
        label=_("服务企业"),
        queryset=Enterprise.objects.none(),
        required=False,
        widget=EnterprisePicker,
        help_text=_("输入企业名称搜索，可选多家"),
    )
    enterprise_codes = forms.CharField(
        label=_("或按统一社会信用代码添加"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("每行填写一个统一社会信用代码；政府购买服务可填写多家企业"),
    )

    class Meta:
        model = ServiceContract
        fields = ServiceContract.FORM_FIELDS
        widgets = {"start_date": DateInput(), "end_date": DateInput(), "staff": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        agency_id = self._agency_id()
        staff = AgencyStaff.objects.visible_to(self.user).filter(is_active=True).order_by("name")
        self.fields["staff"].queryset = staff.filter(agency_id=agency_id) if agency_id else staff.none()
        self.fields["staff"].help_text = "" if agency_id else _("请先选择服务机构，再选择该机构的人员")
        self.fields["staff"].widget.attrs["id"] = "id_staff"
        self.fields["agency"].widget.attrs.update(
            {
                "hx-get": reverse("services:contract_staff_options"),
                "hx-target": "#staff-options",
                "hx-trigger": "change",
            }
        )
        self.fields["enterprise_picks"].queryset = Enterprise.objects.visible_to(self.user)
        if self.instance.pk:
            self.initial["items"] = self.instance.items
            # Only the enterprises the user sees; the others stay on the contract (core.actions._set_m2m).
            self.initial["enterprise_picks"] = list(
                self.instance.enterprises.visible_to(self.user).values_list("pk", flat=True)
            )
        if self.user is not None and self.user.role == "town":
            # A town owns only the contracts it buys (ServiceContract.owner_q).
            self.fields["payer_type"].choices = [("town", _("镇（街道）政府购买"))]
        if self.user is not None and self.user.role == "enterprise":
            self.fields["enterprise_codes"].required = False
            self.fields["enterprise_codes"].widget = forms.HiddenInput()
            self.fields.pop("enterprise_picks")
            self.fields["payer_type"].choices = [("enterprise", _("企业自费"))]
            self.fields.pop("payer_town")

    def clean_enterprise_codes(self):
        if self.user is not None and self.user.role == "enterprise":
            return [Enterprise.objects.get(pk=self.user.enterprise_id)]
        codes = [normalize_code(c) for c in (self.cleaned_data.get("enterprise_codes") or "").split() if c.strip()]
        if not codes:
            return []
        found = {e.credit_code: e for e in Enterprise.objects.visible_to(self.user).filter(credit_code__in=codes)}
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValidationError(_("以下信用代码不存在或不在您的管辖范围内：%(c)s") % {"c": "、".join(missing[:10])})
        return list(dict.fromkeys(found[c] for c in codes))

    def _agency_id(self):
        raw = self.data.get("agency") if self.is_bound else self.initial.get("agency")
        if raw in (None, "") and self.instance.pk:
            raw = self.instance.agency_id
        return parse_id(raw) if raw not in (None, "") else None

    def clean(self):
        data = super().clean()
        if "enterprise_picks" in self.fields and "enterprise_codes" in data:
            chosen = list(dict.fromkeys([*(data.get("enterprise_picks") or []), *data["enterprise_codes"]]))
            if not chosen and not self.has_error("enterprise_codes"):
                self.add_error("enterprise_picks", _("至少选择一家服务企业"))
            data["enterprise_codes"] = chosen
        agency, staff = data.get("agency"), data.get("staff")
        if agency and staff and any(s.agency_id != agency.pk for s in staff):
            self.add_error("staff", _("指派人员必须属于所选服务机构"))
        return data

    def action_data(self):
        data, m2m = super().action_data()
        m2m["enterprises"] = self.cleaned_data["enterprise_codes"]
        data["items"] = list(self.cleaned_data["items"])
        return data, m2m


class ChecklistTemplateForm(ScopedModelForm):
    class Meta:
        model = ChecklistTemplate
        fields = ChecklistTemplate.FIELDS


class ChecklistItemForm(ScopedModelForm):
    class Meta:
        model = ChecklistItem
        fields = ChecklistItem.FIELDS


class VisitForm(BoundedForm):
    """The phone visit form; checklist results come as ``result_<item id>`` fields, each unanswered at first.

    Started from a contract (``?contract=``) it offers that contract's enterprises (the only one
    chosen) and ticks its assigned staff. Staff who may not be named today are shown disabled with
    the reason. Photos chosen with JavaScript are already uploaded (``pending_photo`` ids); the plain
    file field is the fallback without it.
    """

    contract = forms.ModelChoiceField(label=_("服务合同"), queryset=ServiceContract.objects.none())
    enterprise = forms.ModelChoiceField(label=_("服务企业"), queryset=Enterprise.objects.none())
    visited_at = forms.DateTimeField(
        label=_("服务时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("到场人员"), queryset=AgencyStaff.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    template = forms.ModelChoiceField(label=_("检查表"), queryset=ChecklistTemplate.objects.none(), required=False)
    findings = forms.CharField(label=_("发现问题及建议"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    signed_by = forms.CharField(label=_("企业签字确认人"), max_length=50, required=False)
    photos = MultipleImageField(label=_("现场照片"))
    pending_photo = forms.ModelMultipleChoiceField(
        label=_("现场照片"),
        queryset=PendingPhoto.objects.none(),
        required=False,
        widget=forms.MultipleHiddenInput,
        error_messages={
            "invalid_choice": _("部分照片已失效，请重新选择"),
            "invalid_pk_value": _("照片已失效，请重新选择"),
        },
    )
    latitude = forms.DecimalField(
        label=_("位置纬度"), required=False, min_value=-90, max_value=90, decimal_places=6, widget=forms.HiddenInput
    )
    longitude = forms.DecimalField(
        label=_("位置经度"), required=False, min_value=-180, max_value=180, decimal_places=6, widget=forms.HiddenInput
    )
    location_accuracy = forms.IntegerField(
        label=_("定位精度（米）"), required=False, min_value=0, max_value=100_000, widget=forms.HiddenInput
    )

    def __init__(self, *args, user, template=None, contract=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.contract = contract
        self.fields["contract"].queryset = ServiceContract.objects.visible_to(user).filter(status=ContractStatus.ACTIVE)
        enterprises = Enterprise.objects.visible_to(user)
        if contract is not None:
            enterprises = enterprises.filter(contract_links__contract=contract)
        self.fields["enterprise"].queryset = enterprises.order_by("name")
        self.fields["staff"].queryset = AgencyStaff.objects.visible_to(user).filter(is_active=True).order_by("name")
        self.fields["template"].queryset = ChecklistTemplate.objects.visible_to(user).filter(is_active=True)
        self.fields["pending_photo"].queryset = PendingPhoto.objects.visible_to(user)
        self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))
        if contract is not None and not self.is_bound:
            self.initial.setdefault("contract", contract.pk)
            only = list(self.fields["enterprise"].queryset.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                self.initial.setdefault("enterprise", only[0])
            day = timezone.localdate()
            assigned = contract.staff.filter(agency_id=user.agency_id, is_active=True)
            self.initial.setdefault("staff", [s.pk for s in assigned if s.is_qualified_on(day)])
        self.template = template
        self.items = list(template.items.all()) if template else []
        for item in self.items:
            self.fields[f"result_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=ItemResult.choices, widget=forms.RadioSelect, required=False
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(label=_("说明"), required=False, max_length=300)
        for name, f in self.fields.items():
            w = f.widget
            if isinstance(w, forms.RadioSelect | forms.CheckboxSelectMultiple | MultipleFileInput | forms.HiddenInput):
                continue
            w.attrs.setdefault(
                "class", "form-select form-select-lg" if isinstance(w, forms.Select) else "form-control form-control-lg"
            )

    def staff_rows(self):
        """(person, checked, reason why not selectable or "") for every active staff member of the agency."""
        day = self.visit_day()
        if self.is_bound:
            chosen = {str(v) for v in self.data.getlist("staff")} if hasattr(self.data, "getlist") else set()
        else:
            chosen = {str(v) for v in self.initial.get("staff") or ()}
        rows = []
        for person in self.fields["staff"].queryset:
            reason = ""
            if not person.is_qualified_on(day):
                if person.certificate_pending_on(day):
                    reason = _("证书待县应急管理局核验")
                elif not person.is_registered_engineer:
                    reason = _("无注册安全工程师证书")
                else:
                    reason = _("证书已于 %(d)s 过期") % {"d": person.engineer_certificate_valid_until}
            rows.append((person, str(person.pk) in chosen and not reason, reason))
        return rows

    def visit_day(self):
        value = self.cleaned_data.get("visited_at") if hasattr(self, "cleaned_data") else None
        return timezone.localtime(value).date() if value else timezone.localdate()

    def clean_staff(self):
        staff = self.cleaned_data["staff"]
        day = self.visit_day()
        for person in staff:
            if not person.is_qualified_on(day):
                raise ValidationError(
                    _("%(name)s 在 %(day)s 没有有效的执业资格（注册安全工程师证书），不能作为到场人员")
                    % {"name": person.name, "day": day.isoformat()}
                )
        return staff

    def clean(self):
        data = super().clean()
        missing = [i for i in self.items if not data.get(f"result_{i.pk}")]
        if missing:
            from .actions import unanswered_message

            self.unanswered = {i.pk for i in missing}
            self.add_error(None, ValidationError(unanswered_message(self.items, missing), code="unanswered"))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("latitude", _("位置须同时有纬度和经度，请重新记录位置"))
        return data

    def item_rows(self):
        unanswered = getattr(self, "unanswered", set())
        return [
            (n, item, self[f"result_{item.pk}"], self[f"note_{item.pk}"], item.pk in unanswered)
            for n, item in enumerate(self.items, start=1)
        ]

    def chosen_pending(self):
        """The already uploaded photos this form carries (kept across a failed submit)."""
        ids = self.data.getlist("pending_photo") if self.is_bound and hasattr(self.data, "getlist") else []
        ids = [i for i in map(parse_id, ids) if i]
        return list(PendingPhoto.objects.visible_to(self.user).filter(pk__in=ids)) if ids else []

    def error_summary(self):
        """Every error of the form, each with the anchor of the field it belongs to (for the summary on top)."""
        first = min(getattr(self, "unanswered", ()) or [0])
        rows = []
        for e in self.non_field_errors().as_data():
            anchor = f"item-{first}" if e.code == "unanswered" and first else "visit-form"
            rows.append((None, " ".join(e.messages), anchor))
        anchors = {"pending_photo": "id_photos", "latitude": "visit-location", "longitude": "visit-location"}
        for name, errors in self.errors.items():
            if name == "__all__" or name not in self.fields:
                continue
            label = self.fields[name].label
            if name.startswith(("result_", "note_")):
                label, anchor = _("检查项"), f"item-{name.split('_')[1]}"
            else:
                anchor = anchors.get(name, f"id_{name}")
            for e in errors:
                rows.append((label, e, anchor))
        return rows

    def results(self):
        return {
            i.pk: (self.cleaned_data[f"result_{i.pk}"], self.cleaned_data.get(f"note_{i.pk}", "")) for i in self.items
        }


class ConfirmCodeForm(BoundedForm):
    code = forms.CharField(
        label=_("确认码"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "form-control form-control-lg"}
        ),
    )
    name = forms.CharField(
        label=_("企业确认人姓名"),
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
    )


class RatingForm(BoundedForm):
    score = forms.TypedChoiceField(
        label=_("评分"), coerce=int, choices=[(i, "★" * i) for i in range(5, 0, -1)], widget=forms.RadioSelect
    )
    comment = forms.CharField(label=_("评价"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
