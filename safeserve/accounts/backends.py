"""The one authentication check every door honours (session login, HTTP Basic, any token).

Django's ``ModelBackend`` asks ``user_can_authenticate`` both when a password is checked
(``authenticate``, used by the login form and DRF's Basic authentication) and when a session is
read back on each request (``get_user``, used by the session middleware and DRF's session
authentication). Refusing a user here therefore closes every door at once, including sessions
that were opened before the refusal applied.
"""

from django.contrib.auth.backends import ModelBackend

from .demo import may_authenticate


class AccountBackend(ModelBackend):
    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and may_authenticate(user)
