from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views import View

from safeserve.core.excel import export_queryset
from safeserve.core.filters import describe_filters, filter_period
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.views import bad_input, filtered_or_none, mark_download

from . import actions
from .filters import DeliveryFilterSet, NotificationFilterSet
from .models import Delivery, Notification

INBOX_COLUMNS = [
    ("created_at", _l("时间")),
    ("level", _l("级别")),
    ("title", _l("标题")),
    ("body", _l("内容")),
    ("read_at", _l("已读时间")),
]
DELIVERY_COLUMNS = [
    ("created_at", _l("时间")),
    ("notification__recipient", _l("接收人")),
    ("channel", _l("渠道")),
    ("notification__title", _l("标题")),
    ("status", _l("状态")),
    ("attempts", _l("尝试次数")),
    ("last_error", _l("最近错误")),
    ("next_attempt_at", _l("下次尝试时间")),
]


def _listing(request, filterset_class, base):
    """(filterset, rows, page query string): the same validation as every list (core.views)."""
    fs = filterset_class(request.GET or None, queryset=base, request=request)
    query = request.GET.copy()
    query.pop("page", None)
    qs = filtered_or_none(fs, base)
    return fs, (fs.rows(qs) if hasattr(fs, "rows") else qs), query.urlencode()


def _export(request, filterset_class, base, columns, title, ascii_name):
    fs, qs, _query = _listing(request, filterset_class, base)
    if fs.is_bound and not fs.is_valid():
        return bad_input(request, fs.form)
    resp = export_queryset(
        qs,
        [(name, str(label)) for name, label in columns],
        request.user,
        filename=str(title),
        ascii_name=ascii_name,
        title=str(title),
        conditions=describe_filters(fs),
        period=filter_period(fs),
    )
    return mark_download(request, resp)


class InboxView(LoginRequiredMixin, View):
    def get(self, request):
        fs, qs, query = _listing(request, NotificationFilterSet, Notification.objects.visible_to(request.user))
        page = Paginator(qs, 30).get_page(request.GET.get("page"))
        return render(
            request,
            "notifications/inbox.html",
            {
                "page": page,
                "filterset": fs,
                "querystring": query,
                "export_url": reverse("notifications:inbox_export") + (f"?{query}" if query else ""),
            },
        )

    def post(self, request):
        actions.mark_read(actor=request.user)
        return redirect("notifications:inbox")


class InboxExportView(LoginRequiredMixin, View):
    """The user's own messages (消息), filtered as on the page."""

    def get(self, request):
        base = Notification.objects.visible_to(request.user).order_by("-created_at", "-id")
        return _export(request, NotificationFilterSet, base, INBOX_COLUMNS, _("消息"), "messages")


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

    def get(self, request):
        base = Delivery.objects.visible_to(request.user).select_related("notification__recipient")
        fs, qs, query = _listing(request, DeliveryFilterSet, base.order_by("-created_at", "-id"))
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        can_retry = request.user.has_perm("notifications.change_delivery")
        return render(
            request,
            "notifications/delivery_list.html",
            {
                "page": page,
                "filterset": fs,
                "querystring": query,
                "can_retry": can_retry,
                "retryable": set(actions.RETRYABLE),
                "export_url": reverse("notifications:delivery_export") + (f"?{query}" if query else ""),
            },
        )


class DeliveryExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = "notifications.view_delivery"

    def get(self, request):
        base = (
            Delivery.objects.visible_to(request.user)
            .select_related("notification__recipient")
            .order_by("-created_at", "-id")
        )
        return _export(request, DeliveryFilterSet, base, DELIVERY_COLUMNS, _("消息投递"), "deliveries")


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
                _("已重新排队发送：%(channel)s → %(user)s")
                % {
                    "channel": d.channel,
                    "user": d.notification.recipient,
                },
            )
        return redirect("notifications:delivery_list")
