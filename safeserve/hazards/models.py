"""Hidden hazards (隐患): the record, its 治理方案, photos and the timeline of every step."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.core.uploads import storage_name
from safeserve.services.models import served_enterprise_ids

from . import conf
from .choices import CriterionCategory, ExtensionState, HazardLevel, HazardSource, HazardState, NoticeKind, PhotoStage


class MajorHazardCriterion(ScopedModel):
    """The catalogue of 《工贸企业重大事故隐患判定标准》 situations (data the county maintains)."""

    code = models.CharField(_("编号"), max_length=20, unique=True)
    category = models.CharField(_("类别"), max_length=12, choices=CriterionCategory.choices)
    sector = models.CharField(_("行业/专项"), max_length=20, blank=True)
    article = models.CharField(_("条款"), max_length=30, blank=True)
    text = models.CharField(_("判定情形"), max_length=300)
    is_active = models.BooleanField(_("启用"), default=True)

    # Declared once: the form, the detail page and the API read the same list.
    FIELDS = ("code", "category", "sector", "article", "text", "is_active")

    class Meta:
        verbose_name = _("重大事故隐患判定标准")
        verbose_name_plural = _("重大事故隐患判定标准")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.text[:40]}"

    def get_absolute_url(self):
        return reverse("hazards:majorhazardcriterion_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return ALL


class Hazard(ScopedModel):
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="hazards"
    )
    town = models.ForeignKey(
        "registry.Town", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("服务机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    visit = models.ForeignKey(
        "services.ServiceVisit",
        verbose_name=_("来源服务记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    source = models.CharField(_("来源"), max_length=12, choices=HazardSource.choices)
    level = models.CharField(_("隐患等级"), max_length=10, choices=HazardLevel.choices, default=HazardLevel.GENERAL)
    criterion = models.ForeignKey(
        MajorHazardCriterion,
        verbose_name=_("判定依据"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    location = models.CharField(_("隐患部位"), max_length=200)
    description = models.TextField(_("隐患描述"))
    responsible_person = models.CharField(_("整改责任人"), max_length=50)
    deadline = models.DateField(_("整改期限"), db_index=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=HazardState.choices, default=HazardState.REPORTED, db_index=True
    )
    supervised = models.BooleanField(_("挂牌督办"), default=False)
    acceptor_agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("受委托验收机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # actors on a hazard's history are deactivated, never deleted
        related_name="+",
    )
    reported_at = models.DateTimeField(_("发现时间"), default=timezone.now, db_index=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("隐患")
        verbose_name_plural = _("隐患")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["town", "state", "deadline"]),
            models.Index(fields=["town", "-reported_at", "-id"]),
            models.Index(fields=["enterprise", "state"]),
            models.Index(fields=["agency", "state"]),
            # Covering index for the open/overdue counts of dashboards and escalation.
            models.Index(fields=["state", "deadline", "level", "town"]),
            # Covering indexes for the quarterly statistics (found / closed in a period, by town and level);
            # the first also orders the county-wide hazard list.
            models.Index(fields=["reported_at", "level", "town"]),
            models.Index(fields=["closed_at", "level", "town"]),
        ]

    def __str__(self):
        return f"{self.enterprise.name if 'enterprise' in self._state.fields_cache else self.enterprise_id}:{self.location}"

    def get_absolute_url(self):
        return reverse("hazards:hazard_detail", args=[self.pk])

    @property
    def is_major(self) -> bool:
        return self.level == HazardLevel.MAJOR

    def is_overdue_on(self, day) -> bool:
        return self.state != HazardState.CLOSED and self.deadline < day

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on(timezone.localdate())

    def overdue_days_on(self, day) -> int:
        return (day - self.deadline).days if self.is_overdue_on(day) else 0

    @property
    def overdue_days(self) -> int:
        """逾期天数: days since the deadline passed (0 when not overdue); computed, never stored."""
        return self.overdue_days_on(timezone.localdate())

    @property
    def reported_on(self) -> date:
        return timezone.localdate(self.reported_at)

    @staticmethod
    def max_deadline_days(level: str) -> int:
        return conf.get("HAZARD_MAJOR_MAX_DAYS" if level == HazardLevel.MAJOR else "HAZARD_GENERAL_MAX_DAYS")

    @classmethod
    def check_deadline(cls, *, level: str, reported_on: date, deadline: date) -> None:
        """THE deadline rule (form, API, import and alarm paths all reach it through the actions):
        after the discovery date, and at most N days after it (N per level, a setting)."""
        if deadline <= reported_on:
            raise ValidationError(
                {"deadline": _("整改期限须晚于发现日期（%(d)s）") % {"d": reported_on.isoformat()}},
                code="deadline_not_after_discovery",
            )
        days = cls.max_deadline_days(level)
        latest = reported_on + timedelta(days=days)
        if deadline > latest:
            raise ValidationError(
                {
                    "deadline": _(
                        "整改期限不能晚于 %(max)s：%(level)s的整改期限最长为发现日期后 %(n)d 天（设置项），"
                        "需要更长时间请申请延期"
                    )
                    % {"max": latest.isoformat(), "level": HazardLevel(level).label, "n": days}
                },
                code="deadline_beyond_max",
            )

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(enterprise_id=user.enterprise_id)
        if user.role == Role.AGENCY:
            # Hazards of the enterprises it serves (which include every hazard it reported itself),
            # plus the few 重大 hazards an officer appointed it to accept. The appointments are read
            # as a short id list: an OR with a second index would make SQLite scan every hazard.
            appointed = list(
                Hazard.objects.filter(acceptor_agency_id=user.agency_id)
                .exclude(enterprise_id__in=served_enterprise_ids(user.agency_id))
                .order_by()  # no ORDER BY, or SQLite walks the reported_at index instead
                .values_list("pk", flat=True)[:1000]
            )
            q = models.Q(enterprise_id__in=served_enterprise_ids(user.agency_id))
            return q | models.Q(pk__in=appointed) if appointed else q
        if user.role == Role.ASSOCIATION and action == "view":
            # Its member enterprises' hazards (the members are the county's to keep: Association.members).
            return models.Q(enterprise__associations=user.association_id)
        return None


class RemediationPlan(ScopedModel):
    """治理方案 of a major hazard: the six elements, each required."""

    hazard = models.OneToOneField(Hazard, verbose_name=_("隐患"), on_delete=models.CASCADE, related_name="plan")
    objective = models.TextField(_("治理的目标和任务"))
    method = models.TextField(_("采取的方法和措施"))
    funding = models.TextField(_("经费和物资的落实"))
    organization = models.TextField(_("负责治理的机构和人员"))
    timeline = models.TextField(_("治理的时限和要求"))
    safety_measures = models.TextField(_("安全措施和应急预案"))

    ELEMENTS = ("objective", "method", "funding", "organization", "timeline", "safety_measures")

    class Meta:
        verbose_name = _("治理方案")
        verbose_name_plural = _("治理方案")

    def __str__(self):
        return str(_("治理方案"))

    def get_absolute_url(self):
        return self.hazard.get_absolute_url()

    @property
    def is_complete(self) -> bool:
        return all((getattr(self, f) or "").strip() for f in self.ELEMENTS)

    @classmethod
    def scope_q(cls, user, action):
        q = Hazard.scope_q(user, "view")
        return None if q is None else models.Q(hazard__in=Hazard.objects.filter(q).values("pk"))


def hazard_photo_path(instance, filename):
    return storage_name("hazards", instance.sha256, filename)


class HazardEvent(models.Model):
    """One step in a hazard's life: who, when, what and a note (the timeline)."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    from_state = models.CharField(_("原状态"), max_length=12, blank=True)
    to_state = models.CharField(_("新状态"), max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(_("操作人"), max_length=150)
    actor_role = models.CharField(_("角色"), max_length=20, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["hazard", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class HazardPhoto(models.Model):
    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(HazardEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos")
    stage = models.CharField(_("阶段"), max_length=10, choices=PhotoStage.choices)
    file = models.FileField(_("照片"), upload_to=hazard_photo_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    name = models.CharField(_("文件名"), max_length=200, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name or self.sha256


class HazardExtension(ScopedModel):
    """延期申请: the party that rectifies asks for a later deadline with a reason; an officer decides.

    Its life is the table ``transitions.EXTENSION_TABLE``; every step is also a HazardEvent."""

    hazard = models.ForeignKey(Hazard, verbose_name=_("隐患"), on_delete=models.CASCADE, related_name="extensions")
    previous_deadline = models.DateField(_("原整改期限"))
    requested_deadline = models.DateField(_("申请延期至"))
    reason = models.TextField(_("延期理由"))
    state = models.CharField(
        _("状态"), max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.previous_deadline} → {self.requested_deadline}"

    def get_absolute_url(self):
        return self.hazard.get_absolute_url()

    @classmethod
    def scope_q(cls, user, action):
        q = Hazard.scope_q(user, "view")
        return None if q is None else models.Q(hazard__in=Hazard.objects.filter(q).values("pk"))


def notice_path(instance, filename):
    return f"notices/{instance.year}/{instance.sha256[:2]}/{instance.sha256}.pdf"


class IssuedNotice(ScopedModel):
    """An issued rectification document: numbered, dated at issuance, its PDF stored and re-served as is.

    The wording depends on the issuer (``NoticeKind``); see docs/decisions/0022-issued-documents.md."""

    number = models.CharField(_("文书编号"), max_length=120)
    kind = models.CharField(_("文书类型"), max_length=10, choices=NoticeKind.choices)
    issuer_key = models.CharField(_("签发单位标识"), max_length=40, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    seq = models.PositiveIntegerField(_("序号"))
    issuer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("签发人"), on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField(_("签发人"), max_length=150)
    issuer_org = models.CharField(_("签发单位"), max_length=200)
    issued_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    issued_on = models.DateField(_("签发日期"))
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "services.ServiceVisit",
        verbose_name=_("服务记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    hazards = models.ManyToManyField(Hazard, verbose_name=_("隐患"), related_name="notices")
    file = models.FileField(_("文书PDF"), upload_to=notice_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("整改文书")
        verbose_name_plural = _("整改文书")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer_key", "year", "seq"], name="hazards_notice_number_per_issuer_year")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def get_absolute_url(self):
        return reverse("hazards:notice_download", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(enterprise_id=user.enterprise_id)
        if user.role == Role.AGENCY:
            return models.Q(enterprise_id__in=served_enterprise_ids(user.agency_id))
        return None
