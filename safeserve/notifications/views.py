from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from safeserve.core.scoping import get_visible_or_404

from . import actions
from .models import Notification


class InboxView(LoginRequiredMixin, View):
    def get(self, request):
        qs = Notification.objects.visible_to(request.user)
        if request.GET.get("unread"):
            qs = qs.filter(read_at__isnull=True)
        page = Paginator(qs, 30).get_page(request.GET.get("page"))
        return render(request, "notifications/inbox.html", {"page": page})

    def post(self, request):
        actions.mark_read(actor=request.user)
        return redirect("notifications:inbox")


class OpenView(LoginRequiredMixin, View):
    """Mark one message read and follow its link."""

    def post(self, request, pk):
        n = get_visible_or_404(Notification, request.user, pk=pk)
        actions.mark_read(actor=request.user, ids=[n.pk])
        if n.link and url_has_allowed_host_and_scheme(n.link, allowed_hosts={request.get_host()}):
            return redirect(n.link)
        return redirect("notifications:inbox")
