from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from safeserve.core.views import Column, ObjectConfig, ObjectEditView

from . import filters, forms
from .actions import user_save
from .demo import DEMO_PASSWORD, demo_accounts, may_authenticate
from .models import User


class LoginForm(AuthenticationForm):
    """The refusal of demo accounts lives in ``AccountBackend``; the form only explains it."""

    def get_invalid_login_error(self):
        if not may_authenticate(User(username=self.cleaned_data.get("username") or "")):
            return ValidationError(_("演示账号仅在演示环境(DEBUG)中可用。"), code="demo_refused")
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if settings.DEBUG:
            ctx["demo_accounts"] = demo_accounts()
            ctx["demo_password"] = DEMO_PASSWORD
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
        "is_active",
        "last_login",
        "date_joined",
    ],
    select_related=("town", "enterprise", "agency"),
    ordering=("username",),
)


class UserEditView(ObjectEditView):
    """Saving a user also sets the password; everything else is the generic edit."""

    def save(self, obj, form):
        data, _m2m = form.action_data()
        return user_save(
            actor=self.request.user, instance=obj, data=data, password=form.cleaned_data.get("new_password") or ""
        )
