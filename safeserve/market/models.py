"""The service marketplace's public side (服务超市, issue 17): agency profiles and price lists, the
county's power to hide an agency with a reason, and the case stories (典型做法) the county publishes.

An agency maintains its own profile and prices (audited); what the public sees is computed by
``queries.directory``: only agencies in the register, not hidden, not on the serious-default list,
and only the service types their valid, county-confirmed qualifications cover on the day.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.registry.choices import ServiceType


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
