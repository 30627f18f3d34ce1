import hashlib
from datetime import date
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.display import table_cells
from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_image
from safeserve.core.validation import parse_id
from safeserve.core.views import (
    Column,
    ObjectConfig,
    ObjectExportView,
    ObjectListView,
    _apply_validation_error,
    bad_input,
)
from safeserve.registry.models import Enterprise, Town
from safeserve.services.choices import ItemResult
from safeserve.services.models import ServiceVisit

from . import actions, filters, forms, queries, transitions
from .choices import HazardState
from .models import Hazard, HazardExtension, HazardPhoto, IssuedNotice, MajorHazardCriterion, RemediationPlan

CRITERION = ObjectConfig(
    model=MajorHazardCriterion,
    filterset=filters.CriterionFilterSet,
    form=forms.CriterionForm,
    columns=[
        Column("code", sort="code"),
        Column("category", sort="category"),
        Column("sector"),
        Column("article"),
        Column("text", link=True),
        Column("is_active"),
    ],
    detail_fields=MajorHazardCriterion.FIELDS,
    ordering=("code",),
)

STATE_BADGES = {"reported": "warning", "rectifying": "primary", "awaiting": "info", "closed": "success"}


org_name = queries.org_name


def _hazard_list_context(request):
    return {"today": timezone.localdate(), "badges": STATE_BADGES}


# The hazard list and its export on the generic list machinery (core.views: scoped rows, htmx
# filtering, sorting, two-step pagination, export). Rows come from ``queries.hazards_for``.
HAZARD = ObjectConfig(
    model=Hazard,
    filterset=filters.HazardFilterSet,
    form=None,  # reported through HazardCreateView (actions.hazard_report), never a generic form
    columns=[
        Column("reported_at", _l("发现日期"), sort="reported_at"),
        Column("enterprise", _l("企业"), sort="enterprise__name"),
        Column("town", _l("镇（街道）"), sort="town__sort_order"),  # the county's standard order of towns
        Column("location", _l("隐患部位"), link=True),
        Column("level", _l("等级"), sort="level"),
        Column("state", _l("状态"), sort="state", badge=STATE_BADGES),
        Column("deadline", _l("整改期限"), sort="deadline"),
        # 逾期天数: annotated by queries.hazards_for (0 unless overdue), so it sorts in the database.
        Column("overdue_days", _l("逾期天数"), sort="overdue_for"),
    ],
    detail_fields=[],
    export_fields=[
        "reported_at",
        "enterprise",
        "town",
        "location",
        "description",
        "level",
        "criterion",
        "supervised",
        "state",
        "responsible_person",
        "deadline",
        "overdue_days",
        "closed_at",
    ],
    rows=lambda user, action: queries.hazards_for(user, action),
    ordering=("-reported_at", "-id"),
    list_template="hazards/hazard_list.html",
    results_template="hazards/_hazard_table.html",
    list_context=_hazard_list_context,
)


class HazardListView(ObjectListView):
    config = HAZARD


class HazardExportView(ObjectExportView):
    config = HAZARD


def _from_item(visit, item_id) -> dict:
    """Initial values from a checklist item answered 存在问题 on the visit (``?visit=&item=``)."""
    if visit is None or not item_id or not parse_id(item_id):
        return {}
    row = visit.results.select_related("item").filter(item_id=item_id, result=ItemResult.PROBLEM).first()
    if row is None:
        return {}
    text = row.item.text + (f"：{row.note}" if row.note else "")
    return {"location": row.item.category[:200], "description": text}


