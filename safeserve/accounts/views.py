import io
import secrets
import tempfile
from pathlib import Path

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from safeserve.core.display import display_value
from safeserve.core.excel import workbook_response
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.views import Column, ObjectConfig, ObjectEditView

from . import account_import, filters, forms
from .actions import (
    InviteInvalid,
    accounts_import,
    invite_accept,
    invite_hours,
    invite_lookup,
    password_changed,
    provision_rule,
    safety_manager_account,
    safety_manager_username,
    user_save,
)
from .demo import DEMO_PASSWORD, demo_accounts, may_authenticate
from .models import ROLE_LINK, User


class LoginForm(AuthenticationForm):
    """The refusal of demo accounts lives in ``AccountBackend``; the form only explains it."""

    def get_invalid_login_error(self):
        if not may_authenticate(User(username=self.cleaned_data.get("username") or "")):
            return ValidationError(gettext_lazy("演示账号仅在演示环境（DEBUG）中可用。"), code="demo_refused")
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if settings.DEBUG:
            ctx["demo_accounts"] = demo_accounts()
            ctx["demo_password"] = DEMO_PASSWORD
        # A session cookie that no longer opens a session, on the way back to a page: it timed out.
        request = self.request
        ctx["expired"] = bool(
            request.GET.get("next")
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not request.user.is_authenticated
        )
        return ctx


USER = ObjectConfig(
    model=User,
    filterset=filters.UserFilterSet,
    form=forms.UserForm,
    columns=[
        Column("username", sort="username", link=True),
        Column("full_name", sort="full_name"),
        Column("role", sort="role"),
        Column("town"),
        Column("enterprise"),
        Column("agency"),
        Column("is_active", sort="is_active"),
        Column("last_login", sort="last_login"),
    ],
    detail_fields=[
        "username",
        "full_name",
        "phone",
        "email",
        "role",
        "town",
        "enterprise",
        "agency",
        "expert",
        "insurer",
        "association",
        "enforcement_cert_no",
        "is_active",
        "last_login",
        "date_joined",
    ],
    select_related=("town", "enterprise", "agency"),
    ordering=("username",),
    extra_actions=[("accounts:user_import", gettext_lazy("批量开通"))],
)


class UserEditView(ObjectEditView):
    """Saving a user also sets the password; everything else is the generic edit."""

    def save(self, obj, form):
        data, _m2m = form.action_data()
        return user_save(
            actor=self.request.user, instance=obj, data=data, password=form.cleaned_data.get("new_password") or ""
        )


# ----------------------------------------------------------------------------- provisioning (ADR 0024)

IMPORT_SESSION_KEY = "accounts_import"
CREDENTIALS_SALT = "safeserve.accounts.credentials"
CREDENTIALS_MAX_AGE = 30 * 60
INVITE_THROTTLE_USERNAME = "账号邀请链接"  # axes counts failed invite tokens per (this, IP address)


def no_store(response):
    """A page that shows a password or an invite link once: never cached, never kept by the browser."""
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response


