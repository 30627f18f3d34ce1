from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.scoping import ALL, ScopedManager


class Level(models.TextChoices):
    INFO = "info", _("提示")
    WARNING = "warning", _("警告")
    URGENT = "urgent", _("紧急")


class Notification(models.Model):
    """One message in one user's in-app inbox. ``dedup_key`` makes a notice idempotent per user."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类别"), max_length=50)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    dedup_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedup_key"], name="notification_once_per_key"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self):
        return self.title

    @classmethod
    def scope_q(cls, user, action):
        # Everyone sees only their own inbox, whatever their role.
        return models.Q(recipient=user)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    UNKNOWN = "unknown", _("结果未知")


class Delivery(models.Model):
    """One notification through one channel (log, email, sms, webhook): the job's ledger.

    Written ``pending`` in the transaction that writes the notification; the delivery job claims it
    (``pending`` -> ``sending``, one conditional UPDATE), sends, then records ``sent``, or
    ``pending`` again with a later ``next_attempt_at`` (retry with backoff), or ``failed`` after the
    last attempt. A row left ``sending`` by a crashed worker becomes ``unknown``: it is never resent
    automatically (docs/decisions/0017-queued-delivery.md).
    """

    notification = models.ForeignKey(
        Notification, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=20)
    status = models.CharField(_("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    detail = models.CharField(_("详情"), max_length=500, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_once_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.channel}: {self.get_status_display()}"

    @property
    def ok(self) -> bool:
        return self.status == DeliveryStatus.SENT

    @classmethod
    def scope_q(cls, user, action):
        # Delivery failures are the county's to watch and retry; every other role sees none.
        return ALL if user.role == Role.COUNTY else None
