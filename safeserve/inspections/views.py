from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_document
from safeserve.core.views import Column, ObjectConfig, _apply_validation_error, bad_input

from . import actions, documents, filters, forms, planning, queries
from .choices import TargetStatus
from .models import FrequencyRule, Inspection, InspectionPlan, OfficerConflict, PlanTarget, TargetDraw


def _plan_context(request, plan):
    targets = PlanTarget.objects.visible_to(request.user).filter(plan=plan).select_related("enterprise")
    by_month = {}
    for t in targets.exclude(status=TargetStatus.VOID).order_by("month", "enterprise__name", "pk"):
        by_month.setdefault(t.month, []).append(t)
    since = timezone.localdate(plan.committed_at) if plan.committed_at else None
    plan_months = planning.plan_months(plan, since)
    per_month = Decimal(plan.capacity) / len(plan_months) if plan_months else Decimal(0)
    load = [
        {
            "month": m,
            "count": len(by_month.get(m, [])),
            "days": len(by_month.get(m, [])) * plan.days_per_inspection,
            "capacity": per_month.quantize(Decimal("0.1")),
            "over": len(by_month.get(m, [])) * plan.days_per_inspection > per_month,
        }
        for m in plan_months
    ]
    return {
        "plan": plan,
        "load": load,
        "months": sorted(by_month.items()),
        "target_draws": TargetDraw.objects.visible_to(request.user).filter(plan=plan).select_related("draw"),
        "is_county": request.user.role == "county",
        "freeze_form": forms.DrawFreezeForm(
            initial={"month": timezone.localdate().month, "places": max(1, plan.random_slots // 12)}
        ),
    }


PLAN = ObjectConfig(
    model=InspectionPlan,
    filterset=filters.PlanFilterSet,
    form=forms.PlanForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("year", sort="year"),
        Column("town"),
        Column("officers"),
        Column("status", sort="status"),
    ],
    detail_fields=[*InspectionPlan.FIELDS, "status", "committed_at"],
    select_related=("town",),
    ordering=("-year", "id"),
    detail_template="inspections/plan_detail.html",
    detail_context=_plan_context,
)


def _rule_context(request):
    return {"cap_warnings": planning.rule_warnings()}


RULE = ObjectConfig(
    model=FrequencyRule,
    filterset=filters.RuleFilterSet,
    form=forms.RuleForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("kind", sort="kind"),
        Column("match"),
        Column("per_year", sort="per_year"),
        Column("is_active"),
    ],
    detail_fields=list(FrequencyRule.FIELDS),
    ordering=("kind", "match", "id"),
    list_template="inspections/rule_list.html",
    list_context=_rule_context,
)

CONFLICT = ObjectConfig(
    model=OfficerConflict,
    filterset=filters.ConflictFilterSet,
    form=forms.ConflictForm,
    columns=[
        Column("reason", link=True),
        Column("officer"),
        Column("enterprise", sort="enterprise__name"),
        Column("declared_on", sort="declared_on"),
        Column("is_active"),
    ],
    detail_fields=list(OfficerConflict.FIELDS),
    select_related=("officer", "enterprise"),
    ordering=("-declared_on", "-id"),
)


def _inspection_context(request, obj):
    user = request.user
    return {
        "publish_due": queries.publish_due(obj),
        "can_confirm": user.role == "enterprise" and obj.enterprise_id == user.enterprise_id and not obj.confirmed_at,
        "can_publish": not obj.published_at
        and Inspection.objects.visible_to(user, "publish").filter(pk=obj.pk).exists(),
        "confirm_form": forms.ConfirmForm(),
    }


INSPECTION = ObjectConfig(
    model=Inspection,
    filterset=filters.InspectionFilterSet,
    form=None,
    columns=[
        Column("enterprise", sort="enterprise__name", link=True),
        Column("inspected_on", sort="inspected_on"),
        Column("kind", sort="kind"),
        Column("result", sort="result"),
        Column("officer_1"),
        Column("officer_2"),
        Column("confirmed_at"),
        Column("published_at"),
    ],
    detail_fields=list(Inspection.FIELDS),
    select_related=("enterprise", "officer_1", "officer_2"),
    ordering=("-inspected_on", "-id"),
    detail_template="inspections/inspection_detail.html",
    detail_context=_inspection_context,
)

CONFIGS = {
    "inspectionplan": (PLAN, "plans"),
    "frequencyrule": (RULE, "rules"),
    "officerconflict": (CONFLICT, "conflicts"),
}


def _errors(request, exc):
    messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))


def _county_only(request):
    if request.user.role != "county" or not request.user.has_perm("inspections.add_targetdraw"):
        raise PermissionDenied


