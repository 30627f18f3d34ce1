"""Pages of public reports: the public doors (file, follow with code + password) and the handling pages.

The reporter's identity appears on one page only — the detail page, for handlers (models.is_handler)
— and each time it does an IdentityAccess row is written. Lists, exports, the API, notifications and
the history never carry it.
"""

import time

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from rest_framework.throttling import BaseThrottle

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core.display import field_label, history_rows
from safeserve.core.excel import export_queryset
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import MB, serve_stored_document
from safeserve.core.views import Column, ObjectConfig, ObjectExportView, ObjectListView, _apply_validation_error

from . import actions, conf, forms, transitions
from .choices import TipoffState
from .filters import TipoffFilterSet
from .models import IdentityAccess, Tipoff, TipoffAttachment, TipoffReward, is_handler

CASE_KEY = "tipoffs_case"  # the report a reporter opened with code + password: {"pk", "at"}
FILED_KEY = "tipoffs_filed"  # the code just issued, shown once
CASE_MINUTES = 30

STATE_TONES = {
    TipoffState.RECEIVED: "warning",
    TipoffState.ACCEPTED: "primary",
    TipoffState.REJECTED: "secondary",
    TipoffState.FORWARDED: "secondary",
    TipoffState.CLOSED: "success",
}


def client_ip(request) -> str:
    return BaseThrottle().get_ident(request) or ""


def no_store(response):
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- public doors (no login)


