from django.conf import settings
from django.contrib.auth import views as auth_views

from .demo import DEMO_PASSWORD, demo_accounts


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if settings.DEBUG:
            ctx["demo_accounts"] = demo_accounts()
            ctx["demo_password"] = DEMO_PASSWORD
        return ctx
