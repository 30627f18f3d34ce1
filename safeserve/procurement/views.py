"""Thin views: parse, call an action or a query, render. Every read goes through ``visible_to``."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.display import display_html, field_label, history_rows
from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.views import Column, ObjectConfig, ObjectExportView, ObjectListView, bad_input, mark_download

from . import actions, forms, performance, queries, transitions
from .choices import ProjectStatus
from .filters import ProjectFilterSet
from .models import Project

STATUS_BADGES = {
    "draft": "secondary",
    "approved": "info",
    "procuring": "primary",
    "performing": "success",
    "evaluated": "success",
    "closed": "dark",
    "cancelled": "danger",
}

PROJECT = ObjectConfig(
    model=Project,
    filterset=ProjectFilterSet,
    form=forms.ProjectForm,
    columns=[
        Column("number", sort="number", link=True),
        Column("name", sort="name"),
        Column("buyer_name", _l("购买主体")),
        Column("year", sort="year"),
        Column("subject"),
        Column("method"),
        Column("budget", sort="budget"),
        Column("status", sort="status", badge=STATUS_BADGES),
    ],
    detail_fields=list(Project.FIELDS),
    export_fields=[
        "number",
        "name",
        "buyer_name",
        "year",
        "budget",
        "service_type",
        "subject",
        "method",
        "start_date",
        "term_months",
        "status",
        "awarded_bid",
        "awarded_on",
    ],
    rows=queries.projects_for,
    ordering=("-year", "-id"),
    export_title=_l("政府购买服务项目"),
)

DETAIL_FIELDS = (
    "number",
    "buyer_kind",
    "buyer_town",
    "year",
    "budget",
    "service_type",
    "subject",
    "description",
    "target_mode",
    "method",
    "start_date",
    "term_months",
    "stable_justification",
    "visits_per_year",
    "status",
    "targets_frozen_at",
    "award_reason",
    "awarded_on",
    "contract",
)


class ProjectListView(ObjectListView):
    config = PROJECT


class ProjectExportView(ObjectExportView):
    config = PROJECT


def _errors_to_messages(request, exc):
    for m in exc.messages:
        messages.error(request, m)


class ProjectEditView(LoginRequiredMixin, View):
    """New project, or a draft changed (only the buyer, only while a draft)."""

    def get_object(self, pk):
        if pk is None:
            if not self.request.user.has_perm("procurement.add_project"):
                raise PermissionDenied
            return None
        rows = Project.objects.filter(status=ProjectStatus.DRAFT)
        project = get_visible_or_404(rows, self.request.user, "change", pk=pk)
        if not transitions.side_allowed(self.request.user, project, "edit"):
            raise PermissionDenied
        return project

    def render_form(self, project, form):
        return render(self.request, "procurement/project_form.html", {"object": project, "form": form})

    def get(self, request, pk=None):
        project = self.get_object(pk)
        initial = None if project else {"year": timezone.localdate().year, "start_date": timezone.localdate()}
        return self.render_form(project, forms.ProjectForm(instance=project, initial=initial, user=request.user))

    def post(self, request, pk=None):
        project = self.get_object(pk)
        form = forms.ProjectForm(request.POST, instance=project or Project(), user=request.user)
        if form.is_valid():
            try:
                saved = actions.project_save(actor=request.user, data=form.action_data(), project=project)
                messages.success(request, _("已保存：%(p)s") % {"p": saved})
                return redirect(saved.get_absolute_url())
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errs in exc.error_dict.items():
                        form.add_error(name if name in form.fields else None, errs)
                else:
                    form.add_error(None, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("您没有该操作的权限"))
        return self.render_form(project, form)


def _project(request, pk, action="view"):
    return get_visible_or_404(queries.projects_for(request.user, action), request.user, action, pk=pk)


class ProjectDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        project = _project(request, pk)
        return render(request, "procurement/project_detail.html", detail_context(request, project))


def detail_context(request, project, **forms_given):
    user = request.user
    fields = [(field_label(Project, n), display_html(project, n, user)) for n in DETAIL_FIELDS]
    if project.target_mode == "filter":
        fields.insert(9, (_("筛选条件"), _filter_words(project)))
    targets = project.target_links.select_related("enterprise__town").order_by("enterprise__name")
    steps = [
        (a, transitions.ACTIONS[a], reverse("procurement:project_step", args=[project.pk, a]))
        for a in transitions.available_actions(user, project)
        if a not in transitions.FORM_ACTIONS
    ]
    bids = list(queries.bids_for(user, project))
    ctx = {
        "project": project,
        "fields": fields,
        "target_count": targets.count(),
        "targets": targets[:50],
        "steps": steps,
        "can_edit": transitions.side_allowed(user, project, "edit"),
        "bids": bids,
        "history": history_rows(project, user, 50),
    }
    if transitions.side_allowed(user, project, "bid") and user.has_perm("procurement.add_bid"):
        ctx["bid_form"] = forms_given.get("bid_form") or forms.BidForm(user=user)
    if transitions.allowed(user, project, "award"):
        eligible = [b for b in bids if b.eligible]
        ctx["award_form"] = forms_given.get("award_form") or forms.AwardForm(
            bids=queries.bids_for(user, project), initial={"bid": eligible[0].pk} if eligible else None
        )
    if project.contract_id:
        figs = performance.figures(project, timezone.localdate())
        ctx["figures"] = figs
        ctx["figure_rows"] = figure_rows(figs)
        payments = list(queries.payments_for(user, project))
        ctx["payments"] = payments
        ctx["caps"] = actions.payment_caps(project)
        if transitions.side_allowed(user, project, "pay") and user.has_perm("procurement.add_payment"):
            ctx["pay_form"] = forms_given.get("pay_form") or forms.PaymentForm()
    ctx["evaluation"] = project.evaluation if hasattr(project, "evaluation") else None
    if ctx["evaluation"] is not None:
        ctx["evaluation_rows"] = evaluation_rows(ctx["evaluation"])
    ctx["can_evaluate"] = transitions.allowed(user, project, "evaluate") and user.has_perm("procurement.add_evaluation")
    return ctx


def _filter_words(project) -> str:
    parts = []
    if project.target_town_id:
        parts.append(str(project.target_town))
    if project.target_industry_id:
        parts.append(str(project.target_industry))
    if project.target_sizes:
        parts.append(project.get_target_sizes_display())
    return "；".join(parts) or _("全部在业企业")


def figure_rows(f) -> list[tuple[str, str]]:
    pct = performance.percent
    return [
        (_("目标企业"), f["targets"]),
        (_("已服务企业"), f"{f['visited']}（{pct(f['visited_share'])}）"),
        (_("计划服务次数（截至今日 / 全期）"), f"{f['planned_visits_due']} / {f['planned_visits_term']}"),
        (_("已完成服务次数"), f["visits"]),
        (_("服务频次达标企业"), f"{f['frequency_met']}（{pct(f['frequency_share'])}）"),
        (_("发现隐患"), f["hazards"]),
        (_("其中重大事故隐患"), f["major"]),
        (_("已整改销号"), f"{f['closed']}（{pct(f['closure_share'])}）"),
        (_("复核（验收）通过 / 不通过"), f"{f['accepted']} / {f['rejected']}（{pct(f['recheck_share'])}）"),
        (_("企业评价"), f"{f['ratings']} 条，平均 {f['rating_avg'] or '—'} 分（满分5分）"),
        (
            _("查实的投诉举报（针对供应商，合同期内）"),
            _("暂无投诉数据来源") if f.get("complaints") is None else f["complaints"],
        ),
    ]


def evaluation_rows(ev) -> list[tuple[str, str, str]]:
    rows = []
    for ind in ev.scheme.indicators.all():
        rows.append((ind.get_group_display(), ind.label, ind.max_points, ev.scores.get(ind.key, "—")))
    return rows


def _render_detail(request, project, status=200, **forms_given):
    return render(
        request, "procurement/project_detail.html", detail_context(request, project, **forms_given), status=status
    )


class ProjectStepView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        project = _project(request, pk)
        if action not in transitions.ACTIONS or action in transitions.FORM_ACTIONS:
            raise PermissionDenied
        if not transitions.relations(request.user, project) & transitions.parties_for(action):
            raise PermissionDenied
        try:
            actions.project_transition(
                actor=request.user, project=project, action=action, note=request.POST.get("note", "")
            )
            messages.success(request, _("已完成：%(a)s") % {"a": transitions.ACTIONS[action]})
        except ValidationError as exc:
            _errors_to_messages(request, exc)
        return redirect(project.get_absolute_url())


class _BuyerFormView(LoginRequiredMixin, View):
    """A form posted from the project page by its buyer; errors show on the page itself."""

    step = ""

    def project(self, request, pk):
        project = _project(request, pk)
        if not transitions.relations(request.user, project) & (
            transitions.SIDE_ACTIONS[self.step][1]
            if self.step in transitions.SIDE_ACTIONS
            else transitions.parties_for(self.step)
        ):
            raise PermissionDenied
        return project


def _add_errors(form, exc):
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errs)
    else:
        form.add_error(None, exc)


class BidAddView(_BuyerFormView):
    step = "bid"

    def post(self, request, pk):
        project = self.project(request, pk)
        form = forms.BidForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                bid = actions.bid_record(
                    actor=request.user,
                    project=project,
                    agency=d["agency"],
                    amount=d["amount"],
                    submitted_on=d["submitted_on"],
                    score=d["score"],
                    note=d["note"],
                )
                messages.success(request, _("已录入报价：%(b)s") % {"b": bid})
                return redirect(project.get_absolute_url() + "#bids")
            except ValidationError as exc:
                _add_errors(form, exc)
        return _render_detail(request, project, status=200, bid_form=form)


class AwardView(_BuyerFormView):
    step = "award"

    def post(self, request, pk):
        project = self.project(request, pk)
        form = forms.AwardForm(request.POST, bids=queries.bids_for(request.user, project))
        if form.is_valid():
            try:
                actions.award(
                    actor=request.user,
                    project=project,
                    bid=form.cleaned_data["bid"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("已确定中标（成交）供应商并生成服务合同"))
                return redirect(project.get_absolute_url())
            except ValidationError as exc:
                _add_errors(form, exc)
        return _render_detail(request, project, status=200, award_form=form)


class PaymentAddView(_BuyerFormView):
    step = "pay"

    def post(self, request, pk):
        project = self.project(request, pk)
        form = forms.PaymentForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.payment_record(
                    actor=request.user,
                    project=project,
                    kind=d["kind"],
                    amount=d["amount"],
                    paid_on=d["paid_on"],
                    note=d["note"],
                )
                messages.success(request, _("已登记支付"))
                return redirect(project.get_absolute_url() + "#payments")
            except ValidationError as exc:
                _add_errors(form, exc)
        return _render_detail(request, project, status=200, pay_form=form)


class EvaluateView(_BuyerFormView):
    step = "evaluate"

    def form(self, project, data=None):
        scheme = actions.active_scheme()
        indicators = list(scheme.indicators.all()) if scheme else []
        figs = performance.figures(project, timezone.localdate())
        suggested = {i.key: actions.suggested_points(i, figs) for i in indicators}
        return forms.EvaluationForm(data, indicators=indicators, suggested=suggested), scheme, figs

    def render_form(self, request, project, form, scheme, figs):
        return render(
            request,
            "procurement/evaluate.html",
            {"project": project, "form": form, "scheme": scheme, "figure_rows": figure_rows(figs)},
        )

    def get(self, request, pk):
        project = self.project(request, pk)
        return self.render_form(request, project, *self.form(project))

    def post(self, request, pk):
        project = self.project(request, pk)
        form, scheme, figs = self.form(project, request.POST)
        if form.is_valid():
            try:
                actions.evaluate(
                    actor=request.user,
                    project=project,
                    scores=form.scores(),
                    accepted=form.cleaned_data["accepted"],
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("已完成验收与绩效评价"))
                return redirect(project.get_absolute_url())
            except ValidationError as exc:
                _add_errors(form, exc)
        return self.render_form(request, project, form, scheme, figs)


# ---------------------------------------------------------------- budget


BUDGET_HEADERS = [
    _l("购买主体"),
    _l("预算年度"),
    _l("项目数"),
    _l("预算（元）"),
    _l("已签合同（元）"),
    _l("已支付（元）"),
    _l("预算余额（元）"),
    _l("待支付（元）"),
]


def _budget_rows(request):
    if not request.user.has_perm("procurement.view_project") or request.user.role not in ("county", "town"):
        raise PermissionDenied
    form = forms.BudgetForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    year = form.cleaned_data.get("year") if form.is_bound else None
    return form, queries.budget_rows(request.user, year)


class BudgetView(LoginRequiredMixin, View):
    def get(self, request):
        form, rows = _budget_rows(request)
        if rows is None:
            return bad_input(request, form)
        chart = {
            "labels": [f"{r['buyer']} {r['year']}" for r in rows[:30]],
            "budget": [float(r["budget"]) for r in rows[:30]],
            "committed": [float(r["committed"]) for r in rows[:30]],
            "paid": [float(r["paid"]) for r in rows[:30]],
        }
        totals = {
            k: sum((r[k] for r in rows), Decimal(0)) for k in ("budget", "committed", "paid", "remaining", "to_pay")
        }
        return render(
            request,
            "procurement/budget.html",
            {
                "form": form,
                "rows": rows,
                "totals": totals,
                "chart": chart,
                "years": queries.budget_years(request.user),
                "export_url": reverse("procurement:budget_export")
                + ("?" + request.GET.urlencode() if request.GET else ""),
            },
        )


class BudgetExportView(LoginRequiredMixin, View):
    def get(self, request):
        form, rows = _budget_rows(request)
        if rows is None:
            return bad_input(request, form)
        title = _("政府购买服务预算执行")
        year = form.cleaned_data.get("year") if form.is_bound else None
        conditions = [(_("预算年度"), str(year))] if year else []
        data = [
            [r["buyer"], r["year"], r["projects"], r["budget"], r["committed"], r["paid"], r["remaining"], r["to_pay"]]
            for r in rows
        ]
        resp = workbook_response(
            title,
            [Sheet(title, [str(h) for h in BUDGET_HEADERS], data, heading_lines(title, conditions))],
            ascii_name="procurement-budget",
        )
        return mark_download(request, resp)


# ---------------------------------------------------------------- public


class PublicView(View):
    """Published key terms of the purchase contracts (no login, no personal data)."""

    def get(self, request):
        rows = list(queries.public_contracts()[:500])
        return render(request, "procurement/public.html", {"rows": rows})
