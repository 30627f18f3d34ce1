import tempfile

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.excel import Sheet, workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import serve_stored_document
from safeserve.core.views import Column, ObjectConfig, ObjectEditView

from . import actions, conf, filters, forms, penalty_import, queries, rules, transitions
from .models import Accident, Commitment, CreditGrade, Listing, Penalty, RuleTable

LEVEL_BADGES = {"general": "warning", "serious": "danger", "major": "danger", "extraordinary": "dark"}
STATE_BADGES = {
    "proposed": "secondary",
    "noticed": "info",
    "objected": "warning",
    "reviewed": "info",
    "decided": "primary",
    "published": "danger",
    "repair_requested": "warning",
    "removed": "success",
    "withdrawn": "secondary",
}


def _accident_context(request, accident):
    """The attachment's upload form, for whom may change the accident."""
    can_attach = Accident.objects.visible_to(request.user, "change").filter(pk=accident.pk).exists()
    return {"attachment_form": forms.AccidentAttachmentForm() if can_attach else None}


ACCIDENT = ObjectConfig(
    model=Accident,
    filterset=filters.AccidentFilterSet,
    form=forms.AccidentForm,
    columns=[
        Column("title", sort="title", link=True),
        Column("enterprise", sort="enterprise__name"),
        Column("occurred_on", sort="occurred_on"),
        Column("level", sort="level", badge=LEVEL_BADGES),
        Column("deaths", sort="deaths"),
        Column("serious_injuries"),
        Column("direct_loss", sort="direct_loss"),
        Column("concealed"),
    ],
    detail_fields=[*Accident.FIELDS, "attachment_name"],
    select_related=("enterprise",),
    ordering=("-occurred_on", "-id"),
    detail_template="credit/accident_detail.html",
    detail_context=_accident_context,
)

PENALTY = ObjectConfig(
    model=Penalty,
    filterset=filters.PenaltyFilterSet,
    form=forms.PenaltyForm,
    columns=[
        Column("decision_number", sort="decision_number", link=True),
        Column("decided_on", sort="decided_on"),
        Column("party_kind", sort="party_kind"),
        Column("party_name", _l("当事人")),
        Column("fine", sort="fine"),
        Column("measures"),
        Column("status", sort="status"),
    ],
    detail_fields=Penalty.FIELDS,
    select_related=("enterprise", "agency"),
    ordering=("-decided_on", "-id"),
    extra_actions=[("credit:penalty_import", _l("从 Excel 导入"))],
)

COMMITMENT = ObjectConfig(
    model=Commitment,
    filterset=filters.CommitmentFilterSet,
    form=forms.CommitmentForm,
    columns=[
        Column("content", link=True),
        Column("enterprise", sort="enterprise__name"),
        Column("year", sort="year"),
        Column("signed_on", sort="signed_on"),
        Column("status", sort="status", badge={"pending": "secondary", "kept": "success", "broken": "danger"}),
        Column("checked_on", sort="checked_on"),
    ],
    detail_fields=Commitment.FIELDS,
    select_related=("enterprise",),
    ordering=("-year", "-id"),
    detail_template="credit/commitment_detail.html",
)

RULETABLE = ObjectConfig(
    model=RuleTable,
    filterset=filters.RuleTableFilterSet,
    form=forms.RuleTableForm,
    columns=[Column("name", sort="name", link=True), Column("subject"), Column("year", sort="year"), Column("note")],
    detail_fields=["subject", "year", "name", "note"],
    ordering=("-year", "subject"),
    detail_template="credit/ruletable_detail.html",
    detail_context=lambda request, obj: {"table": obj.rules, "known": rules.KNOWN_KINDS},
)


def _grade_context(request, grade):
    return {
        "explanation": grade.explanation,
        "grade_history": list(queries.grade_history(request.user, grade)[:50]),
        "known": rules.KNOWN_KINDS,
    }


