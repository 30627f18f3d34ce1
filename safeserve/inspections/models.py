"""Inspection plans (年度监督检查计划), their 双随机 draws and inspection records (监督检查记录).

Draws go through ``core.draws`` (one shared mechanism, docs/decisions/0028); this app keeps what a
draw was for: a plan's target draw (``TargetDraw``) and each target's inspector draw.
docs/decisions/0031-inspection-plans.md
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.registry.choices import RiskLevel, StandardizationGrade

from .choices import (
    CaseReason,
    Flag,
    InspectionKind,
    InspectionResult,
    PlanStatus,
    RuleKind,
    TargetKind,
    TargetStatus,
)

OFFICER_ROLES = (Role.COUNTY, Role.TOWN)


def certified_officers():
    """Users who may be drawn as inspectors and sign a record (检查主体): active county or town
    officers holding a 执法证号."""
    from safeserve.accounts.models import User

    return User.objects.filter(role__in=OFFICER_ROLES, is_active=True).exclude(enforcement_cert_no="")


def _county_or_town(user, action, town_field):
    if user.role == Role.COUNTY:
        return ALL
    if user.role == Role.TOWN and action == "view":
        return models.Q(**{town_field: user.town_id})
    return None


class InspectionPlan(ScopedModel):
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("区域（镇（街道））"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空为全县"),
    )
    name = models.CharField(_("计划名称"), max_length=100)
    officers = models.PositiveSmallIntegerField(_("执法人员数"))
    working_days = models.PositiveSmallIntegerField(_("法定工作日"), default=250, validators=[MaxValueValidator(366)])
    other_enforcement_days = models.PositiveIntegerField(_("其他执法工作人日"), default=0)
    non_enforcement_days = models.PositiveIntegerField(_("非执法工作人日"), default=0)
    mandatory_share = models.PositiveSmallIntegerField(
        _("重点检查占比（%）"), default=60, validators=[MaxValueValidator(100)]
    )
    days_per_inspection = models.DecimalField(
        _("每次检查所需人日"),
        max_digits=4,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0.5"))],
        help_text=_("两名执法人员各一天为2人日"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT, editable=False
    )
    committed_at = models.DateTimeField(_("生成时间"), null=True, blank=True, editable=False)

    FIELDS = (
        "year",
        "town",
        "name",
        "officers",
        "working_days",
        "other_enforcement_days",
        "non_enforcement_days",
        "mandatory_share",
        "days_per_inspection",
    )

    class Meta:
        verbose_name = _("年度监督检查计划")
        verbose_name_plural = _("年度监督检查计划")
        ordering = ["-year", "town__sort_order", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inspections:inspectionplan_detail", args=[self.pk])

    @property
    def area_label(self) -> str:
        return self.town.name if self.town_id else str(_("全县"))

    @property
    def capacity(self) -> int:
        """可用执法人日 = 执法人员数 × 法定工作日 − 其他执法人日 − 非执法人日 (安监总政法〔2017〕150号)."""
        return (
            (self.officers or 0) * (self.working_days or 0)
            - (self.other_enforcement_days or 0)
            - (self.non_enforcement_days or 0)
        )

    @property
    def mandatory_capacity(self) -> Decimal:
        return (Decimal(self.capacity) * Decimal(self.mandatory_share or 0) / 100).quantize(Decimal("0.1"))

    @property
    def random_capacity(self) -> Decimal:
        return Decimal(self.capacity) - self.mandatory_capacity

    @property
    def random_slots(self) -> int:
        """How many 双随机 inspections the 一般 share pays for."""
        if not self.days_per_inspection or self.random_capacity <= 0:
            return 0
        return int(self.random_capacity // Decimal(self.days_per_inspection))

    def clean(self):
        super().clean()
        if self.officers is not None and self.working_days is not None and self.capacity < 0:
            raise ValidationError(
                {
                    "non_enforcement_days": _(
                        "可用执法人日为负数：执法人员数 %(o)s × 法定工作日 %(w)s − 其他执法工作人日 %(e)s − "
                        "非执法工作人日 %(n)s = %(c)s，请核对后再保存。"
                    )
                    % {
                        "o": self.officers,
                        "w": self.working_days,
                        "e": self.other_enforcement_days,
                        "n": self.non_enforcement_days,
                        "c": self.capacity,
                    }
                }
            )
        if self.year:
            clash = InspectionPlan.objects.filter(year=self.year, town_id=self.town_id).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(
                    {"year": _("%(y)s年度%(a)s的检查计划已存在。") % {"y": self.year, "a": self.area_label}}
                )

    @classmethod
    def scope_q(cls, user, action):
        return _county_or_town(user, action, "town_id")


class FrequencyRule(ScopedModel):
    """Inspections a year for enterprises matching ``kind``/``match``; the enterprise's frequency is
    the largest matching rule plus the non-participation extra, never above the yearly cap."""

    name = models.CharField(_("规则名称"), max_length=100)
    kind = models.CharField(_("依据"), max_length=20, choices=RuleKind.choices)
    match = models.CharField(
        _("取值"),
        max_length=30,
        blank=True,
        help_text=_(
            "风险等级：red/orange/yellow/blue；标准化等级：1/2/3/none；行业特征：hazchem/major_hazard_source/"
            "metal_smelting；信用等级：等级代码；未开展社会化服务：留空"
        ),
    )
    per_year = models.PositiveSmallIntegerField(_("每年检查次数"), validators=[MaxValueValidator(52)])
    is_active = models.BooleanField(_("启用"), default=True)

    FIELDS = ("name", "kind", "match", "per_year", "is_active")

    class Meta:
        verbose_name = _("检查频次规则")
        verbose_name_plural = _("检查频次规则")
        ordering = ["kind", "match", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inspections:frequencyrule_detail", args=[self.pk])

    VALID = {
        RuleKind.RISK: set(RiskLevel.values),
        RuleKind.GRADE: set(StandardizationGrade.values),
        RuleKind.FLAG: set(Flag.values),
    }

    def clean(self):
        super().clean()
        allowed = self.VALID.get(self.kind)
        if allowed is not None and self.match not in allowed:
            raise ValidationError({"match": _("取值须为以下之一：%(v)s") % {"v": "、".join(sorted(allowed))}})
        if self.kind == RuleKind.CREDIT and not self.match.strip():
            raise ValidationError({"match": _("请填写信用等级代码。")})
        if self.kind == RuleKind.NONPARTICIPANT:
            self.match = ""

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        return ALL if user.role == Role.TOWN and action == "view" else None


class OfficerConflict(ScopedModel):
    """回避: an officer declared an interest in an enterprise; the draw never picks them for it."""

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("执法人员"),
        on_delete=models.PROTECT,
        related_name="inspection_conflicts",
        limit_choices_to={"role__in": OFFICER_ROLES},
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("回避理由"), max_length=200)
    declared_on = models.DateField(_("申报日期"), default=timezone.localdate)
    is_active = models.BooleanField(_("有效"), default=True)

    FIELDS = ("officer", "enterprise", "reason", "declared_on", "is_active")

    class Meta:
        verbose_name = _("执法人员回避申报")
        verbose_name_plural = _("执法人员回避申报")
        ordering = ["-declared_on", "-id"]

    def __str__(self):
        return f"{self.officer} · {self.reason}"

    def get_absolute_url(self):
        return reverse("inspections:officerconflict_detail", args=[self.pk])

    def clean(self):
        super().clean()
        if self.officer_id and self.officer.role not in OFFICER_ROLES:
            raise ValidationError({"officer": _("只有县局或镇（街道）执法人员需要申报回避。")})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(enterprise__town_id=user.town_id)
        return None


class TargetDraw(ScopedModel):
    """One 双随机 draw of a plan's targets (the draw itself is ``core.Draw``, names published)."""

    plan = models.ForeignKey(InspectionPlan, verbose_name=_("检查计划"), on_delete=models.PROTECT, related_name="draws")
    month = models.PositiveSmallIntegerField(_("检查月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    draw = models.OneToOneField(
        "core.Draw", verbose_name=_("随机抽取"), on_delete=models.PROTECT, related_name="inspection_target_draw"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("双随机抽取")
        verbose_name_plural = _("双随机抽取")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.draw.number

    @classmethod
    def scope_q(cls, user, action):
        return _county_or_town(user, action, "plan__town_id")


class PlanTarget(ScopedModel):
    """One planned inspection: an enterprise in a month, on the mandatory list or drawn at random."""

    plan = models.ForeignKey(
        InspectionPlan, verbose_name=_("检查计划"), on_delete=models.PROTECT, related_name="targets"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.PositiveSmallIntegerField(_("检查月份"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    kind = models.CharField(_("类别"), max_length=10, choices=TargetKind.choices)
    reasons = models.CharField(_("列入理由"), max_length=300, blank=True)
    target_draw = models.ForeignKey(
        TargetDraw,
        verbose_name=_("双随机抽取"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    status = models.CharField(_("状态"), max_length=10, choices=TargetStatus.choices, default=TargetStatus.PLANNED)
    inspector_draw = models.ForeignKey(
        "core.Draw", verbose_name=_("检查人员抽取"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    officer_1 = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人员一"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer_2 = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人员二"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("计划检查对象")
        verbose_name_plural = _("计划检查对象")
        ordering = ["plan", "month", "enterprise__name", "id"]
        indexes = [models.Index(fields=["plan", "month"]), models.Index(fields=["officer_1", "month"])]

    def __str__(self):
        return f"{self.enterprise} · {self.month}月"

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN and action == "view":
            return models.Q(enterprise__town_id=user.town_id)
        return None


def support_path(instance, filename):
    return f"inspections/support/{instance.support_sha256[:2]}/{instance.support_sha256}.pdf"


class Inspection(ScopedModel):
    """监督检查记录: two certified officers are the 检查主体; an agency's or expert's findings may be
    attached as technical support but never stand in for an officer."""

    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("被检查单位"), on_delete=models.PROTECT, related_name="+"
    )
    town = models.ForeignKey(
        "registry.Town", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    plan_target = models.OneToOneField(
        PlanTarget,
        verbose_name=_("计划检查对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection",
    )
    kind = models.CharField(_("检查类型"), max_length=10, choices=InspectionKind.choices)
    case_reason = models.CharField(_("个案来源"), max_length=12, choices=CaseReason.choices, blank=True)
    officer_1 = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人员一"), on_delete=models.PROTECT, related_name="+"
    )
    officer_2 = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人员二"), on_delete=models.PROTECT, related_name="+"
    )
    inspected_on = models.DateField(_("检查日期"), db_index=True)
    items_checked = models.TextField(_("检查事项"))
    result = models.CharField(_("检查结果"), max_length=10, choices=InspectionResult.choices)
    result_summary = models.CharField(_("结果摘要（公示）"), max_length=300, help_text=_("将公开，请勿填写个人信息"))
    support_note = models.CharField(_("技术支撑（机构或专家意见）"), max_length=300, blank=True)
    support_file = models.FileField(_("技术支撑材料PDF"), upload_to=support_path, max_length=200, blank=True)
    support_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    hazards = models.ManyToManyField("hazards.Hazard", verbose_name=_("发现的隐患"), blank=True, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("企业确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("企业确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise_note = models.CharField(_("企业意见"), max_length=300, blank=True)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)

    FIELDS = (
        "enterprise",
        "kind",
        "case_reason",
        "officer_1",
        "officer_2",
        "inspected_on",
        "items_checked",
        "result",
        "result_summary",
        "support_note",
        "hazards",
        "confirmed_at",
        "enterprise_note",
        "published_at",
    )

    class Meta:
        verbose_name = _("监督检查记录")
        verbose_name_plural = _("监督检查记录")
        ordering = ["-inspected_on", "-id"]
        # A record is never edited once saved (it is evidence); publishing it (一公开) is its own right.
        permissions = [("publish_inspection", _("公示检查结果"))]
        indexes = [models.Index(fields=["enterprise", "inspected_on"]), models.Index(fields=["town", "inspected_on"])]

    def __str__(self):
        return f"{self.enterprise} · {self.inspected_on}"

    def get_absolute_url(self):
        return reverse("inspections:inspection_detail", args=[self.pk])

    @property
    def counts_toward_cap(self) -> bool:
        return self.kind != InspectionKind.CASE

    def clean(self):
        super().clean()
        if self.kind == InspectionKind.CASE and not self.case_reason:
            raise ValidationError({"case_reason": _("个案检查须选择来源（投诉举报、转办交办、整改复查或依申请）。")})
        if self.kind != InspectionKind.CASE:
            self.case_reason = ""
        if self.officer_1_id and self.officer_1_id == self.officer_2_id:
            raise ValidationError({"officer_2": _("检查人员须为两名不同的执法人员。")})
        for name in ("officer_1", "officer_2"):
            officer = getattr(self, name, None) if getattr(self, f"{name}_id") else None
            if officer is not None and (
                officer.role not in OFFICER_ROLES or not officer.enforcement_cert_no or not officer.is_active
            ):
                raise ValidationError(
                    {
                        name: _("%(o)s没有执法证号，不能作为检查主体（机构或专家意见只能作为技术支撑）。")
                        % {"o": officer}
                    }
                )

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL if action in ("view", "publish") else None
        if user.role == Role.TOWN:
            return models.Q(town_id=user.town_id) if action in ("view", "publish") else None
        if user.role == Role.ENTERPRISE and action == "view":
            return models.Q(enterprise_id=user.enterprise_id)
        return None
