"""Pages of the subsidies app: policies (generic object views + publish/close), applications
(generic list, detail and export; the enterprise's own apply form; the town's decide and pay),
the invoice file, and the county/town summary with its chart and workbook."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_document
from safeserve.core.views import (
    Column,
    ObjectConfig,
    ObjectDetailView,
    ObjectExportView,
    ObjectListView,
    _apply_validation_error,
    bad_input,
    mark_download,
)

from . import actions, filters, forms, queries, transitions
from .models import SubsidyApplication, SubsidyPolicy

POLICY_BADGES = {"draft": "secondary", "published": "success", "closed": "dark"}
APPLICATION_BADGES = queries.BADGES


def _policy_context(request, policy):
    user = request.user
    return {
        "figures": queries.policy_figures(user, policy),
        "steps": [(a, transitions.POLICY_ACTIONS[a]) for a in transitions.policy_available(user, policy)]
        if user.has_perm("subsidies.publish_subsidypolicy")
        else [],
        "can_apply": user.has_perm("subsidies.add_subsidyapplication") and policy.status == "published",
    }


POLICY = ObjectConfig(
    model=SubsidyPolicy,
    filterset=filters.PolicyFilterSet,
    form=forms.PolicyForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("town", sort="town__sort_order"),
        Column("year", sort="year"),
        Column("share"),
        Column("cap", sort="cap"),
        Column("budget", sort="budget"),
        Column("status", sort="status", badge=POLICY_BADGES),
    ],
    detail_fields=list(SubsidyPolicy.FIELDS),
    export_fields=[
        "name",
        "town",
        "year",
        "industry_codes",
        "size_classes",
        "share",
        "cap",
        "budget",
        "status",
        "note",
    ],
    select_related=("town",),
    ordering=("-year", "town__sort_order", "town__code", "id"),
    detail_template="subsidies/policy_detail.html",
    detail_context=_policy_context,
)


def _application_context(request, app):
    user = request.user
    steps = transitions.available(user, app)
    return {
        "app": app,
        "steps": steps,
        "decide_form": forms.DecideForm(initial={"amount": app.proposed_amount})
        if {"approve", "reject"} & set(steps)
        else None,
        "pay_form": forms.PayForm(initial={"paid_on": timezone.localdate(), "amount": app.approved_amount})
        if "pay" in steps
        else None,
        "can_withdraw": "withdraw" in steps,
    }


APPLICATION = ObjectConfig(
    model=SubsidyApplication,
    filterset=filters.ApplicationFilterSet,
    form=None,
    columns=[
        Column("number", sort="number", link=True),
        Column("enterprise", sort="enterprise__name"),
        Column("policy", sort="policy__year"),
        Column("contract"),
        Column("invoice_amount", sort="invoice_amount"),
        Column("proposed_amount", sort="proposed_amount"),
        Column("approved_amount", sort="approved_amount"),
        Column("paid_amount"),
        Column("submitted_at", sort="submitted_at"),
        Column("status", sort="status", badge=APPLICATION_BADGES),
    ],
    detail_fields=list(SubsidyApplication.FIELDS),
    export_fields=[
        "number",
        "policy",
        "enterprise",
        "contract",
        "fee",
        "invoice_number",
        "invoice_amount",
        "proposed_amount",
        "status",
        "submitted_at",
        "approved_amount",
        "decided_at",
        "reason",
        "paid_on",
        "paid_amount",
        "voucher_number",
    ],
    select_related=("policy__town", "enterprise", "contract"),
    ordering=("-submitted_at", "-id"),
    detail_template="subsidies/application_detail.html",
    detail_context=_application_context,
)


# ---------------------------------------------------------------- policies


class PolicyStepView(LoginRequiredMixin, View):
    """发布 / 截止申请: the town's own policy (core of the POLICY_TABLE)."""

    def post(self, request, pk, action):
        policy = get_visible_or_404(SubsidyPolicy, request.user, pk=pk)
        if action not in transitions.POLICY_ACTIONS or not request.user.has_perm("subsidies.publish_subsidypolicy"):
            raise PermissionDenied
        try:
            actions.policy_step(actor=request.user, policy=policy, action=action)
            messages.success(request, _("补贴政策已%(a)s") % {"a": transitions.POLICY_ACTIONS[action]})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(policy.get_absolute_url())


# ---------------------------------------------------------------- applications


