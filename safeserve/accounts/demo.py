"""Demo accounts: one per role, refused when DEBUG is off."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEMO_PASSWORD = "Demo-2026!safe"
DEMO_PREFIX = "demo_"


def assert_demo_allowed():
    if not settings.DEBUG:
        raise ImproperlyConfigured("Demo accounts are refused when DEBUG is off (DJANGO_DEBUG=0).")


def is_demo_account(user) -> bool:
    return user.username.startswith(DEMO_PREFIX)


def may_authenticate(user) -> bool:
    """Demo accounts count as inactive for authentication when DEBUG is off.

    Asked by ``accounts.backends.AccountBackend`` for every password check and on every request
    of an open session, so the refusal holds for the login form, HTTP Basic and sessions alike.
    """
    return settings.DEBUG or not is_demo_account(user)


def demo_accounts():
    from .models import User

    return [
        {"username": u.username, "label": f"{u.get_role_display()} · {u.full_name}"}
        for u in User.objects.filter(username__startswith=DEMO_PREFIX, is_active=True).order_by("id")[:20]
    ]
