"""Account writes: audited like every other write; passwords and invite tokens are never logged.

Who may create which account (``provision_rule``): the county bureau any account; a town officer only
enterprise accounts for enterprises of its own town (ADR 0024). Every creation path (the user form,
the .xlsx import, the one-click safety-manager account) ends in ``account_create``.
"""

import hashlib
import secrets
import string
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import actions as core_actions
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.core.fieldperms import check_writable

from .choices import Role
from .hashers import hash_initial_password
from .models import AccountInvite, User

REDACTED = ["***", "***"]
DEFAULT_INVITE_HOURS = 72


def invite_hours() -> int:
    return int(getattr(settings, "SAFESERVE", {}).get("INVITE_HOURS", DEFAULT_INVITE_HOURS))


# ----------------------------------------------------------------------------- who may create what


class ProvisionRule:
    """What an actor may provision: which roles, and (for a town officer) which town's enterprises."""

    def __init__(self, actor):
        self.actor = actor
        self.county = bool(actor and actor.is_authenticated and actor.has_perm("accounts.add_user"))
        self.town_id = (
            actor.town_id if actor and actor.is_authenticated and actor.role == Role.TOWN and actor.has_scope else None
        )

    def __bool__(self):
        return self.county or self.town_id is not None

    @property
    def roles(self) -> list[str]:
        if self.county:
            return list(Role.values)
        return [Role.ENTERPRISE] if self.town_id else []

    def enterprises(self):
        """The enterprises the actor may link an account to (read through visible_to)."""
        enterprise = apps.get_model("registry", "Enterprise")
        if not self:
            return enterprise.objects.none()
        rows = enterprise.objects.visible_to(self.actor)
        return rows if self.county else rows.filter(town_id=self.town_id)

    def allows(self, data: dict) -> bool:
        if self.county:
            return True
        if self.town_id is None or data.get("role") != Role.ENTERPRISE:
            return False
        ent = data.get("enterprise")
        return ent is not None and ent.town_id == self.town_id and self.enterprises().filter(pk=ent.pk).exists()


def provision_rule(actor) -> ProvisionRule:
    return ProvisionRule(actor)


# ----------------------------------------------------------------------------- passwords and tokens

_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
_PASSWORD_SYMBOLS = "-_!@#%+="


def generate_password(length: int = 14) -> str:
    """A random initial password that passes the project's validators (ADR 0004)."""
    while True:
        chars = [secrets.choice(_PASSWORD_ALPHABET) for _ in range(length - 2)]
        chars += [secrets.choice(_PASSWORD_SYMBOLS), secrets.choice(string.digits[2:])]
        secrets.SystemRandom().shuffle(chars)
        pw = "".join(chars)
        # Starts with a letter or digit: a spreadsheet never takes it for a formula (core.excel).
        if pw[0].isalnum() and any(c.islower() for c in pw) and any(c.isupper() for c in pw):
            try:
                validate_password(pw)
            except ValidationError:
                continue
            return pw


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ----------------------------------------------------------------------------- writes


@transaction.atomic
def user_save(*, actor, instance=None, data: dict, password: str = ""):
    """The account form: a password the bureau chose is an initial one, to be changed at first login."""
    if instance is None:
        return core_actions.create_record(
            actor=actor,
            model=User,
            data={**data, "password": make_password(password), "must_change_password": True},
            system_fields=("password", "must_change_password"),
        )
    user = core_actions.update_record(actor=actor, instance=instance, data=data)
    if password:
        user.set_password(password)
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=user,
            changes={"password": REDACTED, "must_change_password": [False, True]},
            note="密码已重置",
        )
    return user


@transaction.atomic
def account_create(*, actor, data: dict, password: str | None = None, note: str = "") -> User:
    """Create one account. ``password``: an initial password (must be changed at first login);
    ``None``: no usable password yet (the user sets one through an invite)."""
    rule = provision_rule(actor)
    if not rule.allows(data):
        raise PermissionDenied(_("您无权创建该账号"))
    check_writable(actor=actor, model=User, data=data)
    user = User(**data)
    if password is None:
        user.set_unusable_password()
    else:
        user.password = hash_initial_password(password)
        user.must_change_password = True
    user.full_clean()
    user.save()
    record(actor=actor, action=AuditAction.CREATE, instance=user, changes=diff({}, snapshot(user)), note=note)
    return user


