"""Thin views: parse, call an action or a query, render. Every record is fetched through
``get_visible_or_404`` (another scope's record is a 404)."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.accounts.choices import Role
from safeserve.core.display import display_html, history_rows
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import check_xlsx, serve_stored_document
from safeserve.core.views import Column, ObjectConfig, ObjectExportView, ObjectListView, _apply_validation_error
from safeserve.registry.roster_import import ImportFileError

from . import actions, filters, forms, queries, recusal
from .choices import InvitationState, ProposalState, RequestStatus
from .models import Absence, ExpertProfile, ExpertRequest, Interest, Invitation, Rating, RemovalProposal
from .pool_import import import_pool

STATUS_BADGES = {"active": "success", "suspended": "warning", "withdrawn": "secondary"}
STATE_BADGES = {
    "invited": "warning",
    "accepted": "success",
    "declined": "secondary",
    "expired": "dark",
    "cancelled": "light",
}
REQUEST_BADGES = {"draft": "secondary", "frozen": "info", "drawn": "primary", "closed": "success"}


def _messages(exc):
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def _back(request, obj, ok_message, call):
    """Run ``call()``; a message either way; back to ``obj``'s page."""
    try:
        call()
        messages.success(request, ok_message)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _messages(exc))
    return redirect(obj.get_absolute_url())


def _form_errors(form):
    return "；".join(
        f"{form.fields[k].label if k in form.fields else ''}：{' '.join(v)}".lstrip("：")
        for k, v in form.errors.items()
    )


class StepView(LoginRequiredMixin, View):
    """One POST step on one record: the record fetched through its scope (another's is a 404), the
    step's form checked (its errors shown on the record's page), then the action run; a message either
    way, and back to the record. A subclass names the record, the form, the message and the action."""

    queryset = None  # a model or a queryset
    permission = "change"
    form_class = None
    message = ""

    def get_form(self, request, obj):
        return self.form_class(request.POST)

    def success_message(self, data):
        return self.message

    def run(self, request, obj, data):
        raise NotImplementedError

    def post(self, request, pk):
        obj = get_visible_or_404(self.queryset, request.user, self.permission, pk=pk)
        data = {}
        if self.form_class is not None:
            form = self.get_form(request, obj)
            if not form.is_valid():
                messages.error(request, _form_errors(form))
                return redirect(obj.get_absolute_url())
            data = form.cleaned_data
        return _back(request, obj, self.success_message(data), lambda: self.run(request, obj, data))


# ---------------------------------------------------------------- the pool


PROFILE = ObjectConfig(
    model=ExpertProfile,
    filterset=filters.ProfileFilterSet,
    form=None,
    columns=[
        Column("expert__name", _l("姓名"), sort="expert__name", link=True),
        Column("expert__get_pool_display", _l("专家库"), sort="expert__pool"),
        Column("expert__title", _l("职称")),
        Column("expert__employer", _l("工作单位")),
        Column("status", sort="status", badge=STATUS_BADGES),
    ],
    detail_fields=[],
    export_fields=[
        "expert__name",
        "expert__get_pool_display",
        "expert__title",
        "specialty_list",
        "expert__employer",
        "certificates",
        "status",
    ],
    rows=queries.profiles_for,
    select_related=("expert",),
    ordering=("expert__name", "id"),
    routes={"add": "experts:pool_import"},
)


class ProfileListView(ObjectListView):
    config = PROFILE

    def get(self, request):
        if request.user.role == Role.COUNTY:
            actions.ensure_profiles()  # experts added on the register's pages join the pool
        return super().get(request)


class ProfileExportView(ObjectExportView):
    config = PROFILE


def _expert_fields(expert, user):
    names = ["name", "pool", "title", "employer", "employer_enterprise", "employer_agency", "phone", "email"]
    return [(expert._meta.get_field(n).verbose_name, display_html(expert, n, user)) for n in names]


class ProfileDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        profile = get_visible_or_404(ExpertProfile.objects.select_related("expert"), request.user, pk=pk)
        user = request.user
        expert = profile.expert
        may_change = ExpertProfile.objects.visible_to(user, "change").filter(pk=pk).exists()
        figures = queries.ratings_of(expert.pk)
        ctx = {
            "profile": profile,
            "expert": expert,
            "fields": _expert_fields(expert, user),
            "specialties": list(profile.specialty_list.all()),
            "changes": list(profile.status_changes.select_related("actor")[:50]),
            "absences": list(Absence.objects.visible_to(user).filter(expert=expert)[:50]),
            "interests": list(Interest.objects.visible_to(user).filter(expert=expert)),
            "ratings": list(Rating.objects.visible_to(user).filter(expert=expert).order_by("-rated_at")[:20]),
            "figures": figures,
            "proposals": list(RemovalProposal.objects.visible_to(user).filter(expert=expert)),
            "may_change": may_change,
            "is_county": user.role == Role.COUNTY,
            "status_form": forms.StatusForm(initial={"status": profile.status}) if user.role == Role.COUNTY else None,
            "absence_form": forms.AbsenceForm() if may_change else None,
            "interest_form": forms.InterestForm() if may_change else None,
            "history": history_rows(profile, user, 50),
            "ProposalState": ProposalState,
        }
        return render(request, "experts/profile_detail.html", ctx)