class PlanPreviewView(LoginRequiredMixin, View):
    """The plan before it is written: mandatory list with reasons, random slots, per-month load."""

    def get(self, request, pk):
        _county_only(request)
        plan = get_visible_or_404(InspectionPlan, request.user, "change", pk=pk)
        return render(request, "inspections/plan_preview.html", {"plan": plan, "pv": planning.preview(plan)})

    def post(self, request, pk):
        _county_only(request)
        plan = get_visible_or_404(InspectionPlan, request.user, "change", pk=pk)
        try:
            n = actions.plan_commit(actor=request.user, plan=plan)
            messages.success(request, _("计划已生成：重点检查 %(n)s 次。") % {"n": n})
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect(plan.get_absolute_url())


class PlanDrawView(LoginRequiredMixin, View):
    """Freeze a target draw: the pool's SHA-256 is shown before any value exists."""

    def post(self, request, pk):
        _county_only(request)
        plan = get_visible_or_404(InspectionPlan, request.user, "change", pk=pk)
        form = forms.DrawFreezeForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(plan.get_absolute_url())
        try:
            td = actions.targets_freeze(actor=request.user, plan=plan, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
            return redirect(plan.get_absolute_url())
        messages.success(request, _("候选名单已冻结，请公布名单哈希后录入随机值。"))
        return redirect("inspections:targetdraw_detail", td.pk)


class TargetDrawView(LoginRequiredMixin, View):
    def get(self, request, pk):
        td = get_visible_or_404(TargetDraw.objects.select_related("draw", "plan"), request.user, pk=pk)
        targets = (
            PlanTarget.objects.visible_to(request.user)
            .filter(target_draw=td)
            .select_related("enterprise", "officer_1", "officer_2", "inspector_draw")
            .order_by("pk")
        )
        return render(
            request,
            "inspections/targetdraw_detail.html",
            {
                "td": td,
                "draw": td.draw,
                "targets": targets,
                "is_county": request.user.role == "county",
                "value_form": forms.DrawValueForm(),
                "redraw_form": forms.RedrawForm(),
                "exclusions": td.draw.exclusions,
            },
        )


class TargetDrawValueView(LoginRequiredMixin, View):
    def post(self, request, pk):
        _county_only(request)
        td = get_visible_or_404(TargetDraw.objects.select_related("draw", "plan"), request.user, pk=pk)
        form = forms.DrawValueForm(request.POST)
        if form.is_valid():
            try:
                d = form.cleaned_data
                actions.targets_enter_value(
                    actor=request.user, target_draw=td, source=d["source"], value=d["value"], note=d["note"]
                )
                messages.success(request, _("已抽取。"))
            except (ValidationError, PermissionDenied) as exc:
                _errors(request, exc)
        else:
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("inspections:targetdraw_detail", td.pk)


class TargetDrawInspectorsView(LoginRequiredMixin, View):
    """Freeze (and with the server's CSPRNG, draw at once) the two inspectors of every drawn target;
    with a lottery or joint value, enter it for the inspector draws frozen earlier."""

    def post(self, request, pk):
        _county_only(request)
        td = get_visible_or_404(TargetDraw.objects.select_related("draw", "plan"), request.user, pk=pk)
        source = request.POST.get("source", "")
        value = request.POST.get("value", "")
        if source and source != "server" and not value.strip():
            messages.error(request, _("请录入随机值（如彩票开奖号码）。"))
            return redirect("inspections:targetdraw_detail", td.pk)
        try:
            n = actions.inspectors_batch(actor=request.user, target_draw=td, source=source, value=value)
            messages.success(request, _("检查人员抽取：已抽定 %(n)s 个对象。") % {"n": n})
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect("inspections:targetdraw_detail", td.pk)


class TargetDrawRedrawView(LoginRequiredMixin, View):
    def post(self, request, pk):
        _county_only(request)
        td = get_visible_or_404(TargetDraw.objects.select_related("draw", "plan"), request.user, pk=pk)
        form = forms.RedrawForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("重新抽取须写明理由。"))
            return redirect("inspections:targetdraw_detail", td.pk)
        try:
            new = actions.targets_freeze(
                actor=request.user,
                plan=td.plan,
                month=td.month,
                places=td.draw.places,
                reserves=td.draw.reserves,
                supersedes=td,
                reason=form.cleaned_data["reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
            return redirect("inspections:targetdraw_detail", td.pk)
        return redirect("inspections:targetdraw_detail", new.pk)


class TargetRedrawInspectorsView(LoginRequiredMixin, View):
    def post(self, request, pk):
        _county_only(request)
        target = get_visible_or_404(PlanTarget, request.user, pk=pk)
        form = forms.RedrawForm(request.POST)
        back = (
            reverse("inspections:targetdraw_detail", args=[target.target_draw_id])
            if target.target_draw_id
            else target.plan.get_absolute_url()
        )
        if not form.is_valid() and target.inspector_draw_id:
            messages.error(request, _("重新抽取须写明理由。"))
            return redirect(back)
        try:
            actions.inspectors_freeze(actor=request.user, target=target, reason=form.data.get("reason", ""))
            messages.success(request, _("检查人员名单已冻结，请录入随机值。"))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect(back)


def _findings(formset):
    out = []
    for f in formset.forms:
        if f.has_changed() and f.cleaned_data:
            out.append(f.cleaned_data)
    return out


class RecordView(LoginRequiredMixin, View):
    """监督检查记录: from a planned target (计划/双随机) or, without one, a 专项 or 个案 inspection."""

    def target(self, request, pk):
        if pk is None:
            return None
        return get_visible_or_404(
            PlanTarget.objects.select_related("enterprise", "officer_1", "officer_2"), request.user, pk=pk
        )

    def check(self, request):
        if not request.user.has_perm("inspections.add_inspection"):
            raise PermissionDenied

    def render_form(self, request, target, form, formset):
        return render(request, "inspections/record_form.html", {"target": target, "form": form, "formset": formset})

    def get(self, request, pk=None):
        self.check(request)
        target = self.target(request, pk)
        form = forms.InspectionForm(user=request.user, target=target)
        return self.render_form(request, target, form, forms.FindingFormSet(prefix="f"))

    def post(self, request, pk=None):
        self.check(request)
        target = self.target(request, pk)
        form = forms.InspectionForm(request.POST, request.FILES, user=request.user, target=target)
        formset = forms.FindingFormSet(request.POST, prefix="f")
        if form.is_valid() and formset.is_valid():
            d = dict(form.cleaned_data)
            enterprise = target.enterprise if target is not None else d.pop("enterprise")
            try:
                inspection = actions.inspection_record(
                    actor=request.user,
                    enterprise=enterprise,
                    plan_target=target,
                    support_file=d.pop("support_file", None),
                    findings=_findings(formset),
                    **d,
                )
                messages.success(request, _("检查记录已保存，发现的隐患已登记。"))
                return redirect(inspection.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or _("您没有该操作的权限"))
        return self.render_form(request, target, form, formset)


class InspectionConfirmView(LoginRequiredMixin, View):
    def post(self, request, pk):
        inspection = get_visible_or_404(Inspection, request.user, pk=pk)
        form = forms.ConfirmForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(_("企业意见不能超过300字。"))
            actions.inspection_confirm(actor=request.user, inspection=inspection, note=form.cleaned_data["note"])
            messages.success(request, _("已确认检查记录。"))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect(inspection.get_absolute_url())


class InspectionPublishView(LoginRequiredMixin, View):
    def post(self, request, pk):
        inspection = get_visible_or_404(Inspection, request.user, pk=pk)
        try:
            actions.inspection_publish(actor=request.user, inspection=inspection)
            messages.success(request, _("检查结果已公示。"))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect(inspection.get_absolute_url())


class InspectionPdfView(LoginRequiredMixin, View):
    def get(self, request, pk):
        inspection = get_visible_or_404(
            Inspection.objects.select_related("enterprise", "officer_1", "officer_2"), request.user, pk=pk
        )
        pdf = documents.render_record_pdf(inspection)
        resp = HttpResponse(pdf, content_type="application/pdf")
        resp["Content-Disposition"] = f'attachment; filename="inspection-{inspection.pk}.pdf"'
        return resp


class InspectionSupportView(LoginRequiredMixin, View):
    def get(self, request, pk):
        inspection = get_visible_or_404(Inspection, request.user, pk=pk)
        return serve_stored_document(inspection.support_file, name=f"support-{inspection.pk}")


class TasksView(LoginRequiredMixin, View):
    """我的检查任务: what the draw gave me this month (and anything left from earlier months)."""

    def get(self, request):
        if not request.user.has_perm("inspections.add_inspection"):
            raise PermissionDenied
        return render(request, "inspections/tasks.html", {"tasks": queries.my_tasks(request.user)})


class ProgressView(LoginRequiredMixin, View):
    """Planned vs done by month and by town (a town officer sees its own town)."""

    def get(self, request):
        if not request.user.has_perm("inspections.view_plantarget"):
            raise PermissionDenied
        form = forms.YearForm(request.GET or {"year": timezone.localdate().year})
        if not form.is_valid():
            return bad_input(request, form)
        year = form.cleaned_data["year"]
        data = queries.progress(request.user, year)
        return render(request, "inspections/progress.html", {"year": year, "data": data})


class PublicView(View):
    """一公开 (no login, phone-friendly): draw announcements and published results, no personal data."""

    def get(self, request):
        return render(
            request,
            "inspections/public.html",
            {"draws": queries.public_draws(), "results": queries.public_results()},
        )