class HazardCreateView(LoginRequiredMixin, View):
    def _visit(self, request):
        vid = request.POST.get("visit") or request.GET.get("visit")
        if not vid:
            return None
        return get_visible_or_404(ServiceVisit.objects.select_related("enterprise"), request.user, pk=vid)

    def _check(self, request):
        if not request.user.has_perm("hazards.add_hazard"):
            raise PermissionDenied

    def get(self, request):
        self._check(request)
        visit = self._visit(request)
        form = forms.HazardReportForm(
            user=request.user, visit=visit, initial=_from_item(visit, request.GET.get("item"))
        )
        return render(request, "hazards/hazard_form.html", {"form": form, "visit": visit})

    def post(self, request):
        self._check(request)
        visit = self._visit(request)
        form = forms.HazardReportForm(request.POST, request.FILES, user=request.user, visit=visit)
        if form.is_valid():
            d = form.cleaned_data
            try:
                enterprise = queries.report_enterprise(request.user, visit=visit, enterprise=d.get("enterprise"))
                hazard = actions.hazard_report(
                    actor=request.user,
                    enterprise=enterprise,
                    visit=visit,
                    source=d.get("source") or None,
                    level=d["level"],
                    criterion=d.get("criterion"),
                    location=d["location"],
                    description=d["description"],
                    responsible_person=d["responsible_person"],
                    deadline=d.get("deadline"),
                    photos=d["photos"],
                )
                messages.success(request, _("隐患已上报，整改期限 %(d)s") % {"d": hazard.deadline.isoformat()})
                if request.POST.get("next") == "another" and visit is not None:
                    return redirect(reverse("hazards:hazard_add") + f"?visit={visit.pk}")
                return redirect(visit.get_absolute_url() if visit is not None else hazard.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return render(request, "hazards/hazard_form.html", {"form": form, "visit": visit})


class HazardDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        qs = Hazard.objects.select_related(
            "enterprise", "town", "agency", "criterion", "visit", "acceptor_agency", "reported_by"
        )
        hazard = get_visible_or_404(qs, request.user, pk=pk)
        events = list(hazard.events.select_related("actor").prefetch_related("photos"))
        photos = list(hazard.photos.all())
        plan = RemediationPlan.objects.filter(hazard=hazard).first()
        available = transitions.available_actions(request.user, hazard)
        rel = transitions.relations(request.user, hazard)
        return render(
            request,
            "hazards/hazard_detail.html",
            {
                "hazard": hazard,
                "events": events,
                "before": [p for p in photos if p.stage == "before"],
                "after": [p for p in photos if p.stage == "after"],
                "plan": plan,
                "plan_fields": [
                    (RemediationPlan._meta.get_field(n).verbose_name, getattr(plan, n))
                    for n in RemediationPlan.ELEMENTS
                ]
                if plan
                else [],
                "actions": [(a, transitions.ACTIONS[a]) for a in available if a != "plan"],
                "can_plan": "plan" in available,
                "can_evidence": hazard.state == HazardState.RECTIFYING
                and bool(rel & {transitions.ENTERPRISE, transitions.AGENCY}),
                "form": forms.TransitionForm(user=request.user),
                "can_urge": transitions.side_allowed(request.user, hazard, "urge"),
                "urge_form": forms.UrgeForm(),
                "urges": queries.urge_summary(hazard),
                "can_extend": transitions.side_allowed(request.user, hazard, "extend"),
                "extension_form": forms.ExtensionRequestForm(),
                "extensions": [
                    (
                        e,
                        [
                            (d, label)
                            for d, label in transitions.EXTENSION_ACTIONS.items()
                            if transitions.extension_allowed(request.user, e, d, hazard)
                        ],
                    )
                    for e in hazard.extensions.select_related("requested_by", "decided_by")
                ],
                "decision_form": forms.ExtensionDecisionForm(),
                "can_issue": transitions.side_allowed(request.user, hazard, "issue_notice"),
                "issue_kind": queries.issue_kind(request.user, hazard),
                "notices": queries.notices_for(request.user, hazard=hazard),
                "today": timezone.localdate(),
                "badges": STATE_BADGES,
                "labels": dict(HazardState.choices),
                "action_labels": {
                    **transitions.ACTIONS,
                    "report": _("上报隐患"),
                    "evidence": _("上传整改照片"),
                    "urge": _("督办催办"),
                    "notice": _("签发整改文书"),
                    "extension_request": _("申请延期"),
                    "extension_approve": _("批准延期"),
                    "extension_refuse": _("不批准延期"),
                },
            },
        )


class HazardActionView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        form = forms.TransitionForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            # Say why (e.g. which photo was refused and for what), not just that something was wrong.
            messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
            return redirect(hazard.get_absolute_url())
        d = form.cleaned_data
        try:
            if action == "evidence":
                actions.hazard_add_evidence(actor=request.user, hazard=hazard, photos=d["photos"], note=d["note"])
            else:
                actions.hazard_transition(
                    actor=request.user,
                    hazard=hazard,
                    action=action,
                    note=d["note"],
                    photos=d["photos"],
                    acceptor_agency=d.get("acceptor_agency"),
                )
            messages.success(request, _("已完成：%(a)s") % {"a": transitions.ACTIONS.get(action, _("上传整改照片"))})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        return redirect(hazard.get_absolute_url())


class HazardPlanView(LoginRequiredMixin, View):
    def _get(self, request, pk):
        hazard = get_visible_or_404(Hazard.objects.select_related("enterprise"), request.user, pk=pk)
        if not transitions.allowed(request.user, hazard, "plan"):
            raise PermissionDenied
        return hazard, RemediationPlan.objects.filter(hazard=hazard).first()

    def get(self, request, pk):
        hazard, plan = self._get(request, pk)
        return render(
            request,
            "hazards/plan_form.html",
            {"hazard": hazard, "form": forms.PlanForm(instance=plan, user=request.user)},
        )

    def post(self, request, pk):
        hazard, plan = self._get(request, pk)
        form = forms.PlanForm(request.POST, instance=plan, user=request.user)
        if form.is_valid():
            try:
                actions.hazard_save_plan(
                    actor=request.user, hazard=hazard, **{n: form.cleaned_data[n] for n in RemediationPlan.ELEMENTS}
                )
                messages.success(request, _("治理方案已保存"))
                return redirect(hazard.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return render(request, "hazards/plan_form.html", {"hazard": hazard, "form": form})


class HazardPhotoView(LoginRequiredMixin, View):
    def get(self, request, pk):
        photo = HazardPhoto.objects.filter(pk=pk).first()
        if photo is None:
            raise Http404
        get_visible_or_404(Hazard, request.user, pk=photo.hazard_id)
        return serve_stored_image(photo.file, name=photo.name)


def _side_action(request, *, back, run, success, form=None):
    """Run one side action (urge, extension, notice): check its form, call the action, say on the page it
    came from what happened or why not (a Chinese message), and go back there."""
    if form is not None and not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(back.get_absolute_url())
    try:
        result = run(form.cleaned_data if form is not None else None)
        messages.success(request, success(result) if callable(success) else success)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect(back.get_absolute_url())


def _issued(notice):
    return _("已签发《%(t)s》%(n)s") % {"t": notice.get_kind_display(), "n": notice.number}


class HazardNoticeView(LoginRequiredMixin, View):
    """签发整改文书 for one hazard (POST): numbered, dated and stored once; then downloaded as stored."""

    def post(self, request, pk):
        hazard = get_visible_or_404(Hazard.objects.select_related("enterprise"), request.user, pk=pk)
        return _side_action(
            request,
            back=hazard,
            run=lambda _d: actions.hazard_issue_notice(actor=request.user, hazards=[hazard]),
            success=_issued,
        )


class VisitNoticeView(LoginRequiredMixin, View):
    """签发整改文书 for every open hazard found on one service visit (POST, from the visit's hazards panel)."""

    def post(self, request, pk):
        visit = get_visible_or_404(ServiceVisit.objects.select_related("enterprise", "agency"), request.user, pk=pk)
        hazards = list(queries.visit_hazards(request.user, visit).exclude(state=HazardState.CLOSED).order_by("id"))
        if not hazards:
            raise Http404
        return _side_action(
            request,
            back=visit,
            run=lambda _d: actions.hazard_issue_notice(actor=request.user, hazards=hazards, visit=visit),
            success=_issued,
        )


class NoticeDownloadView(LoginRequiredMixin, View):
    """The issued document exactly as stored at issuance (its SHA-256 is in the hazards' history)."""

    def get(self, request, pk):
        notice = get_visible_or_404(IssuedNotice, request.user, pk=pk)
        try:
            with notice.file.open("rb") as f:
                data = f.read()
        except (FileNotFoundError, OSError):
            raise Http404 from None
        if hashlib.sha256(data).hexdigest() != notice.sha256:
            # Changed on disk since it was issued: never serve it as the issued document.
            return HttpResponse(_("文书文件与签发时的校验值不符"), status=500, content_type="text/plain; charset=utf-8")
        resp = HttpResponse(data, content_type="application/pdf")
        filename = f"{notice.get_kind_display()}-{notice.year}-{notice.seq}.pdf"
        resp["Content-Disposition"] = f"inline; filename=\"notice-{notice.pk}.pdf\"; filename*=UTF-8''{quote(filename)}"
        resp["X-Content-SHA256"] = notice.sha256
        resp["X-Content-Type-Options"] = "nosniff"
        return resp


class HazardUrgeView(LoginRequiredMixin, View):
    """督办/催办 (POST): a message to the enterprise and its town office, kept in the history."""

    def post(self, request, pk):
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        return _side_action(
            request,
            back=hazard,
            form=forms.UrgeForm(request.POST),
            run=lambda d: actions.hazard_urge(actor=request.user, hazard=hazard, message=d["message"]),
            success=_("已督办，企业和镇（街道）安监办已收到通知"),
        )


class ExtensionRequestView(LoginRequiredMixin, View):
    """申请延期 (POST): a later deadline with a reason, for an officer to approve or refuse."""

    def post(self, request, pk):
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        return _side_action(
            request,
            back=hazard,
            form=forms.ExtensionRequestForm(request.POST),
            run=lambda d: actions.hazard_request_extension(
                actor=request.user, hazard=hazard, requested_deadline=d["requested_deadline"], reason=d["reason"]
            ),
            success=_("延期申请已提交，等待审批"),
        )


class ExtensionDecisionView(LoginRequiredMixin, View):
    """批准/不批准延期 (POST)."""

    def post(self, request, pk, decision):
        ext = get_visible_or_404(HazardExtension.objects.select_related("hazard"), request.user, pk=pk)
        if decision not in transitions.EXTENSION_ACTIONS:
            raise Http404
        return _side_action(
            request,
            back=ext.hazard,
            form=forms.ExtensionDecisionForm(request.POST),
            run=lambda d: actions.hazard_decide_extension(
                actor=request.user, extension=ext, decision=decision, note=d["note"]
            ),
            success=_("已完成：%(a)s") % {"a": transitions.EXTENSION_ACTIONS[decision]},
        )


def visit_panel(request, visit):
    """The service visit page's panel (core.hooks.VISIT_PANELS): hazards found on the visit, their notice."""
    hazards = list(queries.visit_hazards(request.user, visit))
    open_hazards = [h for h in hazards if h.state != HazardState.CLOSED]
    # Each 存在问题 item of the checklist offers "上报隐患", prefilled from the item.
    problems = [r for r in visit.results.all() if r.result == ItemResult.PROBLEM]
    return {
        "template": "hazards/_visit_panel.html",
        "actions_template": "hazards/_visit_actions.html",
        "context": {
            "visit": visit,
            "hazards": hazards,
            "problems": problems,
            "can_issue": bool(open_hazards)
            and all(transitions.side_allowed(request.user, h, "issue_notice") for h in open_hazards),
            "issue_kind": queries.issue_kind(request.user, open_hazards[0]) if open_hazards else "",
            "notices": queries.notices_for(request.user, visit=visit),
        },
    }


def _year_start():
    today = timezone.localdate()
    return date(today.year, 1, 1), today


class LedgerView(LoginRequiredMixin, View):
    """隐患台账: for an enterprise, a town or the county (whatever the user sees) over a period."""

    def get(self, request):
        if not request.user.has_perm("hazards.view_hazard"):
            raise PermissionDenied
        start, end = _year_start()
        form = forms.PeriodForm(request.GET or {"start": start, "end": end})
        towns = Town.objects.visible_to(request.user)
        if not form.is_valid():
            return render(request, "hazards/ledger.html", {"form": form, "towns": towns}, status=400)
        d = form.cleaned_data
        town = get_visible_or_404(Town, request.user, pk=d["town"]) if d.get("town") else None
        enterprise = get_visible_or_404(Enterprise, request.user, pk=d["enterprise"]) if d.get("enterprise") else None
        if "download" not in request.GET:
            return render(request, "hazards/ledger.html", {"form": form, "towns": towns})
        headers, rows = queries.ledger_rows(
            request.user, start=d["start"], end=d["end"], town=town, enterprise=enterprise
        )
        scope = enterprise.name if enterprise else town.name if town else org_name(request.user) or _("全县")
        title = _("隐患台账")
        conditions = [(str(_("镇（街道）")), town.name)] if town else []
        conditions += [(str(_("企业")), enterprise.name)] if enterprise else []
        period = f"{d['start']:%Y-%m-%d} 至 {d['end']:%Y-%m-%d}"
        heading = heading_lines(f"{title}（{scope}）", conditions, period)
        return workbook_response(
            f"{title}-{scope}-{d['start']:%Y%m%d}-{d['end']:%Y%m%d}",
            [Sheet(f"{title}-{scope}", headers, rows, heading)],
            ascii_name=f"hazard-ledger-{d['start']:%Y%m%d}-{d['end']:%Y%m%d}",
        )


class StatisticsView(LoginRequiredMixin, View):
    """Quarterly statistics (found, rectified, overdue; 一般 and 重大) per town or per enterprise."""

    def get(self, request):
        if not request.user.has_perm("hazards.view_hazard"):
            raise PermissionDenied
        today = timezone.localdate()
        form = forms.StatisticsForm({"year": today.year, "quarter": (today.month - 1) // 3 + 1, **request.GET.dict()})
        if not form.is_valid():
            return bad_input(request, form)
        year, quarter = form.cleaned_data["year"], form.cleaned_data["quarter"]
        by = form.cleaned_data["by"] or queries.statistics_grouping(request.user)
        stats = queries.quarterly_statistics(request.user, year, quarter, by=by)
        if "download" in request.GET:
            title = f"{year}年第{quarter}季度隐患统计"
            heading = heading_lines(title, period=f"{year}年第{quarter}季度")
            return workbook_response(
                title,
                [Sheet(title, stats["headers"], [*stats["rows"], stats["totals"]], heading)],
                ascii_name=f"hazard-statistics-{year}Q{quarter}",
            )
        return render(
            request,
            "hazards/statistics.html",
            {
                "stats": stats,
                "shown": stats["rows"][:500],  # the county by enterprise is 20,000 rows: the export has them all
                "body": table_cells(stats["rows"][:500]),
                "year": year,
                "quarter": quarter,
                "by": by,
                "years": range(today.year - 4, today.year + 1),
            },
        )