GRADE = ObjectConfig(
    model=CreditGrade,
    filterset=filters.GradeFilterSet,
    form=forms.GradeForm,
    columns=[
        Column("subject_name", _l("主体名称"), link=True),
        Column("subject", sort="subject"),
        Column("grade", sort="grade", badge=queries.GRADE_BADGES),
        Column("as_of", sort="as_of"),
        Column("rule_version"),
    ],
    detail_fields=CreditGrade.FIELDS,
    select_related=("enterprise", "agency"),
    ordering=("grade", "-id"),
    # The list shows current grades; a grade's page shows its history (older rows stay reachable).
    rows=lambda user, action="view": (
        CreditGrade.objects.visible_to(user, action).filter(is_current=True)
        if action == "view"
        else CreditGrade.objects.visible_to(user, action)
    ),
    detail_template="credit/grade_detail.html",
    detail_context=_grade_context,
)


def _listing_context(request, listing):
    user = request.user
    steps = [
        (a, transitions.ACTIONS[a], transitions.TABLE[(listing.state, a)])
        for a in transitions.available_actions(user, listing)
    ]
    return {
        "steps": steps,
        "transition_form": forms.TransitionForm(),
        "listed_today": listing.is_listed_on(timezone.localdate()),
        "repair_from": actions.repair_allowed_from(listing),
        "objection_days": conf.get("CREDIT_OBJECTION_DAYS"),
    }


LISTING = ObjectConfig(
    model=Listing,
    filterset=filters.ListingFilterSet,
    form=forms.ListingForm,
    columns=[
        Column("subject_name", _l("主体名称")),
        Column("situation", sort="situation"),
        Column("facts", link=True),
        Column("state", sort="state", badge=STATE_BADGES),
        Column("decision_number", sort="decision_number"),
        Column("decided_on", sort="decided_on"),
        Column("published_on", sort="published_on"),
        Column("expires_on", sort="expires_on"),
        Column("removed_on"),
    ],
    detail_fields=Listing.FIELDS,
    select_related=("enterprise", "agency"),
    ordering=("-id",),
    detail_template="credit/listing_detail.html",
    detail_context=_listing_context,
    export_title=_l("严重失信主体名单"),
)


class FactEditView(ObjectEditView):
    """Accidents, penalties and commitments: written through credit.actions (the party is regraded)."""

    def save(self, obj, form):
        data, m2m = form.action_data()
        return actions.fact_save(actor=self.request.user, model=self.config.model, instance=obj, data=data, m2m=m2m)


class RuleTableEditView(ObjectEditView):
    def save(self, obj, form):
        data, _m2m = form.action_data()
        return actions.ruletable_save(actor=self.request.user, instance=obj, data=data)


class ListingEditView(ObjectEditView):
    def save(self, obj, form):
        data, _m2m = form.action_data()
        if obj is None:
            return actions.listing_propose(actor=self.request.user, data=data)
        return actions.fact_save(actor=self.request.user, model=Listing, instance=obj, data=data)


EDIT_VIEWS = {
    "accident": FactEditView,
    "penalty": FactEditView,
    "commitment": FactEditView,
    "ruletable": RuleTableEditView,
    "listing": ListingEditView,
}

CONFIGS = {
    "accident": (ACCIDENT, "accidents"),
    "penalty": (PENALTY, "penalties"),
    "commitment": (COMMITMENT, "commitments"),
    "ruletable": (RULETABLE, "rules"),
    "creditgrade": (GRADE, "grades"),
    "listing": (LISTING, "listings"),
}


class AccidentAttachmentView(LoginRequiredMixin, View):
    def get(self, request, pk):
        accident = get_visible_or_404(Accident, request.user, pk=pk)
        if not accident.attachment:
            raise Http404
        return serve_stored_document(accident.attachment, name=accident.attachment_name or accident.title)


class AccidentUploadView(LoginRequiredMixin, View):
    """POST: store a checked scan (PDF or photo) as the accident's attachment (replacing the last)."""

    def post(self, request, pk):
        accident = get_visible_or_404(Accident, request.user, pk=pk)
        if not Accident.objects.visible_to(request.user, "change").filter(pk=pk).exists():
            raise PermissionDenied
        form = forms.AccidentAttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(accident.get_absolute_url())
        actions.accident_attach(actor=request.user, accident=accident, document=form.cleaned_data["upload"])
        messages.success(request, _("附件已上传。"))
        return redirect(accident.get_absolute_url())


