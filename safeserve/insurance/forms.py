from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.core import hooks
from safeserve.core.forms import (
    BoundedForm,
    DateInput,
    EnterpriseByCodeField,
    MultipleFileInput,
    MultipleImageField,
    ScopedModelForm,
)
from safeserve.registry.models import Agency, AgencyStaff, Enterprise, Expert
from safeserve.services.choices import ItemResult, ServiceItem
from safeserve.services.models import ChecklistTemplate, ServiceVisit

from .models import Claim, Complaint, Evaluation, Policy, PremiumRuleTable, PreventionExpense, PreventionPlan


class PolicyForm(ScopedModelForm):
    """A policy of the insurer's own: the insured by credit code (any enterprise of the register —
    the insurer chooses its customers, the platform never does)."""

    field_sources = {"enterprise": "enterprise"}
    enterprise = EnterpriseByCodeField(label=_("投保企业（统一社会信用代码）"))

    class Meta:
        model = Policy
        fields = Policy.FORM_FIELDS
        widgets = {"start_date": DateInput, "end_date": DateInput}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["enterprise"].queryset = Enterprise.objects.all()
        self.fields["renewal_of"].queryset = Policy.objects.visible_to(user, "change").order_by("-start_date")
        self.fields["renewal_of"].required = False


class RuleTableForm(ScopedModelForm):
    class Meta:
        model = PremiumRuleTable
        fields = PremiumRuleTable.FIELDS
        widgets = {"rules": forms.Textarea(attrs={"rows": 12})}


