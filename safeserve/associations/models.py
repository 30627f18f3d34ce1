"""Industry associations at work: membership history, 互查 campaigns and the inspections members make.

``registry.Association.members`` stays the set of *current* members (every existing scope reads it);
``Membership`` is its dated history, and the actions here keep both in step.
"""

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
from safeserve.services.models import ChecklistAnswer, EvidencePhoto


class Membership(ScopedModel):
    """One period of an enterprise's membership: joined, and (once it leaves) left."""

    association = models.ForeignKey(
        "registry.Association", verbose_name=_("行业协会"), on_delete=models.PROTECT, related_name="memberships"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("会员企业"), on_delete=models.PROTECT, related_name="memberships"
    )
    joined_on = models.DateField(_("入会日期"))
    left_on = models.DateField(_("退会日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    FIELDS = ("association", "enterprise", "joined_on", "left_on", "note")

    class Meta:
        verbose_name = _("会员")
        verbose_name_plural = _("会员")
        ordering = ["association", "-joined_on", "-id"]
        indexes = [models.Index(fields=["association", "left_on"]), models.Index(fields=["enterprise", "left_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "enterprise"],
                condition=models.Q(left_on__isnull=True),
                name="membership_one_open_period",
            )
        ]

    def __str__(self):
        name = self.enterprise.name if "enterprise" in self._state.fields_cache else self.enterprise_id
        return f"{name}（{self.joined_on}—{self.left_on or ''}）"

    def get_absolute_url(self):
        return reverse("associations:membership_detail", args=[self.pk])

    def clean(self):
        if self.joined_on and self.left_on and self.left_on < self.joined_on:
            raise ValidationError({"left_on": _("退会日期不能早于入会日期")})

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    def covers(self, day) -> bool:
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)

    @classmethod
    def scope_q(cls, user, action):
        if action == "delete":
            return None  # a membership period is history: it ends (left_on), it is never deleted
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.ASSOCIATION:
            # Its own members, past ones included (their history is the association's for those dates).
            return models.Q(association_id=user.association_id)
        if action != "view":
            return None
        if user.role == Role.TOWN:
            return models.Q(enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(enterprise_id=user.enterprise_id)
        return None


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("未开始")
    RUNNING = "running", _("进行中")
    ENDED = "ended", _("已结束")


class Campaign(ScopedModel):
    """互查 campaign: over a period, groups of members inspect each other with one checklist."""

    association = models.ForeignKey(
        "registry.Association", verbose_name=_("行业协会"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("活动名称"), max_length=100)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    template = models.ForeignKey(
        "services.ChecklistTemplate", verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="+"
    )
    expert = models.ForeignKey(
        "registry.Expert",
        verbose_name=_("指导专家"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer_name = models.CharField(_("指导人员（部门干部）"), max_length=50, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    FIELDS = ("association", "name", "start_date", "end_date", "template", "expert", "officer_name", "note")
    FORM_FIELDS = ("name", "start_date", "end_date", "template", "expert", "officer_name", "note")

    class Meta:
        verbose_name = _("互查活动")
        verbose_name_plural = _("互查活动")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["association", "-start_date"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("associations:campaign_detail", args=[self.pk])

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("结束日期不能早于开始日期")})

    def status_on(self, day) -> str:
        if day < self.start_date:
            return CampaignStatus.PLANNED
        return CampaignStatus.RUNNING if day <= self.end_date else CampaignStatus.ENDED

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    def get_status_display(self):
        return CampaignStatus(self.status).label

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.ASSOCIATION:
            return models.Q(association_id=user.association_id)
        if action != "view":
            return None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            groups = CampaignGroup.enterprises.through.objects.filter(enterprise__town_id=user.town_id)
            return models.Q(pk__in=groups.values("campaigngroup__campaign_id"))
        if user.role == Role.ENTERPRISE:
            groups = CampaignGroup.enterprises.through.objects.filter(enterprise_id=user.enterprise_id)
            return models.Q(pk__in=groups.values("campaigngroup__campaign_id"))
        if user.role == Role.EXPERT:
            return models.Q(expert_id=user.expert_id)
        return None


class CampaignGroup(ScopedModel):
    """Members who inspect each other (each member of a group may inspect every other one)."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("互查活动"), on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("小组名称"), max_length=50)
    enterprises = models.ManyToManyField("registry.Enterprise", verbose_name=_("小组成员"), related_name="+")

    FIELDS = ("campaign", "name", "enterprises")

    class Meta:
        verbose_name = _("互查小组")
        verbose_name_plural = _("互查小组")
        ordering = ["campaign", "name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("associations:campaigngroup_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        q = Campaign.scope_q(user, "view" if action == "view" else "change")
        if q is None:
            return None
        return ALL if q is ALL else models.Q(campaign__in=Campaign.objects.filter(q).values("pk"))


class MutualInspection(ScopedModel):
    """One member's inspection of another, on the campaign's checklist, confirmed by both sides.

    Its content (results, findings, photo hashes) is hashed and chained to the campaign's previous
    inspection, as a service visit is to its agency's (services/chain.py).
    """

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("互查活动"), on_delete=models.PROTECT, related_name="inspections"
    )
    group = models.ForeignKey(CampaignGroup, verbose_name=_("互查小组"), on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("检查企业"), on_delete=models.PROTECT, related_name="+"
    )
    inspected = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("被检查企业"), on_delete=models.PROTECT, related_name="+"
    )
    inspected_at = models.DateTimeField(_("检查时间"))
    inspector_names = models.CharField(_("检查人员"), max_length=100)
    findings = models.TextField(_("发现问题及建议"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("录入时间（服务器）"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("被检查企业确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("被检查企业确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    seq = models.PositiveIntegerField(_("活动记录序号"))
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64, blank=True)
    content_hash = models.CharField(_("记录哈希"), max_length=64)

    class Meta:
        verbose_name = _("互查记录")
        verbose_name_plural = _("互查记录")
        ordering = ["-inspected_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "seq"], name="inspection_seq_once_per_campaign")]
        indexes = [models.Index(fields=["campaign", "inspected"]), models.Index(fields=["inspected", "-inspected_at"])]

    def __str__(self):
        names = self._state.fields_cache
        who = self.inspected.name if "inspected" in names else self.inspected_id
        return f"{who} {timezone.localtime(self.inspected_at):%Y-%m-%d}" if self.inspected_at else str(who)

    def get_absolute_url(self):
        return reverse("associations:inspection_detail", args=[self.pk])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @classmethod
    def scope_q(cls, user, action):
        if action != "view":
            return None  # recorded once (inspection_record); only the confirmation is added later
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(inspected__town_id=user.town_id) | models.Q(inspector__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(inspected_id=user.enterprise_id) | models.Q(inspector_id=user.enterprise_id)
        if user.role == Role.ASSOCIATION:
            return models.Q(campaign__association_id=user.association_id)
        if user.role == Role.EXPERT:
            return models.Q(campaign__expert_id=user.expert_id)
        return None


class InspectionResult(ChecklistAnswer):
    inspection = models.ForeignKey(MutualInspection, on_delete=models.CASCADE, related_name="results")

    class Meta(ChecklistAnswer.Meta):
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="inspection_item_once")]


def inspection_photo_path(instance, filename):
    return storage_name("mutual", instance.sha256, filename)


class InspectionPhoto(EvidencePhoto):
    inspection = models.ForeignKey(MutualInspection, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=inspection_photo_path, max_length=200)


class InspectionHazard(models.Model):
    """The hazard a finding of the inspection became (the hazard is the inspected member's own)."""

    inspection = models.ForeignKey(MutualInspection, on_delete=models.PROTECT, related_name="hazard_links")
    hazard = models.OneToOneField("hazards.Hazard", on_delete=models.PROTECT, related_name="+")

    def __str__(self):
        return f"{self.inspection_id}:{self.hazard_id}"
