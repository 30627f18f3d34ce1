"""Pages of the supervision app: practice notices (generic object views), sampling rounds and
re-checks, misconduct proposals, and the agency file with its .xlsx and PDF bundles."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core import hooks
from safeserve.core.excel import Sheet, content_disposition, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_image
from safeserve.core.views import Column, ObjectConfig, _apply_validation_error, mark_download

from . import actions, filters, forms, queries
from .choices import MISCONDUCT_OUTCOMES, NoticeStatus
from .models import PracticeNotice, ReCheck, ReCheckPhoto, SampledItem, SamplingDraw, SamplingRound

NOTICE_BADGES = {"filed": "warning", "recorded": "success", "returned": "danger"}


def _notice_context(request, notice):
    user = request.user
    return {
        "can_decide": notice.status == NoticeStatus.FILED and user.has_perm("supervision.record_practicenotice"),
        "file_url": reverse("supervision:agency_file", args=[notice.agency_id])
        if queries.file_agencies(user).filter(pk=notice.agency_id).exists()
        else "",
    }


NOTICE = ObjectConfig(
    model=PracticeNotice,
    filterset=filters.NoticeFilterSet,
    form=forms.NoticeForm,
    columns=[
        Column("agency", sort="agency__name", link=True),
        Column("start_date", sort="start_date"),
        Column("end_date", sort="end_date"),
        Column("services"),
        Column("towns"),
        Column("status", sort="status", badge=NOTICE_BADGES),
        Column("note"),
    ],
    detail_fields=list(PracticeNotice.FIELDS),
    export_fields=["agency", "services", "towns", "enterprises", "start_date", "end_date", "status", "note"],
    select_related=("agency",),
    ordering=("-start_date", "-id"),
    detail_template="supervision/notice_detail.html",
    detail_context=_notice_context,
)
CONFIGS = {"practicenotice": (NOTICE, "notices")}


class NoticeDecideView(LoginRequiredMixin, View):
    """The county records (登记) or returns a filed notice."""

    def post(self, request, pk):
        notice = get_visible_or_404(PracticeNotice, request.user, pk=pk)
        if not request.user.has_perm("supervision.record_practicenotice"):
            raise PermissionDenied
        try:
            actions.notice_decide(
                actor=request.user,
                notice=notice,
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("执业告知已处理"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(notice.get_absolute_url())


def visit_panel(request, visit):
    """The service visit page's panel (core.hooks.VISIT_PANELS): a visit made without a valid
    practice notice (执业告知) on its day is flagged."""
    return {
        "template": "supervision/_visit_panel.html",
        "actions_template": "supervision/_visit_badge.html",
        "context": {"visit": visit, "has_notice": queries.visit_has_notice(visit)},
    }


# ---------------------------------------------------------------- sampling


class RoundListView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("supervision.view_samplinground"):
            raise PermissionDenied
        rounds = SamplingRound.objects.visible_to(request.user)
        if "download" in request.GET:
            title = _("服务抽查")
            headers = [_("批次"), _("抽查比例"), _("状态")]
            rows = ([str(r), r.share, r.get_status_display()] for r in rounds)
            sheet = Sheet(title, headers, rows, heading_lines(title))
            return mark_download(request, workbook_response(title, [sheet], ascii_name="sampling-rounds"))
        return render(
            request,
            "supervision/round_list.html",
            {
                "rounds": rounds,
                "export_url": "?download=1",
                "can_add": request.user.has_perm("supervision.add_samplinground"),
            },
        )


class RoundCreateView(LoginRequiredMixin, View):
    def _check(self, request):
        if not request.user.has_perm("supervision.add_samplinground"):
            raise PermissionDenied

    def get(self, request):
        self._check(request)
        today = timezone.localdate()
        form = forms.RoundForm(initial={"year": today.year, "half": 1 if today.month > 6 else 2})
        if today.month <= 6:
            form.initial["year"] = today.year - 1
        return render(request, "supervision/round_form.html", {"form": form})

    def post(self, request):
        self._check(request)
        form = forms.RoundForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                rnd = actions.round_create(
                    actor=request.user, year=d["year"], half=d["half"], share=d["share"], note=d["note"]
                )
                messages.success(request, _("候选名单已冻结，请录入随机值完成抽取"))
                return redirect(rnd.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return render(request, "supervision/round_form.html", {"form": form}, status=400)


class RoundDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        rnd = get_visible_or_404(SamplingRound, request.user, pk=pk)
        return render(request, "supervision/round_detail.html", round_context(request, rnd))


def round_context(request, rnd, draw_form=None):
    user = request.user
    items = (
        SampledItem.objects.visible_to(user)
        .filter(round=rnd)
        .select_related("agency", "visit__enterprise", "recheck")
        .order_by("agency__name", "rank")
    )
    agency_draws = SamplingDraw.objects.visible_to(user).filter(round=rnd).select_related("agency", "draw")
    can_draw = user.has_perm("supervision.add_samplinground") and rnd.status == "frozen"
    return {
        "round": rnd,
        "items": items,
        "draws": agency_draws,
        "can_draw": can_draw,
        "draw_form": draw_form or (forms.DrawValueForm() if can_draw else None),
    }


class RoundDrawView(LoginRequiredMixin, View):
    def post(self, request, pk):
        rnd = get_visible_or_404(SamplingRound, request.user, pk=pk)
        if not request.user.has_perm("supervision.add_samplinground"):
            raise PermissionDenied
        form = forms.DrawValueForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.round_draw(actor=request.user, round=rnd, source=d["source"], value=d["value"], note=d["note"])
                messages.success(request, _("已抽取"))
                return redirect(rnd.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return render(request, "supervision/round_detail.html", round_context(request, rnd, form), status=400)


def _item_context(request, item, form=None, propose_form=None):
    user = request.user
    recheck = ReCheck.objects.visible_to(user).filter(item=item).prefetch_related("photos").first()
    can_recheck = recheck is None and actions.may_recheck(user, item)
    can_propose = recheck is not None and actions.may_propose(user, recheck)
    misconduct = getattr(recheck, "misconduct", None) if recheck else None
    if misconduct is not None and not type(misconduct).objects.visible_to(user).filter(pk=misconduct.pk).exists():
        misconduct = None
    can_assign = recheck is None and SampledItem.objects.visible_to(user, "change").filter(pk=item.pk).exists()
    return {
        "item": item,
        "misconduct_listings": hooks.listings_of_source(user, misconduct.source_key) if misconduct else [],
        "visit": item.visit,
        "assign_form": forms.AssignExpertForm(user=user, initial={"expert": item.expert_id}) if can_assign else None,
        "recheck": recheck,
        "form": form
        or (
            forms.RecheckForm(
                user=user,
                initial={
                    "checked_on": timezone.localdate(),
                    "checker_name": user.get_full_name() or user.username,
                    **({"checker_kind": "expert", "expert": user.expert_id} if user.role == "expert" else {}),
                },
            )
            if can_recheck
            else None
        ),
        "propose_form": propose_form
        or (
            forms.ProposeForm(
                user=user,
                agency_id=item.agency_id,
                initial={"staff": list(item.visit.staff.values_list("pk", flat=True))},
            )
            if can_propose
            else None
        ),
        "misconduct": misconduct,
        "misconduct_outcome": recheck is not None and recheck.outcome in MISCONDUCT_OUTCOMES,
    }


class ItemDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        qs = SampledItem.objects.select_related("round", "agency", "visit__enterprise", "visit__contract", "expert")
        item = get_visible_or_404(qs, request.user, pk=pk)
        return render(request, "supervision/item_detail.html", _item_context(request, item))


class RecheckView(LoginRequiredMixin, View):
    def post(self, request, pk):
        item = get_visible_or_404(SampledItem, request.user, pk=pk)
        if not actions.may_recheck(request.user, item):
            raise PermissionDenied
        form = forms.RecheckForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                actions.recheck_record(
                    actor=request.user,
                    item=item,
                    checked_on=d["checked_on"],
                    checker_kind=d["checker_kind"],
                    checker_name=d["checker_name"],
                    expert=d["expert"],
                    outcome=d["outcome"],
                    findings=d["findings"],
                    photos=d["photos"],
                )
                messages.success(request, _("复核已录入"))
                return redirect(item.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return render(request, "supervision/item_detail.html", _item_context(request, item, form=form), status=400)


class AssignExpertView(LoginRequiredMixin, View):
    """The county assigns the expert who re-checks a sampled visit (the expert then records it)."""

    def post(self, request, pk):
        item = get_visible_or_404(SampledItem, request.user, pk=pk)
        if not request.user.has_perm("supervision.change_sampleditem"):
            raise PermissionDenied
        form = forms.AssignExpertForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                actions.item_assign_expert(actor=request.user, item=item, expert=form.cleaned_data["expert"])
                messages.success(request, _("已指派复核专家"))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
        else:
            messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(item.get_absolute_url())


class ProposeView(LoginRequiredMixin, View):
    """提议列入严重失信名单: a MisconductFinding for the credit app."""

    def post(self, request, pk):
        item = get_visible_or_404(SampledItem, request.user, pk=pk)
        recheck = ReCheck.objects.visible_to(request.user).filter(item=item).first()
        if recheck is None or not actions.may_propose(request.user, recheck):
            raise PermissionDenied
        form = forms.ProposeForm(request.POST, user=request.user, agency_id=item.agency_id)
        if form.is_valid():
            try:
                actions.misconduct_propose(
                    actor=request.user,
                    recheck=recheck,
                    staff=form.cleaned_data["staff"],
                    finding=form.cleaned_data["finding"],
                )
                messages.success(request, _("已提议列入严重失信主体名单（机构及责任人员），进入列入程序"))
                return redirect(item.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return render(
            request, "supervision/item_detail.html", _item_context(request, item, propose_form=form), status=400
        )


class RecheckPhotoView(LoginRequiredMixin, View):
    def get(self, request, pk):
        photo = ReCheckPhoto.objects.filter(pk=pk).first()
        if photo is None or not ReCheck.objects.visible_to(request.user).filter(pk=photo.recheck_id).exists():
            raise Http404
        return serve_stored_image(photo.file, name=photo.name)


# ---------------------------------------------------------------- the agency file (一机构一档)


class AgencyFileListView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("supervision.view_agencyfile"):
            raise PermissionDenied
        agencies = queries.file_agencies(request.user).order_by("name", "id")
        return render(request, "supervision/agency_files.html", {"agencies": agencies})


def _file_agency(request, pk):
    if not request.user.has_perm("supervision.view_agencyfile"):
        raise PermissionDenied
    return get_visible_or_404(queries.file_agencies(request.user), request.user, pk=pk)


class AgencyFileView(LoginRequiredMixin, View):
    def get(self, request, pk, rented_form=None, status=200):
        agency = _file_agency(request, pk)
        user = request.user
        may_record = user.has_perm("supervision.add_misconductfinding") and user.role == "county"
        return render(
            request,
            "supervision/agency_file.html",
            {
                "agency": agency,
                "sections": queries.agency_file(user, agency),
                "pending": queries.pending_hook_sections(),
                "rented_form": rented_form
                or (forms.RentedQualificationForm(user=user, agency_id=agency.pk) if may_record else None),
            },
            status=status,
        )


class AgencyMisconductView(LoginRequiredMixin, View):
    """租借资质、挂靠: the county records the finding on the agency's file and proposes the listings."""

    def post(self, request, pk):
        agency = _file_agency(request, pk)
        if not request.user.has_perm("supervision.add_misconductfinding"):
            raise PermissionDenied
        form = forms.RentedQualificationForm(request.POST, user=request.user, agency_id=agency.pk)
        if form.is_valid():
            try:
                actions.misconduct_record_rented(
                    actor=request.user,
                    agency=agency,
                    staff=form.cleaned_data["staff"],
                    finding=form.cleaned_data["finding"],
                )
                messages.success(request, _("已记录租借资质、挂靠的失信线索，并提议列入严重失信主体名单"))
                return redirect(reverse("supervision:agency_file", args=[agency.pk]) + "#misconduct")
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return AgencyFileView().get(request, pk, rented_form=form, status=400)


