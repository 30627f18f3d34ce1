"""Pages of the insurance app: the generic object pages of policies, rule tables, plans, the fee
ledger, complaints and claims; the policy import; the 应保未保 list; the regulator's ledger page
(floor, 保而不防); and the insured's file (一企一档) with its .xlsx bundle."""

import tempfile
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core import hooks
from safeserve.core.display import linked_name
from safeserve.core.excel import Sheet, content_disposition, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_image
from safeserve.core.views import Column, ObjectConfig, ObjectEditView, bad_input, mark_download
from safeserve.core.xlsx_import import FileError, RowError, read_rows
from safeserve.hazards.models import IssuedNotice
from safeserve.registry.models import Enterprise
from safeserve.services.models import ChecklistTemplate

from . import actions, chain, filters, forms, queries, rules
from .choices import ComplaintState
from .conf import setting
from .models import (
    Claim,
    Complaint,
    Evaluation,
    Policy,
    PremiumRuleTable,
    PreventionExpense,
    PreventionPlan,
    PreventionVisit,
    PreventionVisitPhoto,
)

STATUS_BADGES = {"active": "success", "cancelled": "secondary"}
COMPLAINT_BADGES = {"open": "warning", "answered": "success"}
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000


def _policy_context(request, policy):
    plan = PreventionPlan.objects.visible_to(request.user).filter(policy=policy).first()
    return {
        "plan": plan,
        "visits": list(queries.policy_visits(policy)[:50]),
        "explanation": policy.rate_explanation,
        "can_plan": plan is None
        and request.user.has_perm("insurance.add_preventionplan")
        and Policy.objects.visible_to(request.user, "change").filter(pk=policy.pk).exists(),
        "file_url": reverse("insurance:insured_file", args=[policy.enterprise_id]),
        "evaluations": list(Evaluation.objects.visible_to(request.user).filter(policy=policy).order_by("-year", "-id")),
        "can_evaluate": request.user.has_perm("insurance.add_evaluation")
        and Policy.objects.visible_to(request.user, "change").filter(pk=policy.pk).exists(),
        "claims": _claims_with_accidents(
            request.user, list(Claim.objects.visible_to(request.user).filter(policy=policy)), [policy.enterprise_id]
        ),
    }


def _claims_with_accidents(user, claims, enterprise_ids) -> list:
    """(claim, the accident on record as ``user`` sees it or None), one provider call for them all."""
    refs = {a.id: a for a in hooks.accidents_of(user, enterprise_ids)} if any(c.accident_id for c in claims) else {}
    return [(c, refs.get(c.accident_id)) for c in claims]


def _claim_context(request, claim):
    return {"accident": claim.accident_for(request.user)}


