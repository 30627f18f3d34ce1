"""Filters of the inbox (消息) and of the county's delivery list: validated like every list's."""

import django_filters
from django.utils.translation import gettext_lazy as _

from safeserve.core.filters import ScopedFilterSet

from .models import Delivery, DeliveryStatus, Level, Notification

UNDELIVERED = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN, DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class NotificationFilterSet(ScopedFilterSet):
    search_fields = ("title__icontains", "body__icontains")
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label=_("未读"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("级别"))
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("起始日期"))
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("截止日期"))

    class Meta:
        model = Notification
        fields = ["unread", "level"]


class DeliveryFilterSet(ScopedFilterSet):
    """Without a status: the deliveries that have not gone out (failed, unknown, pending, sending)."""

    search_fields = ("notification__title__icontains", "last_error__icontains")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices, label=_("状态"))

    class Meta:
        model = Delivery
        fields = ["status", "channel"]

    def rows(self, qs):
        """The filtered rows; without a chosen status, only those not delivered."""
        status = self.form.cleaned_data.get("status") if self.is_bound and self.is_valid() else None
        return qs if status else qs.filter(status__in=UNDELIVERED)
