from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
        "registry.Town", verbose_name=_("所属镇(街道)"), null=True, blank=True, on_delete=models.PROTECT
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

    objects = ScopedUserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

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
