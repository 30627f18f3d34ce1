"""Public reports (举报): what the public reports, how the county handles it, and who may read whom.

The reporter's identity and contact (``IDENTITY_FIELDS``) are read by 举报 handlers only — county
officers holding ``tipoffs.handle_tipoff`` (``is_handler``). Every page that shows them to a handler
writes an ``IdentityAccess`` row; the audit log keeps only fingerprints of them.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.core.uploads import document_storage_name

from .choices import (
    AccidentLevel,
    AttemptKind,
    Category,
    Finding,
    RewardState,
    SubjectKind,
    TipoffState,
)

HANDLE_PERM = "tipoffs.handle_tipoff"
IDENTITY_FIELDS = ("reporter_name", "reporter_phone", "reporter_contact")


def is_handler(user) -> bool:
    """A 举报受理 handler: an active county officer holding ``tipoffs.handle_tipoff``."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.COUNTY
        and user.has_perm(HANDLE_PERM)
    )


def _tipoff_scope(user, action, prefix=""):
    """County officers read every report's substance; handlers write; a town reads (and records its
    verification on) the reports assigned to it, once accepted. Nobody else: not the reported party."""
    if user.role == Role.COUNTY:
        if action == "view" or is_handler(user):
            return ALL
        return None
    if user.role == Role.TOWN and user.town_id:
        q = Q(**{f"{prefix}assigned_town_id": user.town_id})
        if action == "view":
            return q & Q(**{f"{prefix}state__in": (TipoffState.ACCEPTED, TipoffState.CLOSED)})
        if action == "change":
            return q & Q(**{f"{prefix}state": TipoffState.ACCEPTED})
    return None