FILE_TITLE = _l("服务机构档案")


class AgencyFileExportView(LoginRequiredMixin, View):
    """The file as one workbook: a sheet per section, the same rows the page shows."""

    def get(self, request, pk):
        agency = _file_agency(request, pk)
        sections = queries.agency_file(request.user, agency)
        sheets = [
            Sheet(
                s.title,
                [*s.headers, _("提示")] if any(s.flags) else s.headers,
                [[*row, flag] if any(s.flags) else row for row, flag in zip(s.rows, s.flags, strict=True)],
                heading_lines(f"{agency.name} · {s.title}"),
            )
            for s in sections
        ]
        resp = workbook_response(f"{FILE_TITLE}-{agency.name}", sheets, ascii_name=f"agency-file-{agency.pk}")
        return mark_download(request, resp)


class AgencyFilePdfView(LoginRequiredMixin, View):
    def get(self, request, pk):
        from weasyprint import HTML

        agency = _file_agency(request, pk)
        sections = queries.agency_file(request.user, agency)
        with translation.override("zh-hans"):
            html = render_to_string(
                "supervision/agency_file_pdf.html",
                {"agency": agency, "sections": sections, "printed": timezone.localtime(), "user": request.user},
            )
        pdf = HTML(string=html).write_pdf()
        resp = HttpResponse(pdf, content_type="application/pdf")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        resp["Content-Disposition"] = content_disposition(
            f"{FILE_TITLE}-{agency.name}-{stamp}.pdf", f"agency-file-{agency.pk}-{stamp}.pdf"
        )
        return resp
