from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from safeserve.core.forms import EnterpriseByCodeField, ScopedModelForm

from .models import ROLE_LINK, User


class UserForm(ScopedModelForm):
    enterprise = EnterpriseByCodeField(label=_("所属企业"), required=False)
    new_password = forms.CharField(
        label=_("设置密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("新建账号时必填；编辑时留空则不修改"),
    )

    class Meta:
        model = User
        fields = [
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
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        field = self.fields["enterprise"]
        field.queryset = field.queryset.model.objects.visible_to(user)

    def clean(self):
        data = super().clean()
        role = data.get("role")
        # Keep only the link the role hangs on, so a stale link never widens a scope.
        for link in {v for v in ROLE_LINK.values() if v}:
            if link != ROLE_LINK.get(role):
                data[link] = None
        pw = data.get("new_password")
        if not self.instance.pk and not pw:
            self.add_error("new_password", _("新建账号须设置密码"))
        if pw:
            try:
                validate_password(pw, self.instance)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return data

    def action_data(self):
        data, m2m = super().action_data()
        data.pop("new_password", None)
        return data, m2m