POLICY = ObjectConfig(
    model=Policy,
    filterset=filters.PolicyFilterSet,
    form=forms.PolicyForm,
    columns=[
        Column("number", sort="number", link=True),
        Column("insurer", sort="insurer__name"),
        Column("enterprise", sort="enterprise__name"),
        Column("start_date", sort="start_date"),
        Column("end_date", sort="end_date"),
        Column("premium_collected", sort="premium_collected"),
        Column("prevention_share", sort="prevention_share"),
        Column("status", sort="status", badge=STATUS_BADGES),
    ],
    detail_fields=list(Policy.FIELDS),
    export_fields=[
        "number",
        "insurer",
        "enterprise",
        "start_date",
        "end_date",
        "premium",
        "premium_collected",
        "limit_per_person",
        "limit_per_accident",
        "employees_covered",
        "prevention_share",
        "status",
        "rate_computed",
        "rate_applied",
        "rate_reason",
        "note",
    ],
    select_related=("insurer", "enterprise"),
    ordering=("-start_date", "-id"),
    detail_template="insurance/policy_detail.html",
    detail_context=_policy_context,
    extra_actions=[("insurance:policy_import", _l("从 Excel 导入"))],
)
RULETABLE = ObjectConfig(
    model=PremiumRuleTable,
    filterset=filters.RuleTableFilterSet,
    form=forms.RuleTableForm,
    columns=[Column("year", sort="year", link=True), Column("note")],
    detail_fields=list(PremiumRuleTable.FIELDS),
    ordering=("-year",),
    detail_template="insurance/ruletable_detail.html",
    detail_context=lambda request, obj: {"factors": _factor_rows(obj.rules)},
    list_context=lambda request: {"list_note": _("未设置年度规则时按默认规则（本地示例）计算。")},
)
PLAN = ObjectConfig(
    model=PreventionPlan,
    filterset=filters.PlanFilterSet,
    form=forms.PlanForm,
    columns=[
        Column("policy", link=True),
        Column("items"),
        Column("visits_per_year", sort="visits_per_year"),
        Column("agency", sort="agency__name"),
        Column("expert"),
        Column("goals"),
    ],
    detail_fields=list(PreventionPlan.FIELDS),
    select_related=("policy", "agency", "expert", "contract"),
    detail_template="insurance/plan_detail.html",
    detail_context=lambda request, plan: {
        "visits": list(queries.policy_visits(plan.policy)[:100]),
        "done": queries.visits_done(plan, timezone.localdate()),
        "expected": queries.visits_expected(plan, timezone.localdate()),
    },
)
EXPENSE = ObjectConfig(
    model=PreventionExpense,
    filterset=filters.ExpenseFilterSet,
    form=forms.ExpenseForm,
    columns=[
        Column("policy", link=True),
        Column("spent_on", sort="spent_on"),
        Column("amount", sort="amount"),
        Column("description"),
    ],
    detail_fields=list(PreventionExpense.FIELDS),
    select_related=("policy",),
    ordering=("-spent_on", "-id"),
)
COMPLAINT = ObjectConfig(
    model=Complaint,
    filterset=filters.ComplaintFilterSet,
    form=forms.ComplaintForm,
    columns=[
        Column("policy", link=True),
        Column("received_on", sort="received_on"),
        Column("complainant"),
        Column("needs_checking"),
        Column("due_on", sort="due_on"),
        Column("extended_to"),
        Column("state", sort="state", badge=COMPLAINT_BADGES),
    ],
    detail_fields=list(Complaint.FIELDS),
    select_related=("policy",),
    ordering=("-received_on", "-id"),
    detail_template="insurance/complaint_detail.html",
    detail_context=lambda request, c: _complaint_context(request, c),
)
CLAIM = ObjectConfig(
    model=Claim,
    filterset=filters.ClaimFilterSet,
    form=forms.ClaimForm,
    columns=[
        Column("policy", link=True),
        Column("occurred_on", sort="occurred_on"),
        Column("reported_on", sort="reported_on"),
        Column("accident_ref"),
        Column("assessed_loss", sort="assessed_loss"),
        Column("paid_amount", sort="paid_amount"),
        Column("closed_on"),
    ],
    detail_fields=[f for f in Claim.FIELDS if f != "accident_id"],
    select_related=("policy",),
    ordering=("-reported_on", "-id"),
    detail_template="insurance/claim_detail.html",
    detail_context=lambda request, c: _claim_context(request, c),
)
EVALUATION = ObjectConfig(
    model=Evaluation,
    filterset=filters.EvaluationFilterSet,
    form=forms.EvaluationForm,
    columns=[
        Column("policy", link=True),
        Column("year", sort="year"),
        Column("evaluated_on", sort="evaluated_on"),
        Column("evaluator"),
        Column("visits_planned"),
        Column("visits_done"),
        Column("conclusion", sort="conclusion"),
    ],
    detail_fields=list(Evaluation.FIELDS),
    select_related=("policy", "written_by"),
    ordering=("-year", "-id"),
)
CONFIGS = {
    "policy": (POLICY, "policies"),
    "premiumruletable": (RULETABLE, "rates"),
    "preventionplan": (PLAN, "plans"),
    "preventionexpense": (EXPENSE, "expenses"),
    "complaint": (COMPLAINT, "complaints"),
    "claim": (CLAIM, "claims"),
    "evaluation": (EVALUATION, "evaluations"),
}


def _factor_rows(stored):
    table = {**rules.DEFAULT_RULES, **(stored or {})}
    return [(code, label, table.get(code), code in (stored or {})) for code, (label, _v) in rules.FACTORS.items()]


def _complaint_context(request, complaint):
    user = request.user
    may = (
        complaint.state == ComplaintState.OPEN
        and user.has_perm("insurance.answer_complaint")
        and Complaint.objects.visible_to(user).filter(pk=complaint.pk).exists()
    )
    return {
        "answer_form": forms.AnswerForm() if may else None,
        "extend_form": forms.ExtendForm() if may and complaint.extended_to is None else None,
        "overdue": complaint.overdue_on(timezone.localdate()),
    }


class PolicyEditView(ObjectEditView):
    def save(self, obj, form):
        data, _m2m = form.action_data()
        if obj is None:
            return actions.policy_create(actor=self.request.user, data=data)
        return actions.policy_update(actor=self.request.user, policy=obj, data=data)


class PlanEditView(ObjectEditView):
    def save(self, obj, form):
        data, m2m = form.action_data()
        return actions.plan_save(actor=self.request.user, plan=obj, data=data, m2m=m2m)


class ComplaintEditView(ObjectEditView):
    def save(self, obj, form):
        data, _m2m = form.action_data()
        if obj is not None:
            raise PermissionDenied
        return actions.complaint_file(actor=self.request.user, data=data)


class ClaimEditView(ObjectEditView):
    def save(self, obj, form):
        data, _m2m = form.action_data()
        return actions.claim_save(actor=self.request.user, claim=obj, data=data)


class EvaluationEditView(ObjectEditView):
    def save(self, obj, form):
        data, _m2m = form.action_data()
        return actions.evaluation_save(actor=self.request.user, evaluation=obj, data=data)


EDIT_VIEWS = {
    "policy": PolicyEditView,
    "preventionplan": PlanEditView,
    "complaint": ComplaintEditView,
    "claim": ClaimEditView,
    "evaluation": EvaluationEditView,
}


# ---------------------------------------------------------------- complaint handling


