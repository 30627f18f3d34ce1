"""Government purchase of services (政府购买服务): projects, bids and the award, the acceptance and
performance evaluation with its indicator scheme (data), and payments. The contract itself is a
``services.ServiceContract`` paid by the town or the county. docs/decisions/0041-government-purchase.md"""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel, choice_labels
from safeserve.core.scoping import ALL
from safeserve.registry.choices import ServiceType, SizeClass

from . import conf
from .choices import (
    BuyerKind,
    Grade,
    IndicatorGroup,
    Method,
    PaymentKind,
    ProjectStatus,
    Subject,
    TargetMode,
)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def buyer_q(user, prefix: str = "") -> models.Q | None:
    """The projects ``user`` buys (or, for the county, oversees): the county all, a town its own."""
    if user.role == Role.COUNTY:
        return ALL
    if user.role == Role.TOWN and user.town_id:
        return models.Q(**{f"{prefix}buyer_kind": BuyerKind.TOWN, f"{prefix}buyer_town_id": user.town_id})
    return None


class Project(ScopedModel):
    number = models.CharField(_("项目编号"), max_length=30, unique=True, editable=False)
    name = models.CharField(_("项目名称"), max_length=120)
    buyer_kind = models.CharField(_("购买主体"), max_length=10, choices=BuyerKind.choices)
    buyer_town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("购买服务的镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    year = models.PositiveSmallIntegerField(
        _("预算年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    budget = models.DecimalField(
        _("预算金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    service_type = models.CharField(_("服务类型"), max_length=20, choices=ServiceType.choices)
    subject = models.CharField(_("购买内容"), max_length=24, choices=Subject.choices)
    description = models.TextField(_("服务内容说明"), blank=True)
    target_mode = models.CharField(_("服务对象"), max_length=10, choices=TargetMode.choices, default=TargetMode.LIST)
    target_codes = models.TextField(_("企业名单（统一社会信用代码，每行一个）"), blank=True)
    target_town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("筛选：镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_industry = models.ForeignKey(
        "registry.Industry",
        verbose_name=_("筛选：行业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    target_sizes = models.JSONField(_("筛选：规模"), default=list, blank=True)
    targets = models.ManyToManyField(
        "registry.Enterprise", verbose_name=_("服务企业"), through="ProjectTarget", related_name="+"
    )
    targets_frozen_at = models.DateTimeField(_("名单冻结时间"), null=True, blank=True, editable=False)
    method = models.CharField(_("采购方式"), max_length=20, choices=Method.choices)
    start_date = models.DateField(_("服务期起"))
    term_months = models.PositiveSmallIntegerField(_("服务期限（月）"), validators=[MinValueValidator(1)])
    stable_justification = models.TextField(
        _("跨年度（不超过3年）的理由"),
        blank=True,
        help_text=_("服务内容、资金和价格稳定时，期限可超过1年但不超过3年，须写明理由"),
    )
    visits_per_year = models.PositiveSmallIntegerField(
        _("每家企业每年上门次数"), default=2, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, db_index=True
    )
    awarded_bid = models.ForeignKey(
        "Bid", verbose_name=_("中标（成交）报价"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    award_reason = models.CharField(_("确定中标（成交）的理由"), max_length=300, blank=True)
    awarded_on = models.DateField(_("中标（成交）日期"), null=True, blank=True)
    contract = models.ForeignKey(
        "services.ServiceContract",
        verbose_name=_("服务合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    FIELDS = (
        "number",
        "name",
        "buyer_kind",
        "buyer_town",
        "year",
        "budget",
        "service_type",
        "subject",
        "description",
        "target_mode",
        "target_town",
        "target_industry",
        "target_sizes",
        "targets_frozen_at",
        "method",
        "start_date",
        "term_months",
        "stable_justification",
        "visits_per_year",
        "status",
        "awarded_bid",
        "award_reason",
        "awarded_on",
        "contract",
    )
    FORM_FIELDS = (
        "name",
        "buyer_kind",
        "buyer_town",
        "year",
        "budget",
        "service_type",
        "subject",
        "description",
        "target_mode",
        "target_codes",
        "target_town",
        "target_industry",
        "target_sizes",
        "method",
        "start_date",
        "term_months",
        "stable_justification",
        "visits_per_year",
    )

    class Meta:
        verbose_name = _("政府购买服务项目")
        verbose_name_plural = _("政府购买服务项目")
        ordering = ["-year", "-id"]
        indexes = [models.Index(fields=["buyer_kind", "buyer_town", "year"]), models.Index(fields=["status", "year"])]

    def __str__(self):
        return f"{self.number} {self.name}" if self.number else self.name

    def get_absolute_url(self):
        return reverse("procurement:project_detail", args=[self.pk])

    @property
    def end_date(self) -> date | None:
        if not self.start_date or not self.term_months:
            return None
        return add_months(self.start_date, self.term_months) - timedelta(days=1)

    @property
    def buyer_name(self) -> str:
        return (
            self.buyer_town.name
            if self.buyer_kind == BuyerKind.TOWN and self.buyer_town_id
            else str(BuyerKind.COUNTY.label)
        )

    def get_target_sizes_display(self):
        return choice_labels(SizeClass.choices, self.target_sizes) or "—"

    def clean(self):
        """The rules that need nothing but the project's own fields (docs/domain.md, 政府购买服务)."""
        errors = {}
        if self.subject == Subject.ADMIN_INSPECTION:
            errors["subject"] = _(
                "行政执法检查是政府必须自行履行的职责，不得购买服务（国办发〔2024〕54号）；"
                "可购买的是技术支撑服务，其发现交由执法人员检查"
            )
        max_term, stable = conf.setting("MAX_TERM_MONTHS"), conf.setting("MAX_STABLE_TERM_MONTHS")
        if self.term_months:
            if self.term_months > stable:
                errors["term_months"] = _("服务期限不得超过 %(n)d 个月（3年）") % {"n": stable}
            elif self.term_months > max_term and not self.stable_justification.strip():
                errors["stable_justification"] = _(
                    "服务期限超过 %(n)d 个月（1年）须说明服务内容、资金和价格稳定的理由"
                ) % {"n": max_term}
        if self.buyer_kind == BuyerKind.TOWN and not self.buyer_town_id:
            errors["buyer_town"] = _("镇（街道）政府购买须填写购买服务的镇（街道）")
        if self.buyer_kind == BuyerKind.COUNTY and self.buyer_town_id:
            errors["buyer_town"] = _("县应急管理局购买时不填写镇（街道）")
        if self.buyer_kind == BuyerKind.TOWN and self.target_town_id and self.target_town_id != self.buyer_town_id:
            errors["target_town"] = _("镇（街道）购买的服务只能面向本镇（街道）的企业")
        if not isinstance(self.target_sizes, list) or not set(self.target_sizes) <= set(SizeClass.values):
            errors["target_sizes"] = _("规模取值无效")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def scope_q(cls, user, action):
        q = buyer_q(user)
        if q is not None:
            return q
        if action == "view" and user.role == Role.AGENCY and user.agency_id:
            return models.Q(pk__in=Bid.objects.filter(agency_id=user.agency_id).values("project_id"))
        return None


class ProjectTarget(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="target_links")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "enterprise"], name="project_target_once")]

    def __str__(self):
        return f"{self.project_id}:{self.enterprise_id}"


class Bid(ScopedModel):
    """A bid or quotation (投标/报价) recorded by the buyer, with the supplier checks of that day."""

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="bids")
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("供应商（服务机构）"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("报价（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    score = models.DecimalField(
        _("评审得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    submitted_on = models.DateField(_("递交日期"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    checks = models.JSONField(_("供应商资格审查"), default=list, editable=False)
    eligible = models.BooleanField(_("资格审查通过"), default=False, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("投标（报价）")
        verbose_name_plural = _("投标（报价）")
        ordering = ["amount", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "agency"], name="bid_once_per_agency")]

    def __str__(self):
        return f"{self.agency} {self.amount}"

    def get_absolute_url(self):
        return reverse("procurement:project_detail", args=[self.project_id])

    @classmethod
    def scope_q(cls, user, action):
        q = buyer_q(user, "project__")
        if q is not None:
            return q
        if action == "view" and user.role == Role.AGENCY and user.agency_id:
            return models.Q(agency_id=user.agency_id)
        return None


def _awarded_q(user):
    if user.role == Role.AGENCY and user.agency_id:
        return models.Q(project__awarded_bid__agency_id=user.agency_id)
    return None


class Scheme(ScopedModel):
    """An indicator scheme for the acceptance and performance evaluation (data, versioned)."""

    name = models.CharField(_("名称"), max_length=100)
    version = models.CharField(_("版本"), max_length=20, unique=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("绩效评价指标体系")
        verbose_name_plural = _("绩效评价指标体系")
        ordering = ["-version"]

    def __str__(self):
        return f"{self.name}（{self.version}）"

    @classmethod
    def scope_q(cls, user, action):
        return ALL if action == "view" else None


class Indicator(models.Model):
    """One indicator of a scheme: a share of the 100 points, scored by hand or suggested from a figure
    of the contract's performance (``performance.FIGURES``)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    group = models.CharField(_("一级指标"), max_length=10, choices=IndicatorGroup.choices)
    key = models.CharField(_("标识"), max_length=30)
    label = models.CharField(_("二级指标"), max_length=100)
    max_points = models.DecimalField(_("分值"), max_digits=5, decimal_places=2)
    figure = models.CharField(_("计算依据"), max_length=30, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "key"], name="indicator_key_once")]

    def __str__(self):
        return self.label


class Evaluation(ScopedModel):
    project = models.OneToOneField(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="evaluation")
    scheme = models.ForeignKey(Scheme, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(_("各项得分"), default=dict)
    figures = models.JSONField(_("履约数据（评价时冻结）"), default=dict)
    total = models.DecimalField(_("总分"), max_digits=5, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=10, choices=Grade.choices)
    satisfaction = models.DecimalField(_("企业满意度（%）"), max_digits=5, decimal_places=1, null=True, blank=True)
    accepted = models.BooleanField(_("验收合格"), default=True)
    note = models.TextField(_("评价意见"), blank=True)
    evaluated_on = models.DateField(_("评价日期"))
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("验收与绩效评价")
        verbose_name_plural = _("验收与绩效评价")

    def __str__(self):
        return f"{self.project} {self.total}"

    def get_absolute_url(self):
        return reverse("procurement:project_detail", args=[self.project_id])

    @classmethod
    def scope_q(cls, user, action):
        q = buyer_q(user, "project__")
        return q if q is not None else (_awarded_q(user) if action == "view" else None)


class Payment(ScopedModel):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(_("支付节点"), max_length=10, choices=PaymentKind.choices)
    amount = models.DecimalField(
        _("支付金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    paid_on = models.DateField(_("支付日期"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("服务费支付")
        verbose_name_plural = _("服务费支付")
        ordering = ["paid_on", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"

    def get_absolute_url(self):
        return reverse("procurement:project_detail", args=[self.project_id])

    @classmethod
    def scope_q(cls, user, action):
        q = buyer_q(user, "project__")
        return q if q is not None else (_awarded_q(user) if action == "view" else None)
