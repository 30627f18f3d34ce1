from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from safeserve.core.scoping import ScopedManager


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


class Delivery(models.Model):
    """What each channel did with a notification (log, email, sms, webhook)."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("渠道"), max_length=20)
    ok = models.BooleanField(_("成功"), default=True)
    detail = models.CharField(_("详情"), max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")

    def __str__(self):
        return f"{self.channel}: {self.detail}"
