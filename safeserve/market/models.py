"""The service marketplace's public side (服务超市, issue 17): agency profiles and price lists, the
county's power to hide an agency with a reason, and the case stories (典型做法) the county publishes.

An agency maintains its own profile and prices (audited); what the public sees is computed by
``queries.directory``: only agencies in the register, not hidden, not on the serious-default list,
and only the service types their valid, county-confirmed qualifications cover on the day.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.registry.choices import ServiceType, SizeClass


class AgencyProfile(ScopedModel):
    agency = models.OneToOneField(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.CASCADE, related_name="market_profile"
    )
    intro = models.TextField(_("机构简介"), max_length=2000, blank=True)
    towns_served = models.ManyToManyField(
        "registry.Town", verbose_name=_("服务区域"), blank=True, help_text=_("不选表示全县")
    )
    public_phone = models.CharField(
        _("对外联系电话"), max_length=20, blank=True, help_text=_("公开展示，请填写办公电话")
    )
    public_email = models.EmailField(_("对外联系邮箱"), blank=True)
    hidden = models.BooleanField(_("已被县局隐藏"), default=False, editable=False)
    hidden_reason = models.CharField(_("隐藏理由"), max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("机构公开信息")
        verbose_name_plural = _("机构公开信息")

    def __str__(self):
        return str(self.agency)

    def get_absolute_url(self):
        return reverse("market:profile_edit")

    @classmethod
    def scope_q(cls, user, action):
        if user.role == "county":
            return ALL
        if user.role == "agency":
            return models.Q(agency_id=user.agency_id)
        return None


class PriceItem(ScopedModel):
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.CASCADE, related_name="price_items"
    )
    service_type = models.CharField(_("服务类型"), max_length=20, choices=ServiceType.choices)
    item = models.CharField(_("服务项目"), max_length=100)
    unit = models.CharField(_("计价单位"), max_length=30, help_text=_("例如：家·年、次、人·天"))
    price_min = models.DecimalField(_("价格（元）"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    price_max = models.DecimalField(
        _("最高价（元）"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("区间报价时填写；单一价格留空"),
    )
    included = models.CharField(_("包含内容"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("服务价目")
        verbose_name_plural = _("服务价目")
        ordering = ["agency", "service_type", "item", "id"]

    def __str__(self):
        return f"{self.item}（{self.unit}）"

    def get_absolute_url(self):
        return reverse("market:priceitem_detail", args=[self.pk])

    def clean(self):
        if self.price_max is not None and self.price_min is not None and self.price_max < self.price_min:
            raise ValidationError({"price_max": _("最高价不能低于价格。")})

    @property
    def price_display(self) -> str:
        if self.price_max is not None and self.price_max != self.price_min:
            return f"{self.price_min:,.0f}–{self.price_max:,.0f} 元/{self.unit}"
        return f"{self.price_min:,.0f} 元/{self.unit}"

    @classmethod
    def scope_q(cls, user, action):
        if user.role == "county":
            return ALL if action == "view" else None
        if user.role == "agency":
            return models.Q(agency_id=user.agency_id)
        return None


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    REVIEW = "review", _("待审核")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class CaseStory(ScopedModel):
    """典型做法: a story of the policy at work, written by a town or the county, reviewed by the county
    before anyone outside sees it."""

    title = models.CharField(_("标题"), max_length=100)
    town = models.ForeignKey(
        "registry.Town", verbose_name=_("镇（街道）"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.CharField(_("摘要"), max_length=200)
    text = models.TextField(_("正文"), max_length=20000, help_text=_("空一行分段"))
    photo = models.FileField(_("配图"), upload_to="market/cases/%Y/%m/", max_length=200, blank=True, editable=False)
    status = models.CharField(_("状态"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撰写人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True, editable=False)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("典型做法")
        verbose_name_plural = _("典型做法")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("market:casestory_detail", args=[self.pk])

    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.text.replace("\r\n", "\n").split("\n\n") if p.strip()]

    @classmethod
    def scope_q(cls, user, action):
        if user.role == "county":
            return ALL
        if user.role == "town":
            # A town writes and sees its own town's stories (and reads what is published).
            mine = models.Q(town_id=user.town_id)
            return mine if action != "view" else mine | models.Q(status=CaseStatus.PUBLISHED)
        return None


# ---------------------------------------------------------------- needs, quotes, bars (issue 17 §2)


class NeedStatus(models.TextChoices):
    OPEN = "open", _("征集报价中")
    AWARDED = "awarded", _("已选定机构")
    CLOSED = "closed", _("已关闭")
    WITHDRAWN = "withdrawn", _("已撤回")


class Need(ScopedModel):
    """需求: an enterprise asks agencies for a service. What an agency sees of it is ``public_facts``:
    the enterprise's name only when it ticked ``show_name``, otherwise town, industry and size; never
    its credit code, address or contacts until it accepts that agency's quote."""

    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="market_needs"
    )
    # Copied from the register when the need is posted (what was published stays what it was).
    town = models.ForeignKey(
        "registry.Town", verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    industry = models.ForeignKey(
        "registry.Industry", verbose_name=_("行业"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    size_class = models.CharField(_("规模"), max_length=10, editable=False)
    service_types = models.JSONField(_("服务类型"), default=list)
    scope = models.TextField(
        _("服务内容"), max_length=2000, help_text=_("例如：隐患排查、标准化创建、应急演练、职业病危害检测")
    )
    visits_per_year = models.PositiveSmallIntegerField(
        _("每年上门次数"), default=4, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    start_date = models.DateField(_("期望服务期起"))
    end_date = models.DateField(_("期望服务期止"))
    budget_min = models.DecimalField(
        _("预算下限（元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    budget_max = models.DecimalField(
        _("预算上限（元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    open_to_all = models.BooleanField(_("向所有机构公开"), default=True, help_text=_("不勾选则仅邀请的机构可见"))
    invited = models.ManyToManyField(
        "registry.Agency", verbose_name=_("邀请的机构"), blank=True, related_name="market_invitations"
    )
    show_name = models.BooleanField(
        _("公开企业名称"), default=False, help_text=_("不勾选时，机构只看到所在镇（街道）、行业和规模")
    )
    status = models.CharField(_("状态"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    awarded_at = models.DateTimeField(_("选定时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("服务需求")
        verbose_name_plural = _("服务需求")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "town"])]

    def __str__(self):
        return _("%(types)s服务需求（%(town)s）") % {"types": self.types_display, "town": self.town}

    def get_absolute_url(self):
        return reverse("market:need_detail", args=[self.pk])

    @property
    def types_display(self) -> str:
        labels = dict(ServiceType.choices)
        return "、".join(str(labels.get(t, t)) for t in self.service_types)

    @property
    def self_paid(self) -> bool:
        """危化/重大危险源 units pay for their own services: no subsidy, no government purchase."""
        e = self.enterprise
        return bool(e.is_hazchem or e.has_major_hazard_source)

    def get_size_class_display(self):
        return dict(SizeClass.choices).get(self.size_class, self.size_class)

    def clean(self):
        errors = {}
        valid = set(ServiceType.values)
        if not isinstance(self.service_types, list) or not self.service_types or not set(self.service_types) <= valid:
            errors["service_types"] = _("至少选择一种有效的服务类型。")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("期望服务期止不能早于服务期起。")
        if self.budget_min is not None and self.budget_max is not None and self.budget_max < self.budget_min:
            errors["budget_max"] = _("预算上限不能低于预算下限。")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def scope_q(cls, user, action):
        if user.role == "county":
            return ALL if action == "view" else None
        if user.role == "town":
            return models.Q(town_id=user.town_id) if action == "view" else None
        if user.role == "enterprise":
            return models.Q(enterprise_id=user.enterprise_id)
        if user.role == "agency" and action == "view":
            from .queries import needs_open_to

            quoted = Quote.objects.filter(agency_id=user.agency_id).values("need_id")
            return models.Q(pk__in=needs_open_to(user.agency_id)) | models.Q(pk__in=quoted)
        return None


class QuoteStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已报价")
    ACCEPTED = "accepted", _("已中选")
    DECLINED = "declined", _("未中选")
    WITHDRAWN = "withdrawn", _("已撤回")


class Quote(ScopedModel):
    """报价: one agency's offer for one need. Accepting it makes exactly one draft service contract
    (``contract``); both sides then confirm it there."""

    need = models.ForeignKey(Need, verbose_name=_("服务需求"), on_delete=models.CASCADE, related_name="quotes")
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="market_quotes"
    )
    price = models.DecimalField(_("报价（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    visits_per_year = models.PositiveSmallIntegerField(
        _("每年上门次数"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    items = models.JSONField(_("服务事项"), default=list)
    staff = models.ManyToManyField("registry.AgencyStaff", verbose_name=_("拟派人员"), blank=True, related_name="+")
    plan = models.TextField(_("服务方案"), max_length=5000)
    valid_until = models.DateField(_("报价有效期至"))
    status = models.CharField(
        _("状态"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.SUBMITTED, editable=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报价人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(_("中选时间"), null=True, blank=True, editable=False)
    contract = models.OneToOneField(
        "services.ServiceContract",
        verbose_name=_("服务合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="market_quote",
        editable=False,
    )
    enterprise_confirmed_at = models.DateTimeField(_("企业确认时间"), null=True, blank=True, editable=False)
    enterprise_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("企业确认人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    agency_confirmed_at = models.DateTimeField(_("机构确认时间"), null=True, blank=True, editable=False)
    agency_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("机构确认人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip

    class Meta:
        verbose_name = _("报价")
        verbose_name_plural = _("报价")
        ordering = ["price", "id"]
        constraints = [models.UniqueConstraint(fields=["need", "agency"], name="market_one_quote_per_agency")]

    def __str__(self):
        return _("%(agency)s的报价") % {"agency": self.agency}

    def get_absolute_url(self):
        return reverse("market:quote_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == "county":
            return ALL if action == "view" else None
        if user.role == "town":
            return models.Q(need__town_id=user.town_id) if action == "view" else None
        if user.role == "enterprise":
            return models.Q(need__enterprise_id=user.enterprise_id)
        if user.role == "agency":
            return models.Q(agency_id=user.agency_id)
        return None


class QuoteMessage(ScopedModel):
    """A question or answer in the thread of one quote, between the enterprise and the agency."""

    quote = models.ForeignKey(Quote, verbose_name=_("报价"), on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发言人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    side = models.CharField(_("发言方"), max_length=10, choices=[("enterprise", _("企业")), ("agency", _("机构"))])
    text = models.TextField(_("内容"), max_length=2000)

    class Meta:
        verbose_name = _("报价问答")
        verbose_name_plural = _("报价问答")
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.text[:30]

    def get_absolute_url(self):
        return reverse("market:quote_detail", args=[self.quote_id])

    @classmethod
    def scope_q(cls, user, action):
        q = Quote.scope_q(user, action)
        if q is None or q is ALL:
            return q
        return models.Q(quote__in=Quote.objects.filter(q).values("pk"))


class Bar(ScopedModel):
    """The county bars an agency from quoting for an enterprise (e.g. a conflict of interest declared
    later under the supervision rules), with a reason. Listed and hidden agencies are barred anyway."""

    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.CASCADE, related_name="+"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("理由"), max_length=300)

    class Meta:
        verbose_name = _("禁止报价")
        verbose_name_plural = _("禁止报价")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["agency", "enterprise"], name="market_one_bar_per_pair")]

    def __str__(self):
        return f"{self.agency} × {self.enterprise}"

    def get_absolute_url(self):
        return reverse("market:bar_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return ALL if user.role == "county" else None