class ComplaintActView(LoginRequiredMixin, View):
    """The insurer answers a complaint, or extends its deadline once (≤ 30 days, with a reason)."""

    def post(self, request, pk, act):
        if act not in ("answer", "extend"):
            raise Http404
        complaint = get_visible_or_404(Complaint, request.user, pk=pk)
        if not request.user.has_perm("insurance.answer_complaint"):
            raise PermissionDenied
        form = (forms.ExtendForm if act == "extend" else forms.AnswerForm)(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(complaint.get_absolute_url())
        try:
            if act == "extend":
                actions.complaint_extend(
                    actor=request.user,
                    complaint=complaint,
                    days=form.cleaned_data["days"],
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("已延长答复期限"))
            else:
                actions.complaint_answer(actor=request.user, complaint=complaint, answer=form.cleaned_data["answer"])
                messages.success(request, _("已答复"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(complaint.get_absolute_url())


# ---------------------------------------------------------------- import


class PolicyImportView(LoginRequiredMixin, View):
    """Upload, check every row, write all or none (errors list the row and the column)."""

    def check(self, request):
        if not request.user.has_perm("insurance.add_policy") or not request.user.insurer_id:
            raise PermissionDenied

    def get(self, request):
        self.check(request)
        return render(request, "insurance/policy_import.html", {"form": forms.ImportForm(), "headers": actions.HEADERS})

    def post(self, request):
        self.check(request)
        form = forms.ImportForm(request.POST, request.FILES)
        errors = []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                    if tmp.tell() > MAX_BYTES:
                        break
                tmp.flush()
                try:
                    raw = read_rows(tmp.name, actions.COLUMNS, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
                    rows, row_errors = actions.validate_rows(request.user, raw)
                except FileError as exc:
                    rows, row_errors = [], [RowError(None, "", str(exc))]
            errors = [e.display() for e in row_errors]
            if not errors:
                try:
                    result = actions.upsert_policies(actor=request.user, rows=rows, note=_("从 Excel 导入"))
                    messages.success(
                        request,
                        _("已导入：新增 %(c)d 份，更新 %(u)d 份，未变 %(n)d 份")
                        % {"c": len(result.created), "u": len(result.updated), "n": len(result.unchanged)},
                    )
                    return redirect(reverse("insurance:policy_list"))
                except (ValidationError, PermissionDenied) as exc:
                    errors = list(getattr(exc, "messages", [str(exc)]))
        return render(
            request,
            "insurance/policy_import.html",
            {"form": form, "errors": errors, "headers": actions.HEADERS},
            status=400,
        )


class PolicyTemplateView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("insurance.add_policy"):
            raise PermissionDenied
        notes = [
            [_("保险期起、保险期止"), _("格式 2026-01-31")],
            [_("事故预防费用比例（%）"), _("不填为20；不得超过21")],
            [_("状态"), _("有效、已退保（不填为有效）")],
            [_("导入规则"), _("按保单号新增或更新本机构的保单；任何一行有错误时不导入任何记录")],
        ]
        sheets = [Sheet(_("安责险保单"), actions.HEADERS, []), Sheet(_("填写说明"), [_("列"), _("说明")], notes)]
        return workbook_response(_("安责险保单导入模板"), sheets, ascii_name="policy-template")


# ---------------------------------------------------------------- officers' lists


def _on(request):
    form = forms.DateForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    return form, (form.cleaned_data.get("on") if form.is_bound else None) or timezone.localdate()


class UninsuredView(LoginRequiredMixin, View):
    """应保未保: enterprises of a mandatory industry with no valid policy on the chosen date."""

    def get(self, request):
        if not request.user.has_perm("insurance.view_uninsured"):
            raise PermissionDenied
        form, on = _on(request)
        if on is None:
            return bad_input(request, form)
        rows = queries.uninsured(request.user, on)
        if "download" in request.GET:
            title = _("应保未保企业")
            headers = [_("单位名称"), _("统一社会信用代码"), _("镇（街道）"), _("行业")]
            data = ([e.name, e.credit_code, e.town.name, str(e.industry)] for e in rows.iterator())
            sheet = Sheet(title, headers, data, heading_lines(title, period=on.isoformat()))
            return mark_download(request, workbook_response(title, [sheet], ascii_name="uninsured"))
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "insurance/uninsured.html",
            {"form": form, "on": on, "on_text": on.isoformat(), "page": page, "rows": page.object_list},
        )


class LedgerView(LoginRequiredMixin, View):
    """The regulator's page: planned and spent prevention money per insurer and year against the
    floor, and the policies with no prevention visit in the six months up to a date (保而不防)."""

    def get(self, request):
        user = request.user
        if not user.has_perm("insurance.view_ledger"):
            raise PermissionDenied
        form = forms.YearForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return bad_input(request, form)
        today = timezone.localdate()
        d = form.cleaned_data if form.is_bound else {}
        year = d.get("year") or today.year
        on = d.get("on") or today
        ledger = queries.ledger(user, year)
        idle = queries.idle_policies(user, on)
        floor = setting("PREVENTION_FLOOR")
        if "download" in request.GET:
            return mark_download(request, _ledger_workbook(ledger, idle, year, on, floor))
        behind = queries.plans_behind(user, today) if user.role == "insurer" else []
        page = Paginator(idle, 50).get_page(request.GET.get("page"))
        chart = {
            "insurers": [r.insurer.name for r in ledger],
            "planned": [float(r.planned_share or 0) for r in ledger],
            "spent": [float(r.spent_share or 0) for r in ledger],
            "floor": float(floor),
        }
        return render(
            request,
            "insurance/ledger.html",
            {
                "form": form,
                "year": year,
                "on": on,
                "ledger": ledger,
                "floor": floor,
                "page": page,
                "rows": page.object_list,
                "behind": behind,
                "chart": chart,
                "export_query": urlencode({"year": year, "on": on.isoformat()}),
            },
        )


def _ledger_workbook(ledger, idle, year, on, floor):
    title = _("安责险事故预防费用监管")
    headers = [
        _("保险机构"),
        _("保单数"),
        _("实收保费（元）"),
        _("计划预防费用（元）"),
        _("计划占比（%）"),
        _("已支出（元）"),
        _("支出占比（%）"),
        _("低于下限"),
    ]
    rows = (
        [
            r.insurer.name,
            r.policies,
            r.collected,
            r.planned,
            r.planned_share,
            r.spent,
            r.spent_share,
            _("是") if r.under_floor else _("否"),
        ]
        for r in ledger
    )
    idle_rows = (
        [p.number, p.insurer.name, p.enterprise.name, p.enterprise.town.name, p.start_date, p.end_date]
        for p in idle.iterator()
    )
    sheets = [
        Sheet(
            _("费用台账"),
            headers,
            rows,
            heading_lines(f"{title} {year}", period=_("县级下限 %(f)s%%") % {"f": floor}),
        ),
        Sheet(
            _("保而不防"),
            [_("保单号"), _("保险机构"), _("投保企业"), _("镇（街道）"), _("保险期起"), _("保险期止")],
            idle_rows,
            heading_lines(_("保而不防：近6个月无事故预防服务的有效保单"), period=on.isoformat()),
        ),
    ]
    return workbook_response(title, sheets, ascii_name=f"insurance-ledger-{year}")


# ---------------------------------------------------------------- the insured's file


def _file_enterprise(request, pk) -> Enterprise:
    if not request.user.has_perm("insurance.view_policy"):
        raise PermissionDenied
    # Reached through the policies the user may see (an insurer has no access to the register itself).
    enterprise = queries.insured_enterprises(request.user).filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


FILE_TITLE = _l("安责险一企一档")


class Linked(str):
    """A file cell that links on the page (an accident on record); plain text in the .xlsx and the PDF."""

    url = ""

    @classmethod
    def of(cls, text, url):
        cell = cls(text)
        cell.url = url
        return cell


def _file_sections(user, f) -> list[tuple[str, list, list]]:
    yn = {True: _("是"), False: _("否")}
    return [
        (
            _("保单"),
            [
                _("保单号"),
                _("保险机构"),
                _("保险期起"),
                _("保险期止"),
                _("保费（元）"),
                _("实收保费（元）"),
                _("事故预防费用比例（%）"),
                _("计划预防费用（元）"),
                _("浮动费率（%）"),
                _("状态"),
            ],
            [
                [
                    p.number,
                    p.insurer.name,
                    p.start_date,
                    p.end_date,
                    p.premium,
                    p.premium_collected,
                    p.prevention_share,
                    p.prevention_planned,
                    p.rate_applied if p.rate_applied is not None else p.rate_computed,
                    p.get_status_display(),
                ]
                for p in f["policies"]
            ],
        ),
        (
            _("服务计划"),
            [_("保单号"), _("服务项目"), _("每年服务次数"), _("服务机构"), _("服务专家"), _("服务目标")],
            [
                [
                    pl.policy.number,
                    pl.get_items_display(),
                    pl.visits_per_year,
                    str(pl.agency or ""),
                    str(pl.expert or ""),
                    pl.goals,
                ]
                for pl in f["plans"]
            ],
        ),
        (
            _("服务记录"),
            [_("保单号"), _("服务时间"), _("服务机构"), _("发现问题及建议"), _("企业确认")],
            [
                [
                    p.number,
                    timezone.localtime(v.visited_at).strftime("%Y-%m-%d %H:%M"),
                    v.agency.name,
                    v.findings,
                    yn[hasattr(v, "confirmation") and v.confirmation.confirmed_at is not None],
                ]
                for p, v in f["visits"]
            ],
        ),
        (
            _("费用台账"),
            [_("保单号"), _("支出日期"), _("金额（元）"), _("支出事项")],
            [[e.policy.number, e.spent_on, e.amount, e.description] for e in f["expenses"]],
        ),
        (
            _("投诉"),
            [_("保单号"), _("收到日期"), _("投诉人"), _("投诉内容"), _("答复期限"), _("状态"), _("答复内容")],
            [
                [c.policy.number, c.received_on, c.complainant, c.content, c.deadline, c.get_state_display(), c.answer]
                for c in f["complaints"]
            ],
        ),
        (
            _("出险理赔"),
            [
                _("保单号"),
                _("出险日期"),
                _("报案日期"),
                _("事故记录"),
                _("关联事故"),
                _("核定损失（元）"),
                _("已赔付金额（元）"),
                _("赔付日期"),
            ],
            [
                [
                    c.policy.number,
                    c.occurred_on,
                    c.reported_on,
                    Linked.of(accident.label, accident.url) if accident else "",
                    c.accident_ref,
                    c.assessed_loss,
                    c.paid_amount,
                    c.paid_on,
                ]
                for c, accident in _claims_with_accidents(user, f["claims"], [f["enterprise"].pk])
            ],
        ),
        (
            _("年度评估"),
            [
                _("保单号"),
                _("评估年度"),
                _("评估日期"),
                _("评估人"),
                _("计划服务次数"),
                _("实际服务次数"),
                _("本年发现隐患数"),
                _("本年销号隐患数"),
                _("评估结论"),
                _("企业意见"),
                _("备注"),
            ],
            [
                [
                    e.policy.number,
                    e.year,
                    e.evaluated_on,
                    e.evaluator,
                    e.visits_planned,
                    e.visits_done,
                    e.hazards_found,
                    e.hazards_closed,
                    e.get_conclusion_display(),
                    e.enterprise_opinion,
                    e.note,
                ]
                for e in f["evaluations"]
            ],
        ),
    ]


class InsuredFileView(LoginRequiredMixin, View):
    def get(self, request, pk):
        enterprise = _file_enterprise(request, pk)
        f = queries.insured_file(request.user, enterprise)
        return render(
            request,
            "insurance/insured_file.html",
            {
                "enterprise": enterprise,
                "name": linked_name(enterprise, request.user),
                "sections": _file_sections(request.user, f),
                "uninsured": queries.is_uninsured(enterprise, timezone.localdate()),
            },
        )


def _plain(rows):
    return [[str(v) if isinstance(v, Linked) else v for v in row] for row in rows]


class InsuredFileExportView(LoginRequiredMixin, View):
    def get(self, request, pk):
        enterprise = _file_enterprise(request, pk)
        f = queries.insured_file(request.user, enterprise)
        sheets = [
            Sheet(title, headers, _plain(rows), heading_lines(f"{enterprise.name} · {title}"))
            for title, headers, rows in _file_sections(request.user, f)
        ]
        resp = workbook_response(
            f"{FILE_TITLE}-{enterprise.name}", sheets, ascii_name=f"insurance-file-{enterprise.pk}"
        )
        return mark_download(request, resp)


class InsuredFilePdfView(LoginRequiredMixin, View):
    """The same file as a PDF (WeasyPrint, always in Chinese, as the agency file of supervision)."""

    def get(self, request, pk):
        from weasyprint import HTML

        enterprise = _file_enterprise(request, pk)
        f = queries.insured_file(request.user, enterprise)
        with translation.override("zh-hans"):
            html = render_to_string(
                "insurance/insured_file_pdf.html",
                {
                    "enterprise": enterprise,
                    "file_title": str(FILE_TITLE),
                    "sections": _file_sections(request.user, f),
                    "uninsured": queries.is_uninsured(enterprise, timezone.localdate()),
                    "printed": timezone.localtime(),
                    "user": request.user,
                },
            )
            name = str(FILE_TITLE)
        pdf = HTML(string=html).write_pdf()
        resp = HttpResponse(pdf, content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        resp["Content-Disposition"] = content_disposition(
            f"{name}-{enterprise.name}-{stamp}.pdf", f"insurance-file-{enterprise.pk}-{stamp}.pdf"
        )
        return mark_download(request, resp)


__all__ = ["date"]


# ---- appointments (AQ 9010 advance confirmation)

APPOINTMENT_ACTS = ("confirm", "decline", "cancel")  # a reschedule is a new proposal (AppointmentProposeView)


def _appointment_rows(request, rows):
    """Each appointment with its outcome and the steps the current user may take (and only those)."""
    from . import transitions

    today = timezone.localdate()
    out = []
    for a in rows:
        label, badge = queries.appointment_outcome(a, today)
        acts = transitions.available_actions(request.user, a)
        out.append(
            {
                "a": a,
                "outcome": label,
                "badge": badge,
                "acts": [(act, transitions.ACTIONS[act]) for act in acts if act in APPOINTMENT_ACTS],
                "reschedule": "reschedule" in acts,
            }
        )
    return out


def _plan_appointments(request, plan) -> dict:
    from . import transitions

    visits = list(queries.policy_visits(plan.policy)[:100])
    flagged = queries.unconfirmed_visit_ids(v.pk for v in visits)
    return {
        "appointments": _appointment_rows(request, queries.appointments(request.user, plan=plan)[:50]),
        "can_propose": transitions.may_propose(request.user, plan),
        "unconfirmed_visits": [v for v in visits if v.pk in flagged],
    }


_plan_detail_context = PLAN.detail_context
PLAN.detail_context = lambda request, plan: {**_plan_detail_context(request, plan), **_plan_appointments(request, plan)}


def _proposable_plans(user, limit: int = 200) -> list:
    """The plans of policies valid today the user may propose visits for (agency staff and insurers)."""
    if not user.has_perm("insurance.add_appointment"):
        return []
    today = timezone.localdate()
    plans = (
        queries.appointment_plans(user)
        .filter(Policy.valid_on_q(today, "policy__"))
        .select_related("policy", "policy__enterprise")
        .order_by("policy__enterprise__name", "id")[:limit]
    )
    return [(p.pk, f"{p.policy.enterprise.name} · {p.policy.number}") for p in plans]


class AppointmentListView(LoginRequiredMixin, View):
    """The appointments the user may see (``?plan=``, ``?state=``), with the steps it may take; the
    insured's home card links here for those awaiting its confirmation."""

    def get(self, request):
        from . import transitions

        if not request.user.has_perm("insurance.view_appointment"):
            raise PermissionDenied
        form = forms.AppointmentFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            return bad_input(request, form)
        d = form.cleaned_data if form.is_bound else {}
        plan_id, state = d.get("plan"), d.get("state") or ""
        plan = queries.appointment_plans(request.user).filter(pk=plan_id).first() if plan_id else None
        if plan_id and plan is None:
            raise Http404
        rows = queries.appointments(request.user, plan=plan, state=state or None)
        if "download" in request.GET:
            return mark_download(request, _appointment_workbook(rows, form, plan))
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        query = urlencode({k: v for k, v in (("plan", plan_id or ""), ("state", state)) if v})
        return render(
            request,
            "insurance/appointment_list.html",
            {
                "page": page,
                "rows": _appointment_rows(request, page.object_list),
                "plan": plan,
                "state": state,
                "form": form,
                "can_propose": plan is not None and transitions.may_propose(request.user, plan),
                "proposable": _proposable_plans(request.user) if plan is None else [],
                "base_query": f"{query}&" if query else "",
            },
        )


def _appointment_workbook(rows, form, plan):
    title = _("事故预防服务预约")
    today = timezone.localdate()
    conditions = []
    if plan is not None:
        conditions.append((_("服务计划"), str(plan)))
    if form.is_bound and form.cleaned_data.get("state"):
        conditions.append((_("状态"), dict(form.fields["state"].choices)[form.cleaned_data["state"]]))
    headers = [
        _("保单号"),
        _("投保企业"),
        _("预约日期"),
        _("时段"),
        _("服务地点"),
        _("服务人员"),
        _("服务项目"),
        _("状态"),
        _("拒绝或取消理由"),
        _("企业建议日期"),
    ]
    data = (
        [
            a.plan.policy.number,
            a.plan.policy.enterprise.name,
            a.day,
            a.get_half_day_display(),
            a.place,
            "、".join(s.name for s in a.staff.all()),
            a.get_items_display(),
            queries.appointment_outcome(a, today)[0],
            a.reason,
            a.suggested_day,
        ]
        for a in rows
    )
    sheet = Sheet(title, headers, data, heading_lines(title, conditions))
    return workbook_response(title, [sheet], ascii_name="insurance-appointments")


class AppointmentProposeView(LoginRequiredMixin, View):
    """The plan's agency staff (or the insurer) propose a visit; with ``?replaces=<id>`` the same form
    reschedules that appointment (a new proposal replaces it, the history stays)."""

    def setup_objects(self, request, pk):
        from . import transitions
        from .models import Appointment

        plan = queries.appointment_plans(request.user).select_related("policy", "policy__enterprise").filter(pk=pk)
        plan = plan.first()
        if plan is None:
            raise Http404
        replaces = None
        ref = request.GET.get("replaces") or request.POST.get("replaces")
        if ref:
            if not str(ref).isdigit():
                raise Http404
            replaces = get_visible_or_404(Appointment.objects.filter(plan=plan), request.user, pk=ref)
            if not transitions.allowed(request.user, replaces, "reschedule"):
                raise PermissionDenied
        elif not transitions.may_propose(request.user, plan):
            raise PermissionDenied
        return plan, replaces

    def render_form(self, request, plan, replaces, form, status=200):
        return render(
            request,
            "insurance/appointment_form.html",
            {"plan": plan, "replaces": replaces, "form": form},
            status=status,
        )

    def get(self, request, pk):
        plan, replaces = self.setup_objects(request, pk)
        initial = {}
        if replaces is not None:
            initial = {
                "half_day": replaces.half_day,
                "place": replaces.place,
                "items": replaces.items,
                "staff": list(replaces.staff.all()),
                "day": replaces.suggested_day,
            }
        return self.render_form(request, plan, replaces, forms.AppointmentForm(plan=plan, initial=initial))

    def post(self, request, pk):
        plan, replaces = self.setup_objects(request, pk)
        form = forms.AppointmentForm(request.POST, plan=plan)
        if form.is_valid():
            data, staff = form.action_data()
            try:
                if replaces is None:
                    actions.appointment_propose(actor=request.user, plan=plan, data=data, staff=staff)
                    messages.success(request, _("已提出预约，等待企业确认"))
                else:
                    actions.appointment_act(
                        actor=request.user, appointment=replaces, action="reschedule", data=data, staff=staff
                    )
                    messages.success(request, _("已改期，等待企业确认"))
                return redirect(reverse("insurance:appointment_list") + f"?plan={plan.pk}")
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errs in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errs)
                else:
                    form.add_error(None, exc.messages)
        return self.render_form(request, plan, replaces, form, status=400)


class AppointmentActView(LoginRequiredMixin, View):
    """The insured confirms or declines (with a reason); the proposer cancels (with a reason)."""

    def post(self, request, pk, act):
        from .models import Appointment

        if act not in APPOINTMENT_ACTS:
            raise Http404
        appointment = get_visible_or_404(Appointment, request.user, pk=pk)
        if not request.user.has_perm("insurance.change_appointment"):
            raise PermissionDenied
        form = forms.AppointmentActForm(request.POST)
        back = request.POST.get("next", "")
        target = back if back.startswith("/") and not back.startswith("//") else appointment.get_absolute_url()
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(target)
        try:
            actions.appointment_act(
                actor=request.user,
                appointment=appointment,
                action=act,
                reason=form.cleaned_data["reason"],
                suggested_day=form.cleaned_data["suggested_day"],
            )
            messages.success(request, _("已办理"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(target)


class UnconfirmedVisitsView(LoginRequiredMixin, View):
    """未提前确认: prevention visits recorded with no appointment the insured confirmed in advance."""

    def get(self, request):
        if not request.user.has_perm("insurance.view_appointment"):
            raise PermissionDenied
        rows = queries.unconfirmed_visits(request.user)
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        experts = queries.unconfirmed_expert_visits(request.user)
        return render(
            request,
            "insurance/appointment_unconfirmed.html",
            {
                "page": page,
                "rows": page.object_list,
                "base_query": "",
                "expert_rows": list(experts[:EXPERT_ROWS]),
                "expert_count": experts.count(),
                "expert_rows_max": EXPERT_ROWS,
            },
        )


EXPERT_ROWS = 100  # the experts' unconfirmed visits shown beside the agencies' (the rest: the visit list)


def _appointment_sections(user, f) -> list[tuple[str, list, list]]:
    """The insured's file: its appointments, and its visits flagged 未提前确认."""
    enterprise = f["enterprise"]
    today = timezone.localdate()
    plans = [pl.pk for pl in f["plans"]]
    rows = queries.appointments(user).filter(plan_id__in=plans, plan__policy__enterprise=enterprise)
    flagged = queries.unconfirmed_visit_ids(v.pk for _p, v in f["visits"])
    return [
        (
            _("服务预约"),
            [_("保单号"), _("预约日期"), _("时段"), _("服务地点"), _("服务项目"), _("状态"), _("理由")],
            [
                [
                    a.plan.policy.number,
                    a.day,
                    a.get_half_day_display(),
                    a.place,
                    a.get_items_display(),
                    queries.appointment_outcome(a, today)[0],
                    a.reason,
                ]
                for a in rows
            ],
        ),
        (
            _("未提前确认的服务记录"),
            [_("保单号"), _("服务时间"), _("服务机构")],
            [
                [p.number, timezone.localtime(v.visited_at).strftime("%Y-%m-%d %H:%M"), v.agency.name]
                for p, v in f["visits"]
                if v.pk in flagged
            ],
        ),
    ]


_base_file_sections = _file_sections


def _file_sections(user, f) -> list[tuple[str, list, list]]:  # extends the file's sections above
    return _base_file_sections(user, f) + _appointment_sections(user, f)


# ---- expert prevention visits (AQ 9010: a plan served by an expert)

PREVENTION_VISIT = ObjectConfig(
    model=PreventionVisit,
    filterset=filters.PreventionVisitFilterSet,
    form=None,  # recorded through PreventionVisitCreateView (actions.prevention_visit_record), never a generic form
    columns=[
        Column("enterprise", sort="enterprise__name", link=True),
        Column("plan", label=_l("保单号"), sort="plan__policy__number"),
        Column("expert", sort="expert__name"),
        Column("visited_at", sort="visited_at"),
        Column("hazard_count", label=_l("发现隐患数")),
        Column("confirmed_at", sort="confirmed_at"),
    ],
    detail_fields=(
        "plan",
        "enterprise",
        "expert",
        "visited_at",
        "template",
        "findings",
        "latitude",
        "longitude",
        "recorded_by",
        "recorded_at",
        "confirmed_at",
        "confirmed_by",
        "seq",
        "content_hash",
    ),
    rows=lambda user, action: queries.prevention_visits(user, action),
    ordering=("-visited_at", "-id"),
    detail_template="insurance/preventionvisit_detail.html",
    routes={"add": "insurance:preventionvisit_add"},
)


def _prevention_visit_context(request, visit):
    return {
        "results": visit.results.select_related("item"),
        "photos": visit.photos.all(),
        "hazards": list(visit.hazards.order_by("id")),
        "can_confirm": actions.may_confirm_visit(request.user, visit),
        "intact": chain.stored_digest(visit) == visit.content_hash,
        "advance": not queries.unconfirmed_expert_visit_ids([visit.pk]),
        # The notice is the insured's document: its number for everyone who reads the visit, the link
        # only for those who may open it (the insured, its town, the county).
        "notice": visit.notice,
        "notice_open": visit.notice_id is not None
        and IssuedNotice.objects.visible_to(request.user).filter(pk=visit.notice_id).exists(),
    }


PREVENTION_VISIT.detail_context = _prevention_visit_context


class PreventionVisitCreateView(LoginRequiredMixin, View):
    """The expert's phone form (or the insurer's, on the expert's behalf): ``?plan=`` preselects a
    plan, ``?template=`` the checklist whose items the form then lists."""

    def setup_form(self, request, data=None, files=None):
        if not request.user.has_perm("insurance.add_preventionvisit"):
            raise PermissionDenied
        today = timezone.localdate()
        plans = (
            actions.recordable_plans(request.user)
            .filter(Policy.valid_on_q(today, "policy__"))
            .select_related("policy", "policy__enterprise")
            .order_by("policy__enterprise__name", "id")
        )
        source = data if data is not None else request.GET
        ref = source.get("template") or ""
        template = None
        if ref:
            if not str(ref).isdigit():
                raise Http404
            template = ChecklistTemplate.objects.filter(pk=ref).prefetch_related("items").first()
            if template is None:
                raise Http404
        initial = {"plan": request.GET["plan"]} if str(request.GET.get("plan", "")).isdigit() else {}
        return forms.PreventionVisitForm(data, files, plans=plans, template=template, initial=initial)

    def render(self, request, form, status=200):
        return render(request, "insurance/preventionvisit_form.html", {"form": form}, status=status)

    def get(self, request):
        return self.render(request, self.setup_form(request))

    def post(self, request):
        form = self.setup_form(request, request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = actions.prevention_visit_record(
                    actor=request.user,
                    plan=d["plan"],
                    visited_at=d["visited_at"],
                    template=d["template"],
                    results=form.results(),
                    findings=d.get("findings") or "",
                    photos=d.get("photos") or [],
                    latitude=d.get("latitude"),
                    longitude=d.get("longitude"),
                )
                messages.success(request, _("专家服务记录已保存，等待投保企业确认"))
                return redirect(visit.get_absolute_url())
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for name, errs in exc.message_dict.items():
                        form.add_error(name if name in form.fields else None, errs)
                else:
                    form.add_error(None, exc.messages)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return self.render(request, form, status=400)


class PreventionVisitConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk):
        visit = get_visible_or_404(PreventionVisit, request.user, pk=pk)
        try:
            actions.prevention_visit_confirm(actor=request.user, visit=visit)
            messages.success(request, _("已确认专家服务记录"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(visit.get_absolute_url())


class PreventionVisitPhotoView(LoginRequiredMixin, View):
    def get(self, request, pk):
        photo = PreventionVisitPhoto.objects.filter(pk=pk).first()
        get_visible_or_404(PreventionVisit, request.user, pk=photo.visit_id if photo else 0)
        return serve_stored_image(photo.file, name=photo.name)


def _expert_plan_context(request, plan):
    """A plan's detail page: its experts' visits beside the agency's."""
    visits = list(queries.expert_visits(plan.policy)[:100])
    return {
        "expert_visits": visits,
        "expert_unconfirmed": queries.unconfirmed_expert_visit_ids(v.pk for v in visits),
        "can_record": _can_record(request, plan),
    }


def _can_record(request, plan) -> bool:
    return actions.recordable_plans(request.user).filter(pk=plan.pk).exists()


_plan_context_before_experts = PLAN.detail_context
PLAN.detail_context = lambda request, plan: {
    **_plan_context_before_experts(request, plan),
    **_expert_plan_context(request, plan),
}
_policy_context_before_experts = POLICY.detail_context
POLICY.detail_context = lambda request, policy: {
    **_policy_context_before_experts(request, policy),
    "expert_visits": list(queries.expert_visits(policy)[:50]),
}


def _expert_visit_sections(user, f) -> list[tuple[str, list, list]]:
    """The insured's file: the experts' prevention visits (with hazards found and 未提前确认)."""
    yn = {True: _("是"), False: _("否")}
    flagged = queries.unconfirmed_expert_visit_ids(v.pk for _p, v in f["expert_visits"])
    return [
        (
            _("专家服务记录"),
            [
                _("保单号"),
                _("服务时间"),
                _("服务专家"),
                _("发现问题及建议"),
                _("发现隐患数"),
                _("企业确认"),
                _("提前确认预约"),
            ],
            [
                [
                    p.number,
                    timezone.localtime(v.visited_at).strftime("%Y-%m-%d %H:%M"),
                    v.expert.name,
                    v.findings,
                    v.hazard_count,
                    yn[v.confirmed_at is not None],
                    yn[v.pk not in flagged],
                ]
                for p, v in f["expert_visits"]
            ],
        )
    ]


_file_sections_before_experts = _file_sections


def _file_sections(user, f) -> list[tuple[str, list, list]]:  # extends the file's sections again
    sections = _file_sections_before_experts(user, f)
    at = next((i for i, s in enumerate(sections) if s[0] == _("服务记录")), len(sections) - 1) + 1
    return sections[:at] + _expert_visit_sections(user, f) + sections[at:]