class PlanForm(ScopedModelForm):
    items = forms.MultipleChoiceField(
        label=_("服务项目"), choices=ServiceItem.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = PreventionPlan
        fields = ("policy", "items", "measures", "visits_per_year", "agency", "expert", "staff", "goals")
        widgets = {"staff": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["policy"].queryset = Policy.objects.visible_to(user, "change").order_by("-start_date")
        self.fields["agency"].queryset = Agency.objects.filter(is_active=True).order_by("name")
        self.fields["expert"].queryset = Expert.objects.order_by("name")
        self.fields["staff"].queryset = AgencyStaff.objects.filter(is_active=True).select_related("agency")
        self.fields["staff"].label_from_instance = lambda s: f"{s.name}（{s.agency}）"
        self.fields["staff"].required = False

    def clean(self):
        data = super().clean()
        agency, staff = data.get("agency"), data.get("staff") or []
        wrong = [s.name for s in staff if agency is None or s.agency_id != agency.pk]
        if wrong:
            self.add_error("staff", _("服务人员须为所选服务机构的人员：%(n)s") % {"n": "、".join(wrong)})
        return data


class ExpenseForm(ScopedModelForm):
    class Meta:
        model = PreventionExpense
        fields = PreventionExpense.FIELDS
        widgets = {"spent_on": DateInput}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["policy"].queryset = Policy.objects.visible_to(user, "change").order_by("-start_date")
        # The visits this insurer commissioned (the services scope gives an insurer none of its own).
        insurer_id = getattr(user, "insurer_id", None)
        self.fields["visit"].queryset = ServiceVisit.objects.filter(
            contract__payer_insurer_id=insurer_id, contract__payer_insurer__isnull=False
        )
        self.fields["visit"].widget = forms.NumberInput(attrs={"class": "form-control"})
        self.fields["visit"].help_text = _("服务记录编号（可不填）")


class ComplaintForm(ScopedModelForm):
    class Meta:
        model = Complaint
        fields = ("policy", "received_on", "complainant", "content", "needs_checking")
        widgets = {"received_on": DateInput}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["policy"].queryset = Policy.objects.visible_to(user).order_by("-start_date")


class ClaimForm(ScopedModelForm):
    class Meta:
        model = Claim
        fields = Claim.FIELDS
        widgets = {"occurred_on": DateInput, "reported_on": DateInput, "paid_on": DateInput, "closed_on": DateInput}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        policies = Policy.objects.visible_to(user, "change").order_by("-start_date")
        self.fields["policy"].queryset = policies
        if "accident_id" in self.fields:
            # The accidents on record of the insureds (credit's register, through core.hooks).
            names = dict(policies.values_list("enterprise_id", "enterprise__name").distinct())
            field = self.fields["accident_id"]
            self.fields["accident_id"] = forms.TypedChoiceField(
                label=field.label,
                help_text=field.help_text,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", "—")]
                + [(a.id, f"{names.get(a.enterprise_id, '')} {a.label}") for a in hooks.accidents_of(user, names)],
            )


class EvaluationForm(ScopedModelForm):
    class Meta:
        model = Evaluation
        fields = Evaluation.FORM_FIELDS
        widgets = {"evaluated_on": DateInput, "enterprise_opinion": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["policy"].queryset = Policy.objects.visible_to(user, "change").order_by("-start_date")


class ImportForm(BoundedForm):
    file = forms.FileField(label=_("保单登记表（.xlsx）"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))


class ExtendForm(BoundedForm):
    days = forms.IntegerField(label=_("延长天数"), min_value=1, max_value=30)
    reason = forms.CharField(label=_("延期理由"), max_length=300)


class AnswerForm(BoundedForm):
    answer = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DateForm(BoundedForm):
    on = forms.DateField(label=_("日期"), required=False, widget=DateInput)


class YearForm(BoundedForm):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, required=False)
    on = forms.DateField(label=_("保而不防统计日期"), required=False, widget=DateInput)


# ---- appointments (AQ 9010 advance confirmation)


class AppointmentForm(BoundedForm):
    """A proposal (or a reschedule): the day and half-day, the place, staff of the plan's staff and
    items of the plan's items."""

    day = forms.DateField(label=_("预约日期"), widget=DateInput)
    half_day = forms.ChoiceField(label=_("时段"))
    place = forms.CharField(label=_("服务地点"), max_length=200)
    staff = forms.ModelMultipleChoiceField(
        label=_("服务人员"), queryset=AgencyStaff.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    items = forms.MultipleChoiceField(label=_("服务项目"), widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, plan=None, **kwargs):
        from .choices import HalfDay

        super().__init__(*args, **kwargs)
        labels = dict(ServiceItem.choices)
        self.fields["half_day"].choices = HalfDay.choices
        self.fields["items"].choices = [(v, labels.get(v, v)) for v in (plan.items if plan else [])]
        if plan is not None:
            self.fields["staff"].queryset = plan.staff.all().order_by("name")
            if not self.is_bound:
                self.initial.setdefault("items", list(plan.items))
                self.initial.setdefault("place", plan.policy.enterprise.address or "")

    def action_data(self) -> tuple[dict, list]:
        d = self.cleaned_data
        data = {k: d[k] for k in ("day", "half_day", "place", "note")}
        data["items"] = list(d["items"])
        return data, list(d["staff"])


class AppointmentActForm(BoundedForm):
    """Confirm, decline (a reason, maybe another day) or cancel (a reason)."""

    reason = forms.CharField(label=_("理由"), max_length=300, required=False)
    suggested_day = forms.DateField(label=_("建议改在"), required=False, widget=DateInput)


class AppointmentFilterForm(BoundedForm):
    plan = forms.IntegerField(label=_("服务计划"), required=False, min_value=1, widget=forms.HiddenInput)
    state = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, **kwargs):
        from .choices import AppointmentState

        super().__init__(*args, **kwargs)
        self.fields["state"].choices = [("", _("全部")), *AppointmentState.choices]


# ---- expert prevention visits


class PreventionVisitForm(BoundedForm):
    """The expert's phone form: the plan, time, checklist (one answer per item), findings, photos and
    the phone's position when given. The checklist is chosen first (``?template=``); its items follow."""

    plan = forms.ModelChoiceField(label=_("服务计划（投保企业）"), queryset=PreventionPlan.objects.none())
    visited_at = forms.DateTimeField(
        label=_("服务时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    template = forms.ModelChoiceField(label=_("检查表"), queryset=ChecklistTemplate.objects.none())
    findings = forms.CharField(label=_("发现问题及建议"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = MultipleImageField(label=_("现场照片"))
    latitude = forms.DecimalField(
        label=_("纬度"), max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = forms.DecimalField(
        label=_("经度"), max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )

    def __init__(self, *args, plans, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["plan"].label_from_instance = lambda p: f"{p.policy.enterprise.name} · {p.policy.number}"
        self.fields["template"].queryset = ChecklistTemplate.objects.order_by("name", "id")
        self.fields["latitude"].widget = forms.HiddenInput()
        self.fields["longitude"].widget = forms.HiddenInput()
        self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))
        if template is not None:
            self.initial.setdefault("template", template.pk)
        self.items = list(template.items.all()) if template is not None else []
        for item in self.items:
            self.fields[f"result_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=ItemResult.choices, widget=forms.RadioSelect, required=False
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(label=_("说明"), required=False, max_length=300)
        for f in self.fields.values():
            w = f.widget
            if isinstance(w, forms.RadioSelect | MultipleFileInput | forms.HiddenInput):
                continue
            w.attrs.setdefault(
                "class", "form-select form-select-lg" if isinstance(w, forms.Select) else "form-control form-control-lg"
            )

    def item_rows(self):
        return [(item, self[f"result_{item.pk}"], self[f"note_{item.pk}"]) for item in self.items]

    def results(self) -> dict:
        data = self.cleaned_data
        return {i.pk: (data.get(f"result_{i.pk}") or "", data.get(f"note_{i.pk}") or "") for i in self.items}
