from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from safeserve.core.scoping import get_visible_or_404

from . import actions
from .models import Delivery, DeliveryStatus, Notification


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


class DeliveryListView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """The county's view of deliveries that have not gone out: failed, unknown, or still pending."""

    permission_required = "notifications.view_delivery"
    SHOWN = {
        "": (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN, DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        **{s.value: (s.value,) for s in DeliveryStatus},
    }

    def get(self, request):
        status = request.GET.get("status", "")
        statuses = self.SHOWN.get(status, self.SHOWN[""])
        qs = (
            Delivery.objects.visible_to(request.user)
            .filter(status__in=statuses)
            .select_related("notification__recipient")
            .order_by("-created_at", "-id")
        )
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        can_retry = request.user.has_perm("notifications.change_delivery")
        return render(
            request,
            "notifications/delivery_list.html",
            {
                "page": page,
                "status": status if status in self.SHOWN else "",
                "statuses": DeliveryStatus.choices,
                "can_retry": can_retry,
                "retryable": set(actions.RETRYABLE),
            },
        )


class DeliveryRetryView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "notifications.change_delivery"

    def post(self, request, pk):
        try:
            d = actions.delivery_retry(actor=request.user, delivery_id=pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("已重新排队发送:%(channel)s → %(user)s")
                % {
                    "channel": d.channel,
                    "user": d.notification.recipient,
                },
            )
        return redirect("notifications:delivery_list")
