"""Town subsidies (补贴) for the service fees enterprises pay themselves: a town's yearly policy and
the enterprises' applications. docs/decisions/0042-town-subsidies.md"""

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
from safeserve.core.uploads import document_storage_name
from safeserve.registry.choices import SizeClass

from .choices import ApplicationStatus, PolicyStatus
from .conf import setting


def _default_industries():
    return list(setting("INDUSTRY_CODES"))


def _default_sizes():
    return list(setting("SIZE_CLASSES"))


class SubsidyPolicy(ScopedModel):
    """A town's subsidy policy for one year: who is eligible (rules as data), the share of the
    service fee reimbursed, the cap per enterprise and year, and the town's budget.

    The town edits it while a draft, publishes it (enterprises may then apply) and closes it (no new
    applications). 危化 units and units with a 重大危险源 are never eligible (rules.py): the policy says
    they pay their own services, so it is not a town's choice."""

    town = models.ForeignKey(
        "registry.Town", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="subsidy_policies"
    )
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("政策名称"), max_length=100)
    industry_codes = models.JSONField(
        _("适用行业"), default=_default_industries, help_text=_("国民经济行业门类或大类代码，默认为工商贸行业")
    )
    size_classes = models.JSONField(_("适用企业规模"), default=_default_sizes)
    share = models.DecimalField(
        _("补贴比例"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(1)],
        help_text=_("服务费用的补贴比例，如0.5表示50%"),
    )
    cap = models.DecimalField(
        _("每家企业年度上限（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    budget = models.DecimalField(
        _("补贴预算（元）"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT, editable=False
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    FIELDS = (
        "town",
        "year",
        "name",
        "industry_codes",
        "size_classes",
        "share",
        "cap",
        "budget",
        "status",
        "published_at",
        "note",
    )
    FORM_FIELDS = ("town", "year", "name", "industry_codes", "size_classes", "share", "cap", "budget", "note")

    class Meta:
        verbose_name = _("服务补贴政策")
        verbose_name_plural = _("服务补贴政策")
        ordering = ["-year", "town__sort_order", "town__code", "id"]
        constraints = [models.UniqueConstraint(fields=["town", "year"], name="subsidy_policy_once_per_town_year")]
        permissions = [
            ("publish_subsidypolicy", _("发布或截止服务补贴政策")),
            ("view_subsidyoverview", _("查看服务补贴汇总")),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("subsidies:subsidypolicy_detail", args=[self.pk])

    def clean(self):
        from safeserve.registry.models import Industry

        errors = {}
        codes = self.industry_codes
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            errors["industry_codes"] = _("至少选择一个适用行业")
        else:
            known = set(Industry.objects.filter(code__in=codes).values_list("code", flat=True))
            unknown = [c for c in codes if c not in known]
            if unknown:
                errors["industry_codes"] = _("未知的行业代码：%(codes)s") % {"codes": "、".join(unknown[:5])}
        sizes = self.size_classes
        if not isinstance(sizes, list) or not sizes or not set(sizes) <= set(SizeClass.values):
            errors["size_classes"] = _("至少选择一种有效的企业规模")
        if errors:
            raise ValidationError(errors)

    def get_industry_codes_display(self):
        return "、".join(self.industry_codes or [])

    def get_size_classes_display(self):
        return choice_labels(SizeClass.choices, self.size_classes)

    def get_share_display(self):
        return f"{(self.share or 0) * 100:.1f}%".replace(".0%", "%")

    @classmethod
    def scope_q(cls, user, action):
        if action in ("change", "delete"):
            # Only a draft is edited or deleted, by its own town; publishing and closing are actions.
            return models.Q(town_id=user.town_id, status=PolicyStatus.DRAFT) if user.role == Role.TOWN else None
        if action == "add":
            return models.Q(town_id=user.town_id) if user.role == Role.TOWN else None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            # An enterprise reads the published (and closed) policies of its own town.
            return models.Q(town__enterprises=user.enterprise_id) & ~models.Q(status=PolicyStatus.DRAFT)
        return None


def invoice_path(instance, filename):
    return document_storage_name("subsidies", instance.invoice_sha256, filename)


class SubsidyApplication(ScopedModel):
    """An enterprise's application for a subsidy of the fee of one of its own service contracts.

    The proposed amount is computed at submission (rules.proposed_amount); the town approves it (or
    less) or rejects it with a reason, then records the payment. Its steps are transitions.TABLE."""

    policy = models.ForeignKey(
        SubsidyPolicy, verbose_name=_("补贴政策"), on_delete=models.PROTECT, related_name="applications"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("申请企业"), on_delete=models.PROTECT, related_name="subsidy_applications"
    )
    contract = models.ForeignKey(
        "services.ServiceContract", verbose_name=_("服务合同"), on_delete=models.PROTECT, related_name="+"
    )
    number = models.CharField(_("申请编号"), max_length=30, unique=True, editable=False)
    fee = models.DecimalField(_("合同服务费（元）"), max_digits=12, decimal_places=2, editable=False)
    invoice_number = models.CharField(_("发票号码"), max_length=50)
    invoice_amount = models.DecimalField(
        _("发票金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    invoice = models.FileField(_("发票附件"), upload_to=invoice_path, max_length=200, blank=True, editable=False)
    invoice_sha256 = models.CharField(_("发票附件 SHA-256"), max_length=64, blank=True, editable=False)
    invoice_name = models.CharField(_("发票附件文件名"), max_length=200, blank=True, editable=False)
    proposed_amount = models.DecimalField(_("测算补贴（元）"), max_digits=12, decimal_places=2, editable=False)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
        db_index=True,
        editable=False,
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    submitted_at = models.DateTimeField(_("申请时间"), editable=False)
    approved_amount = models.DecimalField(
        _("核定补贴（元）"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True, editable=False)
    reason = models.CharField(_("审核意见"), max_length=300, blank=True, editable=False)
    paid_on = models.DateField(_("拨付日期"), null=True, blank=True, editable=False)
    paid_amount = models.DecimalField(
        _("拨付金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    voucher_number = models.CharField(_("拨付凭证号"), max_length=50, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    FIELDS = (
        "number",
        "policy",
        "enterprise",
        "contract",
        "fee",
        "invoice_number",
        "invoice_amount",
        "proposed_amount",
        "status",
        "submitted_at",
        "approved_amount",
        "decided_at",
        "reason",
        "paid_on",
        "paid_amount",
        "voucher_number",
        "note",
    )

    class Meta:
        verbose_name = _("服务补贴申请")
        verbose_name_plural = _("服务补贴申请")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["policy", "status"]),
            models.Index(fields=["enterprise", "status"]),
            models.Index(fields=["status", "submitted_at", "id"]),
        ]
        constraints = [
            # One live application per contract and enterprise: a fee is subsidised once.
            models.UniqueConstraint(
                fields=["contract", "enterprise"],
                condition=models.Q(status__in=["submitted", "approved", "paid"]),
                name="subsidy_application_live_once",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_amount__isnull=True) | models.Q(approved_amount__gte=0),
                name="subsidy_application_approved_not_negative",
            ),
        ]
        permissions = [("decide_subsidyapplication", _("审核服务补贴申请并登记拨付"))]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("subsidies:subsidyapplication_detail", args=[self.pk])

    @property
    def granted_amount(self) -> Decimal:
        return self.approved_amount or Decimal("0")

    @classmethod
    def scope_q(cls, user, action):
        if action == "add":
            return models.Q(enterprise_id=user.enterprise_id) if user.role == Role.ENTERPRISE else None
        if action != "view":
            return None  # every step goes through actions and the transition table
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(policy__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(enterprise_id=user.enterprise_id)
        return None