class ProvisionAccess(View):
    """Login required, then someone who may create accounts (the county; a town officer)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.rule = provision_rule(request.user)
        if not self.rule:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccountImportView(ProvisionAccess):
    """Upload → preview with every problem → confirm → the initial passwords, shown once."""

    template_name = "accounts/import.html"

    def render_page(self, **extra):
        context = {"max_rows": account_import.MAX_ROWS, "headers": account_import.COLUMNS, **extra}
        return no_store(render(self.request, self.template_name, context))

    def get(self, request):
        return self.render_page()

    def post(self, request):
        action = request.POST.get("action", "upload")
        if action == "confirm":
            return self.confirm(request.POST.get("token") or "")
        if action == "cancel":
            request.session.pop(IMPORT_SESSION_KEY, None)
            messages.info(request, _("已取消本次导入"))
            return redirect("accounts:user_import")
        return self.upload(request.FILES.get("file"))

    def upload(self, upload):
        self.request.session.pop(IMPORT_SESSION_KEY, None)
        if upload is None:
            return self.render_page(upload_error=_("请选择要上传的 .xlsx 文件"))
        if not upload.name.lower().endswith(".xlsx"):
            return self.render_page(upload_error=_("只能上传 .xlsx 格式的 Excel 文件"))
        if upload.size > account_import.MAX_BYTES:
            return self.render_page(
                upload_error=_("文件过大，上限为 %(limit)d MB") % {"limit": account_import.MAX_BYTES // (1024 * 1024)}
            )
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as tmp:
            for chunk in upload.chunks():
                tmp.write(chunk)
            tmp.flush()
            parsed = account_import.parse(self.request.user, tmp.name)
        if parsed.errors and parsed.errors[0].row is None:
            return self.render_page(upload_error=parsed.errors[0].reason)
        name = Path(upload.name).name[:200]
        token = ""
        if parsed.ok:
            # The checked cells (never a password: those are made at confirmation), to re-check then.
            token = secrets.token_urlsafe(24)
            self.request.session[IMPORT_SESSION_KEY] = {"token": token, "name": name, "cells": parsed.cells}
        return self.render_page(parsed=parsed, token=token, filename=name, **self._errors(parsed))

    @staticmethod
    def _errors(parsed):
        return {"error_lines": [e.display() for e in parsed.errors], "bad_rows": {e.row for e in parsed.errors}}

    def confirm(self, token):
        pending = self.request.session.pop(IMPORT_SESSION_KEY, None)
        if not pending or not secrets.compare_digest(pending["token"].encode(), token.encode()):
            messages.error(self.request, _("本次导入已完成或已失效，请重新上传"))
            return redirect("accounts:user_import")
        parsed = account_import.validate(self.request.user, [(n, cells) for n, cells in pending["cells"]])
        if not parsed.ok:  # the database changed since the preview (e.g. a username was taken)
            return self.render_page(parsed=parsed, filename=pending["name"], **self._errors(parsed))
        try:
            created = accounts_import(actor=self.request.user, rows=parsed.rows, note=f"批量导入：{pending['name']}")
        except ValidationError as exc:  # a race past the second check: nothing was created
            messages.error(self.request, exc.messages[0])
            return redirect("accounts:user_import")
        rows = [
            [u.username, u.full_name, str(u.get_role_display()), str(getattr(u, ROLE_LINK[u.role] or "", "") or ""), pw]
            for u, pw in created
        ]
        sheet = signing.dumps({"by": self.request.user.pk, "rows": rows}, salt=CREDENTIALS_SALT, compress=True)
        return self.render_page(created=rows, sheet=sheet, filename=pending["name"])


class AccountTemplateView(ProvisionAccess):
    def get(self, request):
        buf = io.BytesIO()
        account_import.template_workbook(request.user).save(buf)
        buf.seek(0)
        return FileResponse(
            buf,
            as_attachment=True,
            filename=_("账号批量开通模板") + ".xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )


class CredentialSheetView(ProvisionAccess):
    """The one-time credential sheet: rebuilt from the signed rows the result page carries.

    Nothing is stored on the server; only the officer who ran the import can turn the page's rows
    into a workbook, within half an hour.
    """

    def post(self, request):
        try:
            data = signing.loads(request.POST.get("sheet", ""), salt=CREDENTIALS_SALT, max_age=CREDENTIALS_MAX_AGE)
        except signing.BadSignature:
            raise PermissionDenied(_("凭据表已过期，请联系相关用户通过修改密码或重置密码处理")) from None
        if data.get("by") != request.user.pk:
            raise PermissionDenied
        headers = [_("用户名"), _("姓名"), _("角色"), _("所属单位"), _("初始密码")]
        return no_store(
            workbook_response(_("账号初始密码"), [(_("初始密码（首次登录须修改）"), headers, data["rows"])])
        )


class SafetyManagerAccountView(ProvisionAccess):
    """One click on the enterprise page: its safety manager's account and a single-use invite link."""

    def enterprise(self, pk):
        return get_visible_or_404(apps.get_model("registry", "Enterprise"), self.request.user, pk=pk)

    def get(self, request, pk):
        enterprise = self.enterprise(pk)
        if not self.rule.enterprises().filter(pk=enterprise.pk).exists():
            raise PermissionDenied
        username = safety_manager_username(enterprise)
        manager = User.objects.filter(username=username).first()
        state, can_create = "", bool(enterprise.safety_manager)
        if not enterprise.safety_manager:
            state = _("该企业未登记安全管理人员姓名，请先在企业信息中补充")
        elif manager is not None and (manager.last_login or manager.has_usable_password()):
            state, can_create = _("该企业的安全管理员账号已启用；如需重置，请联系县局在账号管理中重置密码"), False
        context = {
            "enterprise": enterprise,
            "manager": manager,
            "username": username,
            "phone": display_value(enterprise, "safety_manager_phone", request.user),
            "state": state,
            "can_create": can_create,
            "hours": invite_hours(),
        }
        return render(request, "accounts/safety_manager_confirm.html", context)

    def post(self, request, pk):
        enterprise = self.enterprise(pk)
        try:
            user, token, created = safety_manager_account(actor=request.user, enterprise=enterprise)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            return redirect("accounts:safety_manager_account", pk=enterprise.pk)
        link = request.build_absolute_uri(reverse("accounts:invite", args=[token]))
        context = {
            "enterprise": enterprise,
            "account": user,
            "created": created,
            "link": link,
            "hours": invite_hours(),
        }
        return no_store(render(request, "accounts/invite_created.html", context))


def _throttled(request) -> bool:
    return not AxesProxyHandler.is_allowed(request, {"username": INVITE_THROTTLE_USERNAME})


def _count_failure(request):
    user_login_failed.send(sender=__name__, credentials={"username": INVITE_THROTTLE_USERNAME}, request=request)


class InviteView(View):
    """The invite door (no login): a valid token lets its user choose a password, once."""

    def dispatch(self, request, token):
        if _throttled(request):
            return get_lockout_response(request, None, {"username": INVITE_THROTTLE_USERNAME})
        try:
            self.invite = invite_lookup(token)
        except InviteInvalid:
            _count_failure(request)
            if getattr(request, "axes_locked_out", False):
                return get_lockout_response(request, None, {"username": INVITE_THROTTLE_USERNAME})
            return no_store(render(request, "accounts/invite_invalid.html", status=404))
        self.token = token
        return super().dispatch(request)

    def page(self, form):
        ctx = {"form": form, "account": self.invite.user}
        return no_store(render(self.request, "accounts/invite_set_password.html", ctx))

    def get(self, request):
        return self.page(SetPasswordForm(self.invite.user))

    def post(self, request):
        form = SetPasswordForm(self.invite.user, request.POST)
        if not form.is_valid():
            return self.page(form)
        try:
            invite_accept(token=self.token, password=form.cleaned_data["new_password1"])
        except InviteInvalid:
            return no_store(render(request, "accounts/invite_invalid.html", status=404))
        messages.success(request, _("密码已设置，请使用新密码登录。"))
        return redirect("login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's form; saving it also clears the initial-password flag and is audited."""

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(user=form.user)
        messages.success(self.request, _("密码已修改。"))
        return response
