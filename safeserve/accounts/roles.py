"""What each role may do: Django permissions granted by role, declared in code.

Every app declares its own grants in a ``roles.py`` module holding ``ROLE_PERMISSIONS``
(role -> iterable of "app_label.codename"); they are merged here. *Which rows* a permitted
action applies to is decided separately by ``Model.objects.visible_to(user, action)``.
"""

from functools import cache

from django.contrib.auth.backends import BaseBackend
from django.utils.module_loading import autodiscover_modules, import_string

from safeserve.core.fieldperms import Except

from .choices import Role

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
CRUD = (VIEW, ADD, CHANGE, DELETE)


def perms(app_label: str, model: str, *actions: str) -> set[str]:
    return {f"{app_label}.{action}_{model}" for action in actions}


@cache
def role_permissions(role: str) -> frozenset[str]:
    from django.apps import apps

    granted: set[str] = set()
    for app in apps.get_app_configs():
        try:
            table = import_string(f"{app.name}.roles.ROLE_PERMISSIONS")
        except ImportError:
            continue
        granted |= set(table.get(role, ()))
    return frozenset(granted)


def discover():
    autodiscover_modules("roles")


class RoleBackend(BaseBackend):
    """Grants the permissions of the user's role, and nothing to a user with no scope."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not getattr(user_obj, "is_active", False) or user_obj.is_anonymous:
            return set()
        if not user_obj.has_scope:
            return set()
        return set(role_permissions(user_obj.role))

    def has_perm(self, user_obj, perm, obj=None):
        # The same answer as ``perm in get_all_permissions()`` without copying the role's whole set
        # on each call (the shell asks once per menu item, every page).
        if obj is not None or not getattr(user_obj, "is_active", False) or user_obj.is_anonymous:
            return False
        return user_obj.has_scope and perm in role_permissions(user_obj.role)


ROLE_PERMISSIONS = {
    Role.COUNTY: perms("accounts", "user", *CRUD) | {"accounts.provision_user"},
    Role.TOWN: {"accounts.provision_user"},
}

# Which fields each role may write (core.fieldperms). Accounts, and with them a user's role, town and
# organisation (which decide the user's scope), are the county's; a town officer only creates
# enterprise accounts of its own town (accounts.actions.provision_rule, ADR 0024) and changes none.
# Superuser and staff flags, Django groups and permissions are never set through the platform;
# passwords only by the account actions. The county also records an officer's 执法证号
# (enforcement_cert_no, covered by its Except below): only certified officers inspect (inspections app).
WRITABLE_FIELDS = {
    "user": {
        Role.COUNTY: Except(
            {"password", "last_login", "is_superuser", "is_staff", "groups", "user_permissions", "date_joined"}
        ),
        Role.TOWN: {"add": {"username", "full_name", "phone", "email", "role", "enterprise"}, "change": set()},
    },
}
