from functools import cache

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.choices import CallableChoiceIterator
from django.utils.hashable import make_hashable
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .scoping import ALL, ScopedManager


def choice_labels(choices, values) -> str:
    """Stored choice codes (a JSON list field) as their labels joined with 、 for pages and exports;
    a code no longer among the choices shows as itself."""
    labels = dict(choices)
    return "、".join(str(labels.get(v, v)) for v in values or [])


@cache
def _choice_table(field, language) -> dict:
    return {make_hashable(value): str(label) for value, label in field.flatchoices}


def choice_display(obj, field):
    """What Django's ``obj.get_<field>_display()`` returns, from a {value: label} table kept per field
    and language. Django builds that dict on every call, and hashing each lazy label translates it:
    a list page's 50 rows × a few choice columns spent ~10 % of its CPU there (docs/benchmarks.md).
    Choices computed at run time (a callable) are read each time, as Django does."""
    if isinstance(field.choices, CallableChoiceIterator):
        return models.Model._get_FIELD_display(obj, field)
    value = getattr(obj, field.attname)
    return _choice_table(field, get_language()).get(make_hashable(value), value)


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):  # every get_<field>_display() of the models below
        return choice_display(self, field)


class ScopedModel(TimeStampedModel):
    """A model whose rows are reached only through ``objects.visible_to(user)``.

    ``pii_fields`` maps a field name to a mask kind ("phone" or "id"); such fields are masked
    for every user for whom ``pii_visible_to(user, name)`` is false, on every page, API, export and
    history (``core.display``). Declared once per model; who sees what is docs/decisions/0023-exports.md.
    """

    pii_fields: dict[str, str] = {}

    objects = ScopedManager()

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, user, action):  # pragma: no cover - every concrete model overrides
        return None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        return bool(user and user.is_authenticated and (user.is_superuser or user.role == "county"))


class AuditAction(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    IMPORT = "import", _("导入")
    TRANSITION = "transition", _("状态变更")
    JOB = "job", _("系统任务")


class AuditLog(models.Model):
    """Who changed what, when: one row per write, with each field's old and new value."""

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=AuditAction.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("对象"), max_length=200)
    changes = models.JSONField(_("变更内容"), default=dict, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"


class DrawValueSource(models.TextChoices):
    LOTTERY = "lottery", _("公开彩票开奖号码")
    JOINT = "joint", _("双方共同提供的数值")
    SERVER = "server", _("服务器密码学随机数")


class DrawStatus(models.TextChoices):
    FROZEN = "frozen", _("名单已冻结，待录入随机值")
    DRAWN = "drawn", _("已抽取")


class Draw(models.Model):
    """One auditable random draw (双随机, agency sampling, expert draws): core.draws.

    The candidate list is frozen and its SHA-256 published before the random value exists; the value
    is entered afterwards with its source; candidates are ranked by SHA-256(id + "/" + value), weights
    by the ticket rule of ``core.draws.rank``. A draw is never deleted or changed after it is drawn; a
    re-draw is a new numbered draw citing the old one and why.
    """

    number = models.CharField(_("抽取编号"), max_length=20, unique=True)
    purpose = models.CharField(_("用途"), max_length=40, db_index=True)
    purpose_label = models.CharField(_("用途说明"), max_length=200)
    reference = models.CharField(_("关联记录"), max_length=100, blank=True, db_index=True)
    candidates = models.JSONField(_("候选名单"))
    candidates_hash = models.CharField(_("名单SHA-256"), max_length=64)
    exclusions = models.JSONField(_("排除名单及理由"), default=list, blank=True)
    places = models.PositiveIntegerField(_("抽取数量"))
    reserves = models.PositiveIntegerField(_("备选数量"), default=0)
    publish_labels = models.BooleanField(_("公开候选名称"), default=False)
    algorithm = models.CharField(_("算法版本"), max_length=20)
    status = models.CharField(_("状态"), max_length=10, choices=DrawStatus.choices, default=DrawStatus.FROZEN)
    random_value = models.CharField(_("随机值"), max_length=200, blank=True)
    value_source = models.CharField(_("随机值来源"), max_length=10, choices=DrawValueSource.choices, blank=True)
    value_note = models.CharField(_("随机值说明"), max_length=200, blank=True)
    result = models.JSONField(_("抽取结果"), default=list, blank=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("重抽所替代的抽取"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redraws",
    )
    redraw_reason = models.CharField(_("重抽理由"), max_length=300, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("冻结人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField(_("冻结时间"), auto_now_add=True)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("抽取人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("抽取时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("随机抽取")
        verbose_name_plural = _("随机抽取")
        ordering = ["-frozen_at", "-id"]

    def __str__(self):
        return f"{self.number} {self.purpose_label}"

    @classmethod
    def scope_q(cls, user, action):
        """County officers see every draw; the apps that own a draw show it on their own scoped pages,
        and everyone may verify any draw on the public page (which shows no personal data)."""
        if action == "view" and getattr(user, "role", None) == "county":
            return ALL
        return None

    def delete(self, *args, **kwargs):
        raise models.ProtectedError(_("随机抽取记录不可删除。"), {self})
