from datetime import date

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

from . import actions, documents, filters, forms, queries, transitions
from .choices import HazardState
from .models import Hazard, HazardPhoto, MajorHazardCriterion, RemediationPlan

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


def org_name(user) -> str:
    if user.role == "county":
        return _("县应急管理局")
    for link in ("town", "agency", "enterprise"):
        obj = getattr(user, link, None)
        if obj is not None and user.role == link:
            return obj.name + (_("安监办") if link == "town" else "")
    return ""


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
        Column("town", _l("镇(街道)"), sort="town__sort_order"),  # the county's standard order of towns
        Column("location", _l("隐患部位"), link=True),
        Column("level", _l("等级"), sort="level"),
        Column("state", _l("状态"), sort="state", badge=STATE_BADGES),
        Column("deadline", _l("整改期限"), sort="deadline"),
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
            if visit is not None:
                enterprise = visit.enterprise
            elif request.user.role == "enterprise":
                enterprise = Enterprise.objects.get(pk=request.user.enterprise_id)
            else:
                enterprise = d["enterprise"]
            try:
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
                messages.success(request, _("隐患已上报,整改期限 %(d)s") % {"d": hazard.deadline.isoformat()})
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
                "today": timezone.localdate(),
                "badges": STATE_BADGES,
                "labels": dict(HazardState.choices),
                "action_labels": {**transitions.ACTIONS, "report": _("上报隐患"), "evidence": _("上传整改照片")},
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
            messages.success(request, _("已完成:%(a)s") % {"a": transitions.ACTIONS.get(action, _("上传整改照片"))})
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


class HazardNoticeView(LoginRequiredMixin, View):
    def get(self, request, pk):
        hazard = get_visible_or_404(Hazard.objects.select_related("enterprise", "criterion"), request.user, pk=pk)
        pdf = documents.rectification_notice_pdf(
            enterprise=hazard.enterprise, hazards=[hazard], issuer=str(request.user), issuer_org=org_name(request.user)
        )
        resp = HttpResponse(pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'inline; filename="notice-hazard-{hazard.pk}.pdf"'
        return resp


class VisitNoticeView(LoginRequiredMixin, View):
    """隐患整改通知书 for every hazard found on one service visit (linked from the visit's hazards panel)."""

    def get(self, request, pk):
        visit = get_visible_or_404(ServiceVisit.objects.select_related("enterprise", "agency"), request.user, pk=pk)
        hazards = queries.visit_hazards(request.user, visit).order_by("id")
        if not hazards:
            raise Http404
        pdf = documents.rectification_notice_pdf(
            enterprise=visit.enterprise,
            hazards=hazards,
            issuer=str(request.user),
            issuer_org=visit.agency.name,
            visit=visit,
        )
        resp = HttpResponse(pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'inline; filename="notice-visit-{visit.pk}.pdf"'
        return resp


def visit_panel(request, visit):
    """The service visit page's panel (core.hooks.VISIT_PANELS): hazards found on the visit, their notice."""
    hazards = queries.visit_hazards(request.user, visit)
    # Each 存在问题 item of the checklist offers "上报隐患", prefilled from the item.
    problems = [r for r in visit.results.all() if r.result == ItemResult.PROBLEM]
    return {
        "template": "hazards/_visit_panel.html",
        "actions_template": "hazards/_visit_actions.html",
        "context": {"visit": visit, "hazards": hazards, "problems": problems},
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
        conditions = [(str(_("镇(街道)")), town.name)] if town else []
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
        by = form.cleaned_data["by"] or ("town" if request.user.role in ("county",) else "enterprise")
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
                "year": year,
                "quarter": quarter,
                "by": by,
                "years": range(today.year - 4, today.year + 1),
            },
        )
