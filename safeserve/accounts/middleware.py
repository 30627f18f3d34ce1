"""An initial password (chosen by someone else) must be changed before anything else is done."""

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
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