@transaction.atomic
def accounts_import(*, actor, rows: list[dict], note: str = "") -> list[tuple[User, str]]:
    """Create every account of an import or none: one failure rolls the whole file back."""
    created = []
    for data in rows:
        password = generate_password()
        created.append((account_create(actor=actor, data=data, password=password, note=note), password))
    return created


@transaction.atomic
def invite_create(*, actor, user: User) -> str:
    """A new single-use invite for ``user``; earlier unused ones stop working. Returns the token (shown once)."""
    now = timezone.now()
    for old in user.invites.select_for_update().filter(used_at__isnull=True, expires_at__gt=now):
        before = snapshot(old)
        old.expires_at = now
        old.save(update_fields=["expires_at"])
        record(actor=actor, action=AuditAction.UPDATE, instance=old, changes=diff(before, snapshot(old)), note="已作废")
    token = secrets.token_urlsafe(32)
    invite = AccountInvite(
        user=user, token_hash=token_hash(token), created_by=actor, expires_at=now + timedelta(hours=invite_hours())
    )
    invite.full_clean()
    invite.save()
    record(actor=actor, action=AuditAction.CREATE, instance=invite, changes=diff({}, snapshot(invite)))
    return token


def safety_manager_username(enterprise) -> str:
    return f"qy{enterprise.credit_code}".lower()


@transaction.atomic
def safety_manager_account(*, actor, enterprise) -> tuple[User, str, bool]:
    """The enterprise's safety manager (安全管理员) account and a fresh invite for it.

    Returns (user, invite token, created). An existing account that has never been used gets a new
    invite (the old one stops working); one that has signed in is refused: reset its password instead.
    """
    data = {
        "username": safety_manager_username(enterprise),
        "full_name": enterprise.safety_manager,
        "phone": enterprise.safety_manager_phone,
        "role": Role.ENTERPRISE,
        "enterprise": enterprise,
    }
    if not provision_rule(actor).allows(data):
        raise PermissionDenied(_("您无权为该企业开通账号"))
    if not enterprise.safety_manager:
        raise ValidationError(_("该企业未登记安全管理人员姓名，请先在企业信息中补充"))
    user = User.objects.filter(username=data["username"]).first()
    created = user is None
    if created:
        user = account_create(actor=actor, data=data, note="一键开通企业安全管理员账号")
    elif user.enterprise_id != enterprise.pk or user.last_login is not None or user.has_usable_password():
        raise ValidationError(_("该企业的安全管理员账号已启用；如需重置，请联系县局在账号管理中重置密码"))
    return user, invite_create(actor=actor, user=user), created


class InviteInvalid(Exception):
    pass


def invite_lookup(token: str) -> AccountInvite:
    """The usable invite of ``token``, or InviteInvalid (unknown, used, expired, inactive user)."""
    if not token or len(token) > 100:
        raise InviteInvalid
    invite = AccountInvite.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if invite is None or invite.used_at is not None or invite.expires_at <= timezone.now():
        raise InviteInvalid
    if not invite.user.is_active:
        raise InviteInvalid
    return invite


@transaction.atomic
def invite_accept(*, token: str, password: str) -> User:
    """Set the user's own password through the invite; the invite cannot be used again."""
    invite = invite_lookup(token)
    invite = AccountInvite.objects.select_for_update().select_related("user").get(pk=invite.pk)
    if invite.used_at is not None:
        raise InviteInvalid
    user = invite.user
    validate_password(password, user)
    invite.used_at = timezone.now()
    invite.save(update_fields=["used_at"])
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    record(actor=user, action=AuditAction.UPDATE, instance=invite, changes={"used_at": [None, "set"]}, note="已使用")
    record(
        actor=user,
        action=AuditAction.UPDATE,
        instance=user,
        changes={"password": REDACTED},
        note="通过邀请链接设置密码",
    )
    return user


@transaction.atomic
def password_changed(*, user: User) -> None:
    """The user chose a new password (Django's form saved it): the initial-password flag goes."""
    user = User.objects.get(pk=user.pk)
    changes = {"password": REDACTED}
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
        changes["must_change_password"] = [True, False]
    record(actor=user, action=AuditAction.UPDATE, instance=user, changes=changes, note="本人修改密码")