class ApplyView(LoginRequiredMixin, View):
    """The enterprise applies online for one of its own enterprise-paid contracts, with the invoice."""

    def _check(self, request):
        user = request.user
        if not user.has_perm("subsidies.add_subsidyapplication") or user.role != "enterprise":
            raise PermissionDenied

    def _render(self, request, form, status=200):
        return render(
            request,
            "subsidies/apply.html",
            {
                "form": form,
                "policies": queries.policies(request.user).filter(status="published").order_by("-year"),
            },
            status=status,
        )

    def get(self, request):
        self._check(request)
        contracts = actions.contracts_to_apply(request.user)
        initial = {}
        if request.GET.get("contract", "").isdigit():
            initial["contract"] = int(request.GET["contract"])
        return self._render(request, forms.ApplyForm(contracts=contracts, initial=initial))

    def post(self, request):
        self._check(request)
        form = forms.ApplyForm(request.POST, request.FILES, contracts=actions.contracts_to_apply(request.user))
        if form.is_valid():
            d = form.cleaned_data
            try:
                app = actions.application_submit(
                    actor=request.user,
                    contract=d["contract"],
                    invoice_amount=d["invoice_amount"],
                    invoice_number=d["invoice_number"],
                    upload=d["invoice"],
                    note=d["note"],
                )
                messages.success(
                    request, _("已提交补贴申请 %(n)s，测算补贴 %(a)s 元") % {"n": app.number, "a": app.proposed_amount}
                )
                return redirect(app.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return self._render(request, form, status=400)


class ApplicationStepView(LoginRequiredMixin, View):
    """批准 / 不予批准 / 撤回 (transitions.TABLE)."""

    def post(self, request, pk, action):
        app = get_visible_or_404(SubsidyApplication, request.user, pk=pk)
        if action not in ("approve", "reject", "withdraw") or not transitions.allowed(request.user, app, action):
            raise PermissionDenied
        form = forms.DecideForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(app.get_absolute_url())
        try:
            actions.application_step(
                actor=request.user,
                application=app,
                action=action,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("补贴申请已处理：%(a)s") % {"a": transitions.ACTIONS[action]})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(app.get_absolute_url())


class ApplicationPayView(LoginRequiredMixin, View):
    def post(self, request, pk):
        app = get_visible_or_404(SubsidyApplication, request.user, pk=pk)
        if not transitions.allowed(request.user, app, "pay"):
            raise PermissionDenied
        form = forms.PayForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.application_pay(
                    actor=request.user,
                    application=app,
                    paid_on=d["paid_on"],
                    amount=d["amount"],
                    voucher_number=d["voucher_number"],
                )
                messages.success(request, _("已登记拨付"))
                return redirect(app.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(app.get_absolute_url())


class InvoiceView(LoginRequiredMixin, View):
    def get(self, request, pk):
        app = get_visible_or_404(SubsidyApplication, request.user, pk=pk)
        return serve_stored_document(app.invoice, name=f"{app.number}-{app.invoice_name}")


# ---------------------------------------------------------------- the summary (county: every town)


OVERVIEW_HEADERS = [
    _l("镇（街道）"),
    _l("政策状态"),
    _l("预算（元）"),
    _l("已批准（元）"),
    _l("已拨付（元）"),
    _l("预算余额（元）"),
    _l("申请数"),
    _l("待审核"),
    _l("已批准数"),
    _l("未批准数"),
    _l("受补贴企业"),
    _l("符合条件企业"),
]


class OverviewView(LoginRequiredMixin, View):
    """Subsidies by town and year: budget, approved, paid, applications, eligible enterprises reached."""

    def get(self, request):
        user = request.user
        if not user.has_perm("subsidies.view_subsidyoverview"):
            raise PermissionDenied
        form = forms.YearForm(request.GET if "year" in request.GET else {"year": timezone.localdate().year})
        if not form.is_valid():
            return bad_input(request, form)
        year = form.cleaned_data["year"]
        data = queries.overview(user, year)
        if "download" in request.GET:
            return mark_download(request, self.workbook(data, year))
        return render(request, "subsidies/overview.html", {"form": form, "data": data, "year": year})

    def workbook(self, data, year):
        title = _("%(year)d年度服务补贴汇总") % {"year": year}
        towns = Sheet(
            _("按镇（街道）"),
            [str(h) for h in OVERVIEW_HEADERS],
            (
                [
                    r["town"],
                    r["status"],
                    r["budget"],
                    r["approved"],
                    r["paid"],
                    r["remaining"],
                    r["applications"],
                    r["submitted"],
                    r["granted"],
                    r["rejected"],
                    r["reached"],
                    r["eligible"],
                ]
                for r in data["town_rows"]
            ),
            heading_lines(title),
        )
        years = Sheet(
            _("按年度"),
            [
                _("年度"),
                _("政策数"),
                _("预算（元）"),
                _("已批准（元）"),
                _("已拨付（元）"),
                _("申请数"),
                _("受补贴企业"),
            ],
            (
                [r["year"], r["policies"], r["budget"], r["approved"], r["paid"], r["applications"], r["reached"]]
                for r in data["year_rows"]
            ),
            heading_lines(_("服务补贴历年汇总")),
        )
        return workbook_response(str(title), [towns, years], ascii_name=f"subsidies-{year}")


def application_urls():
    """The generic list, export and detail of applications; adding is the enterprise's own form and
    every later step an action (there is no generic edit or delete of an application)."""
    return [
        path("applications/", ObjectListView.as_view(config=APPLICATION), name="subsidyapplication_list"),
        path(
            "applications/export.xlsx", ObjectExportView.as_view(config=APPLICATION), name="subsidyapplication_export"
        ),
        path("applications/new/", ApplyView.as_view(), name="subsidyapplication_add"),
        path("applications/<int:pk>/", ObjectDetailView.as_view(config=APPLICATION), name="subsidyapplication_detail"),
    ]