class CommitmentCheckView(LoginRequiredMixin, View):
    def post(self, request, pk):
        commitment = get_visible_or_404(Commitment, request.user, pk=pk)
        form = forms.CommitmentCheckForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(commitment.get_absolute_url())
        try:
            actions.commitment_check(
                actor=request.user,
                commitment=commitment,
                kept=form.cleaned_data["kept"],
                note=form.cleaned_data["note"],
            )
            messages.success(request, _("已记录核查结论"))
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(commitment.get_absolute_url())


class PenaltyImportView(LoginRequiredMixin, View):
    """Upload, check every row, import all or none (errors list the row and column)."""

    def check(self, request):
        if not request.user.has_perm("credit.add_penalty"):
            raise PermissionDenied

    def get(self, request):
        self.check(request)
        return render(
            request,
            "credit/penalty_import.html",
            {"form": forms.PenaltyImportForm(), "headers": penalty_import.HEADERS},
        )

    def post(self, request):
        self.check(request)
        form = forms.PenaltyImportForm(request.POST, request.FILES)
        errors, created = [], []
        if form.is_valid():
            upload = form.cleaned_data["file"]
            with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
                for chunk in upload.chunks():
                    tmp.write(chunk)
                    if tmp.tell() > penalty_import.MAX_BYTES:
                        break
                tmp.flush()
                parsed = penalty_import.parse(request.user, tmp.name)
            errors = [e.display() for e in parsed.errors]
            if parsed.ok:
                try:
                    created = penalty_import.import_penalties(actor=request.user, parsed=parsed)
                except (ValidationError, PermissionDenied) as exc:
                    errors = list(getattr(exc, "messages", [str(exc)]))
            if created:
                messages.success(request, _("已导入 %(n)d 条行政处罚") % {"n": len(created)})
                return redirect(reverse("credit:penalty_list"))
        return render(
            request,
            "credit/penalty_import.html",
            {"form": form, "errors": errors, "headers": penalty_import.HEADERS},
            status=400 if errors or form.errors else 200,
        )


class PenaltyTemplateView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("credit.add_penalty"):
            raise PermissionDenied
        sheets = [
            Sheet(_("行政处罚"), penalty_import.HEADERS, []),
            Sheet(_("填写说明"), [_("列"), _("说明")], penalty_import.template_notes()),
        ]
        return workbook_response(_("行政处罚导入模板") + ".xlsx", sheets, ascii_name="penalty-template.xlsx")


class ListingTransitionView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        listing = get_visible_or_404(Listing, request.user, pk=pk)
        if action not in transitions.ACTIONS:
            raise Http404
        form = forms.TransitionForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
            return redirect(listing.get_absolute_url())
        try:
            actions.listing_transition(
                actor=request.user,
                listing=listing,
                action=action,
                reason=form.cleaned_data["reason"],
                attachment=form.cleaned_data.get("attachment"),
            )
            messages.success(request, _("已完成：%(a)s") % {"a": transitions.ACTIONS[action]})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(listing.get_absolute_url())


class ListingDecisionView(LoginRequiredMixin, View):
    def get(self, request, pk):
        listing = get_visible_or_404(Listing, request.user, pk=pk)
        if not listing.decision_pdf:
            raise Http404
        return serve_stored_document(listing.decision_pdf, name=listing.decision_number)


class ListingEvidenceView(LoginRequiredMixin, View):
    def get(self, request, pk):
        listing = get_visible_or_404(Listing, request.user, pk=pk)
        if not listing.repair_attachment:
            raise Http404
        return serve_stored_document(listing.repair_attachment, name=_("信用修复证明"))


class PublicListingsView(View):
    """The public serious-default list (no login): current listings only, computed by date; the name,
    credit code, situation, decision number and dates the decision publishes, nothing personal."""

    def get(self, request):
        today = timezone.localdate()
        return render(
            request,
            "credit/public_listings.html",
            {"listings": queries.public_listings(today), "today": today},
        )
