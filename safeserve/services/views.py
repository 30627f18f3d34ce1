from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core import hooks
from safeserve.core.display import visible_related
from safeserve.core.excel import Sheet, heading_lines, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_document, serve_stored_image
from safeserve.core.validation import parse_id
from safeserve.core.views import (
    Column,
    ObjectConfig,
    ObjectExportView,
    ObjectListView,
    Related,
    _apply_validation_error,
    autocomplete_term,
    bad_autocomplete_term,
    mark_download,
)

from . import actions, chain, filters, forms, queries, transitions
from .models import (
    ChecklistItem,
    ChecklistTemplate,
    PendingPhoto,
    ServiceContract,
    ServiceVisit,
    VisitConfirmation,
    VisitPhoto,
)

STATUS_BADGES = {"draft": "secondary", "active": "success", "expired": "dark", "terminated": "danger"}

CONTRACT = ObjectConfig(
    model=ServiceContract,
    filterset=filters.ContractFilterSet,
    form=forms.ContractForm,
    columns=[
        Column("number", sort="number", link=True),
        Column("agency", sort="agency__name"),
        Column("named_enterprises", _l("服务企业")),
        Column("payer_type", sort="payer_type"),
        Column("items"),
        Column("start_date", sort="start_date"),
        Column("end_date", sort="end_date"),
        Column("fee", sort="fee"),
        Column("visits_per_year"),
        Column("status", sort="status", badge=STATUS_BADGES),
    ],
    detail_fields=ServiceContract.FIELDS,
    # The export lists the enterprises and staff too: only those the user may see (core.display).
    export_fields=[("named_enterprises" if f == "enterprises" else f) for f in ServiceContract.EXPORT_FIELDS],
    rows=queries.contracts_for,
    select_related=("agency", "payer_town"),
    ordering=("-start_date", "-id"),
    detail_template="services/contract_detail.html",
    form_template="services/contract_form.html",
)

TEMPLATE = ObjectConfig(
    model=ChecklistTemplate,
    filterset=filters.ChecklistTemplateFilterSet,
    form=forms.ChecklistTemplateForm,
    columns=[Column("name", sort="name", link=True), Column("industry"), Column("is_active")],
    detail_fields=ChecklistTemplate.FIELDS,
    select_related=("industry",),
    ordering=("name",),
    related=[
        Related(
            _l("检查项"),
            ChecklistItem,
            "template",
            [Column("order"), Column("category"), Column("text", link=True)],
            "services:checklistitem_add",
        )
    ],
)

ITEM = ObjectConfig(
    model=ChecklistItem,
    filterset=filters.ChecklistItemFilterSet,
    form=forms.ChecklistItemForm,
    columns=[Column("template"), Column("order", sort="order"), Column("category"), Column("text", link=True)],
    detail_fields=ChecklistItem.FIELDS,
    select_related=("template",),
    ordering=("template", "order", "id"),
)

CONFIGS = {
    "servicecontract": (CONTRACT, "contracts"),
    "checklisttemplate": (TEMPLATE, "checklists"),
    "checklistitem": (ITEM, "checklist-items"),
}


