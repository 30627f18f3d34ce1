"""An initial password (chosen by someone else) must be changed before anything else is done."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _


class MustChangePasswordMiddleware:
    """A signed-in user whose ``must_change_password`` is set reaches only the password change page,
    logout and static files; pages redirect there, htmx requests are redirected by header, and the
    API answers 403 with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "must_change_password", False):
            target = reverse("password_change")
            allowed = (target, reverse("password_change_done"), reverse("logout"), "/static/", "/i18n/")
            if not request.path.startswith(allowed):
                reason = _("请先修改初始密码后再使用系统。")
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": reason}, status=403)
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                messages.warning(request, reason)
                return redirect(target)
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has expired is sent to the login page as a whole page.

    Otherwise htmx follows the redirect and swaps the login form into a list's table. The login
    page then says the session timed out (``LoginView``) and returns to the page the user was on.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") and response.status_code == 302:
            login = resolve_url(settings.LOGIN_URL)
            if response["Location"].startswith(login):
                current = urlsplit(request.headers.get("HX-Current-URL", ""))
                back = current.path + (f"?{current.query}" if current.query else "") if current.path else request.path
                response = HttpResponse(status=204)
                response["HX-Redirect"] = f"{login}?{urlencode({'next': back})}"
        return response