class Tipoff(ScopedModel):
    code = models.CharField(_("查询码"), max_length=16, unique=True, editable=False)
    password = models.CharField(_("查询密码"), max_length=128, editable=False)
    subject_kind = models.CharField(_("被举报对象类别"), max_length=12, choices=SubjectKind.choices)
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("被举报服务机构"), null=True, blank=True, on_delete=models.PROTECT
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("被举报单位"), null=True, blank=True, on_delete=models.PROTECT
    )
    unit_name = models.CharField(_("被举报单位名称"), max_length=100, blank=True)
    unit_address = models.CharField(_("被举报单位地址"), max_length=200, blank=True)
    town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("所在镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField(_("举报类别"), max_length=12, choices=Category.choices)
    description = models.TextField(_("举报内容"), max_length=5000)
    reporter_name = models.CharField(_("举报人姓名"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("举报人电话"), max_length=20, blank=True)
    reporter_contact = models.CharField(_("其他联系方式"), max_length=200, blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=TipoffState.choices, default=TipoffState.RECEIVED, db_index=True
    )
    filed_at = models.DateTimeField(_("举报时间"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    deadline = models.DateField(_("办理期限"), null=True, blank=True, db_index=True)
    extension_reason = models.CharField(_("延期理由"), max_length=500, blank=True)
    extended_at = models.DateTimeField(_("延期时间"), null=True, blank=True)
    reject_reason = models.CharField(_("不予受理或转送理由"), max_length=500, blank=True)
    forwarded_to = models.CharField(_("转送部门"), max_length=100, blank=True)
    assigned_town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("承办镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("空：县局举报受理组承办"),
    )
    same_matter = models.ForeignKey(
        "self",
        verbose_name=_("同一事项的首件举报"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="repeats",
    )
    verification = models.TextField(_("核查情况"), max_length=5000, blank=True)
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    finding = models.CharField(_("核查结论"), max_length=14, choices=Finding.choices, blank=True)
    result = models.TextField(_("处理结果"), max_length=3000, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    penalty_number = models.CharField(_("处罚决定书文号"), max_length=60, blank=True)
    fine_amount = models.DecimalField(_("罚款金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    concealed_deaths = models.PositiveSmallIntegerField(_("查实瞒报死亡人数"), null=True, blank=True)
    accident_level = models.CharField(_("瞒报事故等级"), max_length=14, choices=AccidentLevel.choices, blank=True)
    escalated_on = models.DateField(_("逾期督办日期"), null=True, blank=True)

    # The reporter's identity never reaches the audit log (a fingerprint shows that it changed) and
    # the password is a hash that nobody reads.
    # (The page shows them to handlers only, outside core.display: no list, export, API or history
    # carries them, so they are not ``pii_fields`` to mask but fields nobody else reads at all.)
    audit_redacted_fields = ("password", *IDENTITY_FIELDS)

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        ordering = ["-filed_at", "-id"]
        permissions = [("handle_tipoff", _("举报受理"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(enterprise__isnull=True) | Q(agency__isnull=True), name="tipoff_one_reported_party"
            )
        ]

    def __str__(self):
        return f"{self.number} {self.reported_label}"

    @property
    def number(self) -> str:
        """The staff's number of a report (举报编号). The tracking code is the reporter's: only
        handlers see it, so that nobody else can try passwords against it."""
        year = timezone.localtime(self.filed_at).year if self.filed_at else timezone.localdate().year
        return f"JB{year}-{self.pk or 0:05d}"

    def get_absolute_url(self):
        return reverse("tipoffs:tipoff_detail", args=[self.pk])

    @property
    def code_display(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))

    @property
    def reported_label(self) -> str:
        if self.enterprise_id:
            return self.enterprise.name
        if self.agency_id:
            return self.agency.name
        return self.unit_name or str(_("不明单位"))

    @property
    def real_name(self) -> bool:
        return bool(self.reporter_name.strip() and (self.reporter_phone.strip() or self.reporter_contact.strip()))

    @classmethod
    def scope_q(cls, user, action):
        return _tipoff_scope(user, action)


class TipoffSupplement(ScopedModel):
    """Information the reporter adds later, through the tracking code and password."""

    tipoff = models.ForeignKey(Tipoff, verbose_name=_("举报"), on_delete=models.CASCADE, related_name="supplements")
    text = models.TextField(_("补充内容"), max_length=3000)
    added_at = models.DateTimeField(_("补充时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报补充材料")
        verbose_name_plural = _("举报补充材料")
        ordering = ["added_at", "id"]

    def __str__(self):
        return str(_("补充材料 %(n)s") % {"n": self.pk})

    @classmethod
    def scope_q(cls, user, action):
        return _tipoff_scope(user, action, "tipoff__") if action == "view" else None


def attachment_path(instance, filename):
    return document_storage_name("tipoffs", instance.sha256, filename)


class TipoffAttachment(ScopedModel):
    """A photo (re-encoded) or a PDF (parsed, kept as sent) the reporter attached."""

    tipoff = models.ForeignKey(Tipoff, verbose_name=_("举报"), on_delete=models.CASCADE, related_name="attachments")
    supplement = models.ForeignKey(
        TipoffSupplement, verbose_name=_("补充材料"), null=True, blank=True, on_delete=models.CASCADE
    )
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))

    class Meta:
        verbose_name = _("举报附件")
        verbose_name_plural = _("举报附件")
        ordering = ["id"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, user, action):
        return _tipoff_scope(user, action, "tipoff__") if action == "view" else None


class TipoffReward(ScopedModel):
    """The reward of the first real-name reporter of a verified report followed by a penalty."""

    tipoff = models.OneToOneField(Tipoff, verbose_name=_("举报"), on_delete=models.PROTECT, related_name="reward")
    amount = models.DecimalField(_("奖励金额（元）"), max_digits=12, decimal_places=2)
    basis = models.CharField(_("计算依据"), max_length=300)
    state = models.CharField(_("状态"), max_length=10, choices=RewardState.choices, default=RewardState.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("拟定人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("拟定时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    payment_note = models.CharField(_("发放凭证"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("举报奖励")
        verbose_name_plural = _("举报奖励")
        ordering = ["-proposed_at", "-id"]

    def __str__(self):
        return str(_("举报奖励 %(number)s") % {"number": self.tipoff.number})

    @classmethod
    def scope_q(cls, user, action):
        return ALL if is_handler(user) else None


class IdentityAccess(ScopedModel):
    """Each time a handler's page showed a reporter's identity: who, when, where."""

    tipoff = models.ForeignKey(Tipoff, verbose_name=_("举报"), on_delete=models.CASCADE, related_name="identity_views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("查看时间"), auto_now_add=True)
    where = models.CharField(_("查看位置"), max_length=100)

    class Meta:
        verbose_name = _("举报人信息查看记录")
        verbose_name_plural = _("举报人信息查看记录")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.viewer} {self.where}"

    @classmethod
    def scope_q(cls, user, action):
        return ALL if action == "view" and is_handler(user) else None


class TrackingAttempt(ScopedModel):
    """Counters of the public doors: filings per client address, wrong passwords per code and per
    address. Keys are keyed hashes (no address or code is stored); rows older than a day are purged."""

    kind = models.CharField(max_length=10, choices=AttemptKind.choices)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("举报门户计数")
        verbose_name_plural = _("举报门户计数")
        indexes = [models.Index(fields=["kind", "key", "at"])]

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"

    @classmethod
    def scope_q(cls, user, action):
        return None
