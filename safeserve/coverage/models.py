"""Coverage (覆盖率) targets and monthly snapshots.

Who participates on a date is never stored: it is computed from the records' own validity dates
through the coverage channels (core.hooks.COVERAGE_CHANNELS). Snapshots only speed up the trend;
each carries the signature of the target and channels it was computed with, so a changed target
or channel setting makes the trend compute that month again (coverage.queries).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.registry.choices import RiskLevel, SizeClass

from .choices import BUILTIN_KINDS, TargetKind

# The policy's defaults, used for a year without a stored target (DOMAIN: 5% overall, 全覆盖 of both).
DEFAULT_SHARES = {
    TargetKind.OVERALL: Decimal("5"),
    TargetKind.VILLAGE_SMALL: Decimal("100"),
    TargetKind.KEY_INDUSTRY: Decimal("100"),
}
FILTER_FIELDS = (
    "industry",
    "key_industry",
    "village_small",
    "size_class",
    "risk_level",
    "is_hazchem",
    "has_major_hazard_source",
)
code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{1,29}$", _("代码只能包含小写字母、数字和下划线，以字母开头（2–30位）")
)


class CoverageTarget(ScopedModel):
    """One year's target, county-wide (no town) or for one town, which then overrides the county's."""

    FIELDS = ("year", "town", "kind", "code", "name", "share", *FILTER_FIELDS, "note")

    year = models.PositiveSmallIntegerField(
        _("年度"),
        validators=[
            MinValueValidator(2000, _("年度必须在 2000 至 2100 之间")),
            MaxValueValidator(2100, _("年度必须在 2000 至 2100 之间")),
        ],
    )
    town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="coverage_targets",
        help_text=_("留空为全县目标；填写则只适用于该镇（街道），并取代全县同一目标"),
    )
    kind = models.CharField(_("目标类型"), max_length=20, choices=TargetKind.choices, default=TargetKind.CUSTOM)
    code = models.CharField(
        _("目标代码"),
        max_length=30,
        blank=True,
        validators=[code_validator],
        help_text=_("自定义目标填写，如 hazchem；内置目标自动使用类型代码"),
    )
    name = models.CharField(_("目标名称"), max_length=50, blank=True, help_text=_("留空则使用目标类型名称"))
    share = models.DecimalField(
        _("目标覆盖率（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0"), _("目标覆盖率不能小于 0%%，填写的是 %(value)s")),
            MaxValueValidator(Decimal("100"), _("目标覆盖率不能大于 100%%，填写的是 %(value)s")),
        ],
    )
    # The enterprises a custom target measures: every condition set must hold (validated fields, no code).
    industry = models.ForeignKey(
        "registry.Industry",
        verbose_name=_("行业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("选门类时包括其下各大类"),
    )
    key_industry = models.BooleanField(_("仅重点行业"), default=False)
    village_small = models.BooleanField(_("仅村级小微企业"), default=False)
    size_class = models.CharField(_("规模"), max_length=10, choices=SizeClass.choices, blank=True)
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices, blank=True)
    is_hazchem = models.BooleanField(_("仅危险化学品生产经营储存单位"), default=False)
    has_major_hazard_source = models.BooleanField(_("仅有重大危险源的单位"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("覆盖率目标")
        verbose_name_plural = _("覆盖率目标")
        ordering = ["-year", "town__sort_order", "kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "code"], condition=models.Q(town__isnull=True), name="coverage_target_once_county"
            ),
            models.UniqueConstraint(
                fields=["year", "town", "code"],
                condition=models.Q(town__isnull=False),
                name="coverage_target_once_town",
            ),
        ]
        permissions = [("view_coverage", _("查看覆盖率"))]

    def __str__(self):
        where = self.town.name if self.town_id else _("全县")
        return f"{self.year} {where} {self.label}"

    @property
    def label(self) -> str:
        return self.name or str(TargetKind(self.kind).label)

    def get_absolute_url(self):
        return reverse("coverage:coveragetarget_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.kind in BUILTIN_KINDS:
            self.code = self.kind
            set_filters = [f for f in FILTER_FIELDS if getattr(self, f if f != "industry" else "industry_id")]
            if set_filters:
                errors[set_filters[0]] = _("内置目标的企业范围由政策固定，不能设置筛选条件；请改用“自定义范围”")
        else:
            if not self.code:
                errors["code"] = _("自定义目标必须填写目标代码")
            elif self.code in BUILTIN_KINDS or self.code == TargetKind.CUSTOM:
                errors["code"] = _("该代码为内置目标保留，请换一个")
            if not self.name:
                errors["name"] = _("自定义目标必须填写目标名称")
        if errors:
            raise ValidationError(errors)
        # The unique constraints name no field the form shows; say it in words.
        clash = CoverageTarget.objects.filter(year=self.year, town_id=self.town_id, code=self.code)
        if self.pk:
            clash = clash.exclude(pk=self.pk)
        if self.year and self.code and clash.exists():
            raise ValidationError({"code": _("该年度、该区域已有同一代码的目标")})

    def validate_constraints(self, exclude=None):
        pass  # checked in clean() with a message naming the field

    def filter_signature(self) -> str:
        return "|".join(f"{f}={getattr(self, f + '_id' if f == 'industry' else f)}" for f in FILTER_FIELDS)

    @classmethod
    def scope_q(cls, user, action):
        # The county sets targets; a town reads the county's and its own.
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN and action == "view":
            return models.Q(town__isnull=True) | models.Q(town_id=user.town_id)
        return None


class CoverageSnapshot(ScopedModel):
    """One town's figure for one target at a month's end (the trend's cache, never the truth)."""

    month = models.DateField(_("月份"), help_text=_("该月第一天"))
    as_of = models.DateField(_("统计日期"))
    town = models.ForeignKey("registry.Town", verbose_name=_("镇（街道）"), on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("目标代码"), max_length=30)
    signature = models.CharField(_("口径签名"), max_length=64)
    total = models.PositiveIntegerField(_("企业数"))
    covered = models.PositiveIntegerField(_("参与企业数"))

    class Meta:
        verbose_name = _("覆盖率月度快照")
        verbose_name_plural = _("覆盖率月度快照")
        ordering = ["-month", "town", "code"]
        constraints = [models.UniqueConstraint(fields=["month", "town", "code"], name="coverage_snapshot_once")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.town_id} {self.code}"

    @classmethod
    def scope_q(cls, user, action):
        if action != "view":
            return None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(town_id=user.town_id)
        return None