class ContractTransitionView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        contract = get_visible_or_404(ServiceContract, request.user, "view", pk=pk)
        try:
            actions.contract_transition(
                actor=request.user, contract=contract, action=action, note=request.POST.get("note", "")
            )
            messages.success(request, _("合同状态已更新"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(contract.get_absolute_url())


class ContractEnterpriseSearchView(LoginRequiredMixin, View):
    """Enterprises by name for the contract form's picker: only those the user may put in a contract."""

    def get(self, request):
        if not request.user.has_perm("services.add_servicecontract"):
            raise PermissionDenied
        q = autocomplete_term(request)
        if q is None:
            return bad_autocomplete_term()
        rows = queries.contract_enterprise_search(request.user, q)
        return JsonResponse({"results": [{"id": e.pk, "name": e.name, "town": str(e.town)} for e in rows]})


class ContractStaffOptionsView(LoginRequiredMixin, View):
    """The contract form's staff field for the chosen agency (htmx swaps it in when the agency changes)."""

    def get(self, request):
        if not request.user.has_perm("services.add_servicecontract"):
            raise PermissionDenied
        agency = request.GET.get("agency", "")
        form = forms.ContractForm(user=request.user, initial={"agency": agency if parse_id(agency) else None})
        return render(request, "services/_contract_staff.html", {"field": form["staff"]})


class ContractScanView(LoginRequiredMixin, View):
    """The signed contract scan: downloaded (as an attachment) by whoever sees the contract, attached by its owner."""

    def get(self, request, pk):
        contract = get_visible_or_404(ServiceContract, request.user, pk=pk)
        if not contract.scan:
            raise Http404
        return serve_stored_document(contract.scan, name=contract.scan_name or contract.number)

    def post(self, request, pk):
        contract = get_visible_or_404(ServiceContract, request.user, pk=pk)
        try:
            actions.contract_attach_scan(actor=request.user, contract=contract, upload=request.FILES.get("scan"))
            messages.success(request, _("合同扫描件已上传"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(contract.get_absolute_url())


def _visit_list_context(request):
    user = request.user
    return {"can_add": actions.may_record_visits(user)}


# The visit list and its export on the generic list machinery (core.views: scoped rows, htmx
# filtering, sorting, two-step pagination, export). Rows come from ``queries.visits_for``;
# visits are recorded through VisitCreateView (actions.visit_record), never a generic form.
VISIT = ObjectConfig(
    model=ServiceVisit,
    filterset=filters.VisitFilterSet,
    form=None,
    columns=[
        Column("visited_at", _l("服务时间"), sort="visited_at", link=True),
        Column("enterprise", _l("企业"), sort="enterprise__name"),
        Column("agency", _l("服务机构"), sort="agency__name"),
        Column("contract", _l("合同"), sort="contract__number"),
        Column("signed_by", _l("企业签字")),
        Column("rating__score", _l("评价")),
    ],
    detail_fields=[],
    export_fields=["visited_at", "enterprise", "agency", "contract", "findings", "signed_by", "signed_at"],
    rows=lambda user, action: queries.visits_for(user) if action == "view" else ServiceVisit.objects.none(),
    ordering=("-visited_at", "-id"),
    routes={"list": "services:visit_list", "add": "services:visit_add", "export": "services:visit_export"},
    list_template="services/visit_list.html",
    results_template="services/_visit_table.html",
    list_context=_visit_list_context,
)


class VisitListView(ObjectListView):
    config = VISIT


class VisitExportView(ObjectExportView):
    config = VISIT


class VisitCreateView(LoginRequiredMixin, View):
    def _template(self, request):
        tid = request.POST.get("template") or request.GET.get("template")
        qs = ChecklistTemplate.objects.visible_to(request.user).filter(is_active=True)
        if tid:
            return qs.filter(pk=tid).first() if parse_id(tid) else None
        return qs.filter(industry__isnull=True).order_by("id").first()

    def _contract(self, request):
        """The contract the visit was started from (``?contract=``): only an active one the user sees."""
        cid = request.POST.get("contract") or request.GET.get("contract")
        if not cid or not parse_id(cid):
            return None
        return ServiceContract.objects.visible_to(request.user).filter(pk=cid, status="active").first()

    def _check(self, request):
        if not actions.may_record_visits(request.user):
            raise PermissionDenied

    def get(self, request):
        self._check(request)
        template = self._template(request)
        contract = self._contract(request)
        initial = {k: request.GET[k] for k in ("contract", "enterprise") if request.GET.get(k)}
        if template:
            initial["template"] = template.pk
        form = forms.VisitForm(user=request.user, template=template, contract=contract, initial=initial)
        return render(request, "services/visit_form.html", {"form": form, "contract": contract})

    def post(self, request):
        self._check(request)
        template = self._template(request)
        contract = self._contract(request)
        form = forms.VisitForm(request.POST, request.FILES, user=request.user, template=template, contract=contract)
        if form.is_valid():
            d = form.cleaned_data
            try:
                visit = actions.visit_record(
                    actor=request.user,
                    contract=d["contract"],
                    enterprise=d["enterprise"],
                    visited_at=d["visited_at"],
                    staff=d["staff"],
                    template=template,
                    results=form.results(),
                    findings=d["findings"],
                    signed_by=d["signed_by"],
                    photos=d["photos"],
                    pending_photos=d["pending_photo"],
                    latitude=d["latitude"],
                    longitude=d["longitude"],
                    location_accuracy=d["location_accuracy"],
                )
                messages.success(request, _("服务记录已保存"))
                return redirect(visit.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        _keep_chosen_photos(request, form)
        return render(request, "services/visit_form.html", {"form": form, "contract": contract}, status=200)


def _keep_chosen_photos(request, form):
    """A refused visit keeps the photos chosen without JavaScript: each good one becomes a pending photo."""
    files = request.FILES.getlist("photos")
    if not files or form.has_error("photos"):
        return
    data = form.data.copy()
    ids = data.getlist("pending_photo")
    for f in files:
        try:
            ids.append(str(actions.pending_photo_add(actor=request.user, upload=f).pk))
        except (ValidationError, PermissionDenied):
            continue
    data.setlist("pending_photo", ids)
    form.data = data


class PendingPhotoUploadView(LoginRequiredMixin, View):
    """A photo chosen on the visit form is verified and kept at once (answers JSON for visit_form.js)."""

    def post(self, request):
        try:
            photo = actions.pending_photo_add(actor=request.user, upload=request.FILES.get("photo"))
        except PermissionDenied as exc:
            return JsonResponse({"error": str(exc)}, status=403)
        except ValidationError as exc:
            return JsonResponse({"error": " ".join(exc.messages)}, status=400)
        url = reverse("services:pending_photo", args=[photo.pk])
        return JsonResponse({"id": photo.pk, "name": photo.name, "url": url}, status=201)


class PendingPhotoView(LoginRequiredMixin, View):
    """A pending photo is shown only to whoever uploaded it."""

    def get(self, request, pk):
        photo = get_visible_or_404(PendingPhoto, request.user, pk=pk)
        return serve_stored_image(photo.file, name=photo.name)


class VisitConfirmCodeView(LoginRequiredMixin, View):
    """The agency's phone shows a one-time code for the enterprise's contact (POST: a new code)."""

    def post(self, request, pk):
        visit = get_visible_or_404(ServiceVisit.objects.select_related("enterprise"), request.user, pk=pk)
        try:
            code = actions.visit_confirm_code_issue(actor=request.user, visit=visit)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(visit.get_absolute_url())
        confirm_url = request.build_absolute_uri(reverse("services:visit_confirm_public", args=[visit.pk]))
        return render(
            request,
            "services/visit_code.html",
            {"visit": visit, "code": code, "minutes": actions.CONFIRM_CODE_MINUTES, "confirm_url": confirm_url},
        )


class VisitConfirmView(LoginRequiredMixin, View):
    """The enterprise served confirms the visit on its own account."""

    def post(self, request, pk):
        visit = get_visible_or_404(ServiceVisit, request.user, pk=pk)
        try:
            actions.visit_confirm_by_login(actor=request.user, visit=visit)
            messages.success(request, _("已确认本次服务"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(visit.get_absolute_url())


class VisitConfirmPublicView(View):
    """Where the enterprise's contact types the code shown on the agency's phone (no account needed).

    Nothing of the visit shows before the code is right; wrong codes count against it (five void it).
    """

    def _visit(self, pk):
        visit = ServiceVisit.objects.select_related("enterprise", "agency").filter(pk=pk).first()
        if visit is None:
            raise Http404
        return visit

    def get(self, request, pk):
        self._visit(pk)
        return render(request, "services/visit_confirm.html", {"form": forms.ConfirmCodeForm(), "pk": pk})

    def post(self, request, pk):
        visit = self._visit(pk)
        form = forms.ConfirmCodeForm(request.POST)
        if form.is_valid():
            try:
                conf = actions.visit_confirm_by_code(
                    visit=visit, code=form.cleaned_data["code"], name=form.cleaned_data["name"], actor=request.user
                )
                return render(request, "services/visit_confirm.html", {"done": conf, "visit": visit, "pk": pk})
            except ValidationError as exc:
                _apply_validation_error(form, exc)
        return render(request, "services/visit_confirm.html", {"form": form, "pk": pk})


class VisitDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        qs = ServiceVisit.objects.select_related("enterprise", "agency", "contract", "template", "recorded_by")
        visit = get_visible_or_404(qs, request.user, pk=pk)
        visit = ServiceVisit.objects.prefetch_related("staff", "results__item", "photos").get(pk=visit.pk)
        problems = chain.verify_visit(visit)
        staff = visible_related(visit.staff, request.user)
        rating = getattr(visit, "rating", None) if hasattr(visit, "rating") else None
        can_rate = actions.may_rate(request.user, visit)
        panels = [panel(request, visit) for panel in hooks.VISIT_PANELS]
        confirmation = VisitConfirmation.objects.filter(visit=visit).first()
        return render(
            request,
            "services/visit_detail.html",
            {
                "visit": visit,
                "staff": staff,
                "chain_problems": problems,
                "rating": rating,
                "rating_form": forms.RatingForm(
                    initial={"score": rating.score, "comment": rating.comment} if rating else None
                )
                if can_rate
                else None,
                "panels": panels,
                "can_report": actions.is_visit_agency(request.user, visit),
                "confirmation": confirmation,
                "can_issue_code": actions.is_visit_agency(request.user, visit),
                "can_confirm": can_rate,
                # The hash chain's figures are for the regulators who verify records, not field staff.
                "show_proof": request.user.role in ("county", "town") or request.user.is_superuser,
            },
        )


class VisitRateView(LoginRequiredMixin, View):
    def post(self, request, pk):
        visit = get_visible_or_404(ServiceVisit, request.user, pk=pk)
        form = forms.RatingForm(request.POST)
        if form.is_valid():
            try:
                actions.visit_rate(actor=request.user, visit=visit, **form.cleaned_data)
                messages.success(request, _("感谢您的评价"))
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.error(request, _("请选择 1–5 分"))
        return redirect(visit.get_absolute_url())


class VisitPhotoView(LoginRequiredMixin, View):
    """Photos are served only to those who may see the visit (no public media URL)."""

    def get(self, request, pk):
        photo = VisitPhoto.objects.filter(pk=pk).first()
        if photo is None:
            raise Http404
        get_visible_or_404(ServiceVisit, request.user, pk=photo.visit_id)
        return serve_stored_image(photo.file, name=photo.name)


DUE_COLUMNS = [
    ("enterprise_name", _l("企业")),
    ("agency_name", _l("服务机构")),
    ("contract_number", _l("合同")),
    ("visits_per_year", _l("每年次数")),
    ("last_visit", _l("上次服务")),
    ("due", _l("应服务日期")),
    ("days_overdue", _l("逾期天数")),
]


class VisitsDueView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("services.view_servicevisit"):
            raise PermissionDenied
        if "download" in request.GET:  # every overdue pair, as a workbook (the page shows the first 500)
            rows = queries.missing_visits(request.user)
            title = _("逾期未上门服务")
            data = ([r.get(name) for name, _label in DUE_COLUMNS] for r in rows)
            heading = heading_lines(title, period=_("截至 %(d)s") % {"d": timezone.localdate().isoformat()})
            return mark_download(
                request,
                workbook_response(
                    title, [Sheet(title, [str(lbl) for _n, lbl in DUE_COLUMNS], data, heading)], ascii_name="visits-due"
                ),
            )
        rows = queries.missing_visits(request.user, limit=queries.DUE_LIMIT)
        return render(request, "services/visits_due.html", {"rows": rows, "export_url": "?download=1"})


class RatingsView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("registry.view_agency"):
            raise PermissionDenied
        if "download" in request.GET:
            title = _("服务机构评价")
            headers = [_("服务机构"), _("平均分"), _("评价次数")]
            data = (
                [a.name, round(a.rating_avg, 1) if a.rating_avg else None, a.rating_count]
                for a in queries.agency_ratings(request.user)
            )
            sheet = Sheet(title, headers, data, heading_lines(title))
            return mark_download(request, workbook_response(title, [sheet], ascii_name="agency-ratings"))
        agencies = queries.agency_ratings(request.user)[:200]
        return render(request, "services/ratings.html", {"agencies": agencies, "export_url": "?download=1"})


def contract_context(user, contract):
    """Extra blocks on a contract page: state buttons, served enterprises and due visits."""
    return {
        "transitions": [
            (a, transitions.ACTIONS[a], reverse("services:contract_transition", args=[contract.pk, a]))
            for a in actions.contract_actions_for(user, contract)
        ],
        "visits": queries.visits_for(user).filter(contract=contract).order_by("-visited_at")[:50],
        "missing": queries.missing_visits(user, limit=200, contract_id=contract.pk),
        "can_record": actions.may_record_visit_for(user, contract),
        "scan_url": reverse("services:contract_scan", args=[contract.pk]) if contract.scan else None,
        "can_attach_scan": transitions.owns(user, contract),
        # The agency party sees whom its contract names, drafts included (queries.contract_enterprises_for).
        "party_enterprises": getattr(contract, "named_enterprises", None)
        if actions.is_contract_agency(user, contract)
        else None,
    }
