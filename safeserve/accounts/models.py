from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from safeserve.core.models import choice_display
from safeserve.core.scoping import ScopedQuerySet

from .choices import Role


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


# Which link a role's data scope hangs on. A role whose link is empty sees nothing (fail closed).
ROLE_LINK = {
    Role.COUNTY: None,
    Role.TOWN: "town",
    Role.ENTERPRISE: "enterprise",
    Role.AGENCY: "agency",
    Role.EXPERT: "expert",
    Role.INSURER: "insurer",
    Role.ASSOCIATION: "association",
}


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, blank=True)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    town = models.ForeignKey(
        "registry.Town", verbose_name=_("所属镇（街道）"), null=True, blank=True, on_delete=models.PROTECT
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("所属企业"), null=True, blank=True, on_delete=models.PROTECT
    )
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("所属服务机构"), null=True, blank=True, on_delete=models.PROTECT
    )
    expert = models.ForeignKey(
        "registry.Expert", verbose_name=_("专家档案"), null=True, blank=True, on_delete=models.PROTECT
    )
    insurer = models.ForeignKey(
        "registry.Insurer", verbose_name=_("所属保险机构"), null=True, blank=True, on_delete=models.PROTECT
    )
    association = models.ForeignKey(
        "registry.Association", verbose_name=_("所属行业协会"), null=True, blank=True, on_delete=models.PROTECT
    )
    # 执法证号: only an officer holding one may be drawn as an inspector or sign an inspection record.
    enforcement_cert_no = models.CharField(_("执法证号"), max_length=30, blank=True)
    # Set when someone else chose the password (bulk creation, a reset by the bureau); cleared when the
    # user sets their own. Not editable: only accounts.actions sets it, and the middleware enforces it.
    must_change_password = models.BooleanField(_("须修改初始密码"), default=False, editable=False)

    objects = ScopedUserManager()

    pii_fields = {"phone": "phone"}  # masked by core.display like every model's (ADR 0023)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        # Creating accounts for others without managing every account: a town officer for its own
        # town's enterprises (accounts.actions.provision_rule).
        permissions = [("provision_user", _("开通账号"))]

    def _get_FIELD_display(self, field):  # get_role_display(), on every page's header: a cached table
        return choice_display(self, field)

    def __str__(self):
        return self.full_name or self.username

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("accounts:user_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        # Accounts are managed by the county bureau; everyone else manages only their password.
        from django.db.models import Q

        return Q() if user.role == Role.COUNTY else None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        """A user's own phone: the person and the county bureau, which manages accounts."""
        return bool(
            user and user.is_authenticated and (user.pk == self.pk or user.is_superuser or user.role == Role.COUNTY)
        )

    @property
    def scope_id(self):
        """The id of the organisation the user's data scope hangs on, or None."""
        link = ROLE_LINK.get(self.role)
        return getattr(self, f"{link}_id") if link else None

    @property
    def has_scope(self) -> bool:
        if not self.is_active or not self.role:
            return False
        return self.role == Role.COUNTY or self.scope_id is not None

    def clean(self):
        super().clean()
        link = ROLE_LINK.get(self.role)
        if link and not getattr(self, f"{link}_id"):
            raise ValidationError({link: _("该角色必须关联所属单位")})


class AccountInvite(models.Model):
    """A single-use, expiring link with which a new user sets their own password (ADR 0024).

    Only the SHA-256 of the token is stored: the link is shown once, to the officer who created it.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="invites")
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        User, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("有效期至"), editable=False)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True, editable=False)

    audit_redacted_fields = ("token_hash",)

    class Meta:
        verbose_name = _("账号邀请")
        verbose_name_plural = _("账号邀请")
        ordering = ["-created_at"]

    def __str__(self):
        return str(_("%(user)s 的账号邀请") % {"user": self.user})

    @classmethod
    def scope_q(cls, user, action):
        return None  # read only through the token; no list anywhere