class ProfileEditView(LoginRequiredMixin, View):
    def _get(self, request, pk):
        return get_visible_or_404(ExpertProfile.objects.select_related("expert"), request.user, "change", pk=pk)

    def get(self, request, pk):
        profile = self._get(request, pk)
        form = forms.ProfileForm(
            initial={"specialties": list(profile.specialty_list.all()), "certificates": profile.certificates}
        )
        return render(request, "experts/profile_form.html", {"profile": profile, "form": form})

    def post(self, request, pk):
        profile = self._get(request, pk)
        form = forms.ProfileForm(request.POST)
        if form.is_valid():
            try:
                actions.profile_update(
                    actor=request.user,
                    profile=profile,
                    specialties=form.cleaned_data["specialties"],
                    certificates=form.cleaned_data["certificates"],
                )
                messages.success(request, _("专家档案已保存"))
                return redirect(profile.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return render(request, "experts/profile_form.html", {"profile": profile, "form": form})


class ProfileStatusView(StepView):
    queryset = ExpertProfile
    form_class = forms.StatusForm
    message = _l("库内状态已变更")

    def run(self, request, obj, data):
        actions.profile_set_status(actor=request.user, profile=obj, status=data["status"], reason=data["reason"])


class AbsenceAddView(StepView):
    queryset = ExpertProfile.objects.select_related("expert")
    form_class = forms.AbsenceForm
    message = _l("不在岗时段已登记")

    def run(self, request, obj, data):
        actions.absence_add(
            actor=request.user, expert=obj.expert, start=data["start"], end=data["end"], reason=data["reason"]
        )


class InterestAddView(StepView):
    queryset = ExpertProfile.objects.select_related("expert")
    form_class = forms.InterestForm
    message = _l("利害关系已申报，待县局确认")

    def run(self, request, obj, data):
        actions.interest_declare(
            actor=request.user,
            expert=obj.expert,
            kind=data["kind"],
            party_name=data["party_name"],
            enterprise=data["enterprise"],
            start=data["start"],
            end=data["end"],
            note=data["note"],
        )


class InterestsConfirmView(StepView):
    queryset = ExpertProfile
    message = _l("利害关系申报已确认")

    def run(self, request, obj, data):
        actions.interests_confirm(actor=request.user, profile=obj)


class PoolImportView(LoginRequiredMixin, View):
    """County: upload an .xlsx roster; every row is checked and nothing is imported if any row is wrong."""

    def _check(self, request):
        if request.user.role != Role.COUNTY or not request.user.has_perm("experts.add_expertprofile"):
            raise PermissionDenied

    def get(self, request):
        self._check(request)
        return render(request, "experts/pool_import.html", {})

    def post(self, request):
        self._check(request)
        upload = request.FILES.get("file")
        ctx = {}
        if upload is None:
            ctx["errors"] = [_("请选择要导入的 .xlsx 文件")]
            return render(request, "experts/pool_import.html", ctx, status=400)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "upload.xlsx"
            with path.open("wb") as f:
                for chunk in upload.chunks():
                    f.write(chunk)
            try:
                check_xlsx(path)
                result = import_pool(path, actor=request.user, filename=upload.name)
            except (ImportFileError, ValidationError) as exc:
                ctx["errors"] = [_messages(exc)]
                return render(request, "experts/pool_import.html", ctx, status=400)
        if not result.ok:
            ctx["errors"] = [e.display() for e in result.errors[:500]]
            return render(request, "experts/pool_import.html", ctx, status=400)
        messages.success(request, _("已导入%(n)s名专家") % {"n": result.created})
        return redirect("experts:expertprofile_list")


# ---------------------------------------------------------------- requests and draws


REQUEST = ObjectConfig(
    model=ExpertRequest,
    filterset=filters.RequestFilterSet,
    form=None,
    columns=[
        Column("title", _l("事由"), sort="title", link=True),
        Column("purpose", sort="purpose"),
        Column("work_date", sort="work_date"),
        Column("places"),
        Column("reserves"),
        Column("draw__number", _l("抽取编号")),
        Column("status", sort="status", badge=REQUEST_BADGES),
    ],
    detail_fields=[],
    rows=queries.requests_for,
    select_related=("draw",),
    ordering=("-work_date", "-id"),
    routes={"add": "experts:request_add"},
)


class RequestListView(ObjectListView):
    config = REQUEST


class RequestExportView(ObjectExportView):
    config = REQUEST


class RequestCreateView(LoginRequiredMixin, View):
    def _check(self, request):
        if not actions.may_request(request.user):
            raise PermissionDenied

    def get(self, request):
        self._check(request)
        initial = {"purpose": request.GET.get("purpose", "")}
        if request.GET.get("enterprise", "").isdigit():
            initial["enterprise"] = request.GET["enterprise"]
        return render(
            request, "experts/request_form.html", {"form": forms.RequestForm(user=request.user, initial=initial)}
        )

    def post(self, request):
        self._check(request)
        form = forms.RequestForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            manual = [{"expert": d["exclude"].pk, "reason": d["exclude_reason"]}] if d.get("exclude") else []
            try:
                req = actions.request_create(
                    actor=request.user,
                    purpose=d["purpose"],
                    title=d["title"],
                    enterprises=form.enterprises(),
                    specialties=d["specialties"],
                    places=d["places"],
                    reserves=d["reserves"],
                    work_date=d["work_date"],
                    place=d["place"],
                    manual_exclusions=manual,
                )
                messages.success(request, _("抽取申请已创建，请冻结候选名单"))
                return redirect(req.get_absolute_url())
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
        return render(request, "experts/request_form.html", {"form": form})


class RequestDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        req = get_visible_or_404(
            ExpertRequest.objects.select_related("draw", "town", "requested_by"), request.user, pk=pk
        )
        user = request.user
        may_change = ExpertRequest.objects.visible_to(user, "change").filter(pk=pk).exists()
        invitations = list(
            Invitation.objects.visible_to(user)
            .filter(request=req)
            .select_related("expert", "draw")
            .order_by("draw_id", "called_at", "id")
        )
        draws = []
        d = req.draw
        while d is not None:
            draws.append(d)
            d = d.supersedes
        preview = recusal.eligibility(req) if may_change and req.status == RequestStatus.DRAFT else None
        ctx = {
            "req": req,
            "enterprises": list(req.enterprises.all()),
            "specialties": list(req.specialties.all()),
            "invitations": invitations,
            "draws": draws,
            "may_change": may_change,
            "preview": preview,
            "value_form": forms.DrawValueForm() if may_change and req.status == RequestStatus.FROZEN else None,
            "redraw_form": forms.RedrawForm() if may_change and req.status == RequestStatus.DRAWN else None,
            "history": history_rows(req, user, 50),
        }
        return render(request, "experts/request_detail.html", ctx)


class RequestFreezeView(StepView):
    queryset = ExpertRequest
    message = _l("候选名单已冻结，请录入随机值")

    def run(self, request, obj, data):
        actions.request_freeze(actor=request.user, request=obj)


class RequestDrawView(StepView):
    queryset = ExpertRequest
    form_class = forms.DrawValueForm
    message = _l("已抽取，已通知抽中的专家")

    def run(self, request, obj, data):
        actions.request_draw(
            actor=request.user, request=obj, source=data["source"], value=data["value"], note=data["note"]
        )


class RequestRedrawView(StepView):
    queryset = ExpertRequest
    form_class = forms.RedrawForm
    message = _l("已新建重新抽取，请录入随机值")

    def run(self, request, obj, data):
        actions.request_redraw(actor=request.user, request=obj, reason=data["reason"])


# ---------------------------------------------------------------- jobs


JOB = ObjectConfig(
    model=Invitation,
    filterset=filters.JobFilterSet,
    form=None,
    columns=[
        Column("request__title", _l("事由"), link=True),
        Column("request__get_purpose_display", _l("用途")),
        Column("request__work_date", _l("工作日期"), sort="request__work_date"),
        Column("expert__name", _l("专家"), sort="expert__name"),
        Column("draw__number", _l("抽取编号")),
        Column("deadline", sort="deadline"),
        Column("state", sort="state", badge=STATE_BADGES),
    ],
    detail_fields=[],
    export_fields=[
        "request__title",
        "request__get_purpose_display",
        "request__work_date",
        "expert__name",
        "draw__number",
        "state",
        "fee",
    ],
    rows=queries.jobs_for,
    select_related=("request", "expert", "draw"),
    ordering=("-request__work_date", "-id"),
    routes={"list": "experts:job_list", "export": "experts:job_export", "add": "experts:job_list"},
)


class JobListView(ObjectListView):
    config = JOB


class JobExportView(ObjectExportView):
    config = JOB


class JobDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = get_visible_or_404(Invitation.objects.select_related("request", "expert", "draw"), request.user, pk=pk)
        user = request.user
        own = user.role == Role.EXPERT and user.expert_id == job.expert_id
        rating = Rating.objects.filter(invitation=job).first()
        can_rate = job.finished_at is not None and rating is None and actions.may_rate(user, job)
        ctx = {
            "job": job,
            "req": job.request,
            "enterprises": list(job.request.enterprises.all()),
            "findings": list(job.findings.select_related("hazard")),
            "own": own,
            "answer_form": forms.AnswerForm() if own and job.state == InvitationState.INVITED else None,
            "finding_form": forms.FindingForm(job=job) if own and job.state == InvitationState.ACCEPTED else None,
            "opinion_form": forms.OpinionForm(initial={"opinion": job.opinion, "fee": job.fee})
            if own and job.state == InvitationState.ACCEPTED
            else None,
            "rating": rating if (own or user.role in (Role.COUNTY, Role.TOWN)) else None,
            "rating_form": forms.RatingForm() if can_rate else None,
            "rating_due": actions.rating_due(job),
            "show_fee": own or user.role in (Role.COUNTY, Role.TOWN),
        }
        return render(request, "experts/job_detail.html", ctx)


class JobAnswerView(StepView):
    queryset = Invitation
    form_class = forms.AnswerForm

    def success_message(self, data):
        return _("已接受邀请") if data["accept"] else _("已拒绝邀请")

    def run(self, request, obj, data):
        actions.invitation_answer(actor=request.user, invitation=obj, accept=data["accept"], reason=data["reason"])


class JobFindingView(StepView):
    queryset = Invitation.objects.select_related("request")
    form_class = forms.FindingForm
    message = _l("检查发现已记录，已形成隐患")

    def get_form(self, request, obj):
        return forms.FindingForm(request.POST, job=obj)

    def run(self, request, obj, data):
        actions.job_record_finding(
            actor=request.user,
            job=obj,
            enterprise=data["enterprise"],
            location=data["location"],
            description=data["description"],
            responsible_person=data["responsible_person"],
            level=data["level"],
            criterion=data["criterion"],
            photos=request.FILES.getlist("photos"),
        )


class JobOpinionView(StepView):
    queryset = Invitation
    form_class = forms.OpinionForm
    message = _l("专家意见已提交，意见书已生成")

    def run(self, request, obj, data):
        actions.job_record_opinion(actor=request.user, job=obj, opinion=data["opinion"], fee=data["fee"])


class JobOpinionPdfView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = get_visible_or_404(Invitation, request.user, pk=pk)
        if not job.opinion_file:
            raise Http404
        return serve_stored_document(job.opinion_file, name=f"专家意见书-{job.pk}")


class JobRateView(StepView):
    """The requester rates the job: the job is read in scope ("view"); the action checks who may rate."""

    queryset = Invitation.objects.select_related("request")
    permission = "view"
    form_class = forms.RatingForm
    message = _l("评分已提交")

    def run(self, request, obj, data):
        actions.job_rate(actor=request.user, job=obj, score=data["score"], comment=data["comment"])