class FileView(View):
    """The public form. A body larger than the attachment limit is refused before its files are read."""

    template = "tipoffs/public_file.html"

    def page(self, form, status=200):
        ctx = {
            "form": form,
            "max_mb": conf.number("TIPOFF_ATTACHMENTS_MAX_MB"),
            "max_files": conf.number("TIPOFF_ATTACHMENTS_MAX_FILES"),
        }
        return no_store(render(self.request, self.template, ctx, status=status))

    def get(self, request):
        return self.page(forms.TipoffFileForm())

    def post(self, request):
        limit = conf.number("TIPOFF_ATTACHMENTS_MAX_MB") * MB
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > limit + MB:
            form = forms.TipoffFileForm(request.POST)
            form.is_valid()
            form.add_error(
                "attachments",
                _("附件：总大小 %(size).1f MB，超过上限 %(limit)d MB；请压缩照片或分次补充，本次未保存任何内容")
                % {"size": length / MB, "limit": limit // MB},
            )
            return self.page(form, status=413)
        form = forms.TipoffFileForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                tipoff = actions.tipoff_file(
                    data=form.action_data(),
                    attachments=form.cleaned_data["attachments"],
                    password=form.cleaned_data["password"],
                    client_ip=client_ip(request),
                )
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            else:
                request.session.cycle_key()
                request.session[FILED_KEY] = tipoff.code
                request.session[CASE_KEY] = {"pk": tipoff.pk, "at": time.time()}
                return redirect("tipoffs:filed")
        return self.page(form)


class FiledView(View):
    """The tracking code, shown once right after filing."""

    def get(self, request):
        code = request.session.pop(FILED_KEY, None)
        if not code:
            return redirect("tipoffs:track")
        shown = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
        return no_store(render(request, "tipoffs/public_filed.html", {"code": shown}))


class TrackView(View):
    """Code + password: the same answer for a missing code and a wrong password, and throttled."""

    def page(self, form):
        return no_store(render(self.request, "tipoffs/public_track.html", {"form": form}))

    def get(self, request):
        return self.page(forms.TrackForm())

    def post(self, request):
        form = forms.TrackForm(request.POST)
        if form.is_valid():
            try:
                tipoff = actions.tipoff_lookup(
                    code=form.cleaned_data["code"], password=form.cleaned_data["password"], client_ip=client_ip(request)
                )
            except actions.LookupRefused as exc:
                form.add_error(None, str(exc))
            else:
                request.session.cycle_key()
                request.session[CASE_KEY] = {"pk": tipoff.pk, "at": time.time()}
                return redirect("tipoffs:case")
        return self.page(form)


def _case(request):
    held = request.session.get(CASE_KEY)
    if not isinstance(held, dict) or time.time() - float(held.get("at", 0)) > CASE_MINUTES * 60:
        request.session.pop(CASE_KEY, None)
        return None
    return Tipoff.objects.select_related("enterprise", "agency").filter(pk=held.get("pk")).first()


class CaseView(View):
    """What the reporter sees: status, deadline, extension reason, result — never the handling notes."""

    def get(self, request, form=None):
        tipoff = _case(request)
        if tipoff is None:
            messages.info(request, _("请输入查询码和查询密码。"))
            return redirect("tipoffs:track")
        open_ = tipoff.state in (TipoffState.RECEIVED, TipoffState.ACCEPTED)
        ctx = {
            "tipoff": tipoff,
            "supplements": tipoff.supplements.all(),
            "attachment_count": tipoff.attachments.count(),
            "form": (form or forms.SupplementForm()) if open_ else None,
            "max_mb": conf.number("TIPOFF_ATTACHMENTS_MAX_MB"),
        }
        return no_store(render(request, "tipoffs/public_case.html", ctx))


class CaseAddView(View):
    def post(self, request):
        tipoff = _case(request)
        if tipoff is None:
            return redirect("tipoffs:track")
        limit = conf.number("TIPOFF_ATTACHMENTS_MAX_MB") * MB
        form = forms.SupplementForm(request.POST, request.FILES)
        if int(request.META.get("CONTENT_LENGTH") or 0) > limit + MB:
            form = forms.SupplementForm(request.POST)
            form.is_valid()
            form.add_error(
                "attachments", _("附件：总大小超过上限 %(limit)d MB，本次未保存任何内容") % {"limit": limit // MB}
            )
            return CaseView.get(self, request, form=form)
        if form.is_valid():
            try:
                actions.tipoff_supplement(
                    tipoff=tipoff,
                    text=form.cleaned_data["text"],
                    attachments=form.cleaned_data["attachments"],
                    client_ip=client_ip(request),
                )
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            else:
                messages.success(request, _("补充材料已提交，谢谢。"))
                return redirect("tipoffs:case")
        return CaseView.get(self, request, form=form)


class CaseLeaveView(View):
    def post(self, request):
        request.session.pop(CASE_KEY, None)
        return redirect("tipoffs:track")


# ---------------------------------------------------------------- handling (login)


TIPOFF = ObjectConfig(
    model=Tipoff,
    filterset=TipoffFilterSet,
    form=None,
    columns=[
        Column("number", gettext_lazy("编号"), sort="id", link=True),
        Column("reported_label", gettext_lazy("被举报对象")),
        Column("category", sort="category"),
        Column("state", sort="state", badge=STATE_TONES),
        Column("assigned_town", sort="assigned_town__sort_order"),
        Column("filed_at", sort="filed_at"),
        Column("deadline", sort="deadline"),
        Column("finding", sort="finding"),
    ],
    detail_fields=[],
    select_related=("enterprise", "agency", "assigned_town"),
    ordering=("-filed_at", "-id"),
    export_fields=[
        "number",
        "reported_label",
        "subject_kind",
        "category",
        "description",
        "state",
        "assigned_town",
        "filed_at",
        "accepted_at",
        "deadline",
        "extension_reason",
        "finding",
        "result",
        "closed_at",
    ],
    routes={"add": "tipoffs:tipoff_list"},  # reports come in through the public form only
)


class TipoffListView(ObjectListView):
    config = TIPOFF


class TipoffExportView(ObjectExportView):
    config = TIPOFF


def _step_forms(user, tipoff, bound=None):
    out = []
    for action in transitions.available(user, tipoff):
        form = bound[1] if bound and bound[0] == action else forms.StepForm(step=action)
        out.append(
            {
                "action": action,
                "label": transitions.ACTIONS[action],
                "form": form,
                "url": reverse("tipoffs:tipoff_step", args=[tipoff.pk, action]),
            }
        )
    return out


def _reward_steps(user, tipoff, reward):
    if not is_handler(user):
        return []
    state = reward.state if reward else None
    return [
        {
            "action": a,
            "label": transitions.REWARD_ACTIONS[a],
            "url": reverse("tipoffs:reward_step", args=[tipoff.pk, a]),
            "form": forms.PaymentForm() if a == "pay" else None,
        }
        for (s, a) in transitions.REWARD_TABLE
        if s == state
    ]


class TipoffDetailView(LoginRequiredMixin, View):
    def get(self, request, pk, bound=None):
        qs = Tipoff.objects.select_related("enterprise", "agency", "assigned_town", "town", "same_matter")
        tipoff = get_visible_or_404(qs, request.user, pk=pk)
        handler = is_handler(request.user)
        if handler:
            actions.record_identity_view(viewer=request.user, tipoffs=[tipoff], where=_("举报详情页"))
        reward = TipoffReward.objects.visible_to(request.user).filter(tipoff=tipoff).first()
        ctx = {
            "tipoff": tipoff,
            "handler": handler,
            "attachments": TipoffAttachment.objects.visible_to(request.user).filter(tipoff=tipoff),
            "supplements": tipoff.supplements.all(),
            "steps": _step_forms(request.user, tipoff, bound),
            "reward": reward,
            "reward_steps": _reward_steps(request.user, tipoff, reward),
            "reward_preview": actions.compute_reward(
                fine_amount=tipoff.fine_amount,
                concealed_deaths=tipoff.concealed_deaths,
                accident_level=tipoff.accident_level,
            )
            if handler and tipoff.state == TipoffState.CLOSED and not reward
            else None,
            "first_real_name": actions.first_real_name(tipoff) if handler else None,
            "identity_views": IdentityAccess.objects.visible_to(request.user)
            .filter(tipoff=tipoff)
            .select_related("viewer")[:20],
            "history": history_rows(tipoff, request.user, 100),
            "overdue": tipoff.state == TipoffState.ACCEPTED and tipoff.deadline and tipoff.deadline < _today(),
        }
        return no_store(render(request, "tipoffs/tipoff_detail.html", ctx))


def _today():
    from django.utils import timezone

    return timezone.localdate()


class TipoffStepView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        tipoff = get_visible_or_404(Tipoff, request.user, pk=pk)
        if action not in transitions.ACTIONS or not transitions.allowed(request.user, tipoff, action):
            raise PermissionDenied
        form = forms.StepForm(request.POST, step=action)
        if form.is_valid():
            try:
                actions.tipoff_transition(actor=request.user, tipoff=tipoff, action=action, **form.cleaned_data)
            except ValidationError as exc:
                _apply_validation_error(form, exc)
            else:
                messages.success(
                    request, _("已%(step)s：%(obj)s") % {"step": transitions.ACTIONS[action], "obj": tipoff.number}
                )
                return redirect(tipoff.get_absolute_url())
        messages.error(request, _("未保存：请按提示修改后重新提交。"))
        return TipoffDetailView.get(self, request, pk, bound=(action, form))


class RewardStepView(LoginRequiredMixin, View):
    def post(self, request, pk, action):
        tipoff = get_visible_or_404(Tipoff, request.user, pk=pk)
        if action not in transitions.REWARD_ACTIONS or not is_handler(request.user):
            raise PermissionDenied
        form = forms.PaymentForm(request.POST)
        form.is_valid()
        try:
            actions.reward_transition(
                actor=request.user, tipoff=tipoff, action=action, payment_note=form.cleaned_data.get("payment_note", "")
            )
            messages.success(request, _("已%(step)s") % {"step": transitions.REWARD_ACTIONS[action]})
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(tipoff.get_absolute_url())


class AttachmentView(LoginRequiredMixin, View):
    def get(self, request, pk):
        att = get_visible_or_404(TipoffAttachment, request.user, pk=pk)
        return serve_stored_document(att.file, name=att.name)


LEDGER_COLUMNS = [
    ("number", gettext_lazy("编号")),
    ("reported_label", gettext_lazy("被举报对象")),
    ("category", None),
    ("state", None),
    ("filed_at", None),
    ("reporter_name", None),
    ("reporter_phone", None),
    ("reporter_contact", None),
    ("finding", None),
    ("fine_amount", None),
    ("reward__amount", gettext_lazy("奖励金额（元）")),
    ("reward__state", gettext_lazy("奖励状态")),
]


class HandlerLedgerView(LoginRequiredMixin, View):
    """The handlers' own ledger (举报人台账): the one export with reporters, for handlers only; each
    report in it is logged as an identity view."""

    def get(self, request):
        if not is_handler(request.user):
            raise PermissionDenied
        rows = (
            Tipoff.objects.visible_to(request.user)
            .select_related("enterprise", "agency", "reward")
            .order_by("-filed_at", "-id")
        )
        actions.record_identity_view(viewer=request.user, tipoffs=list(rows), where=_("举报人台账导出"))
        columns = [(name, label or field_label(Tipoff, name)) for name, label in LEDGER_COLUMNS]
        title = _("举报人台账（保密）")
        return export_queryset(rows, columns, request.user, filename=title, ascii_name="tipoff_ledger", title=title)


class HandlersView(LoginRequiredMixin, View):
    """Who handles reports (举报受理): handlers (and superusers) grant it to county officers, audited."""

    def allowed(self, user):
        if not (user.is_superuser or is_handler(user)):
            raise PermissionDenied

    def get(self, request, form=None):
        self.allowed(request.user)
        county = User.objects.filter(role=Role.COUNTY, is_active=True).order_by("username")
        ids = {u.pk for u in actions.handlers()}
        rows = [{"user": u, "handler": u.pk in ids} for u in county]
        return render(request, "tipoffs/handlers.html", {"rows": rows, "form": form or forms.HandlerForm()})

    def post(self, request):
        self.allowed(request.user)
        form = forms.HandlerForm(request.POST)
        if form.is_valid():
            user = User.objects.filter(username=form.cleaned_data["username"]).first()
            if user is None:
                form.add_error("username", _("用户名：未找到该用户"))
            else:
                try:
                    actions.handler_set(actor=request.user, user=user, grant=form.cleaned_data["grant"])
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("已更新举报受理人员：%(u)s") % {"u": user})
                    return redirect("tipoffs:handlers")
        return self.get(request, form=form)
