"""The expert pool (专家库) beside registry.Expert, expert requests, draws' invitations and jobs.

registry.Expert stays the register entry (name, ID number, employer, phone); this app adds what the
pool needs: specialties from a maintained list, certificates, status with history, periods away,
declared interests for recusal, requests with their auditable draw (core.draws), invitations that
become jobs, findings, opinions, fees, ratings and removal proposals. docs/decisions/0035-expert-draws.md
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL

from .choices import InterestKind, InvitationState, PoolStatus, ProposalState, Purpose, RequestStatus


def _own_expert(user, field="expert_id"):
    return models.Q(**{field: user.expert_id}) if user.expert_id else None


class Specialty(ScopedModel):
    """The maintained list of specialties (专业领域) a request asks for and an expert holds."""

    name = models.CharField(_("专业领域"), max_length=30, unique=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("专业领域")
        verbose_name_plural = _("专业领域")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    @classmethod
    def scope_q(cls, user, action):
        return ALL if action == "view" or user.role == Role.COUNTY else None


class ExpertProfile(ScopedModel):
    """One expert's place in the pool: specialties, certificates, status (with history in StatusChange)."""

    expert = models.OneToOneField(
        "registry.Expert", verbose_name=_("专家"), on_delete=models.PROTECT, related_name="pool_profile"
    )
    specialty_list = models.ManyToManyField(Specialty, verbose_name=_("专业领域"), blank=True, related_name="+")
    certificates = models.TextField(_("证书"), blank=True, help_text=_("每行一本：证书名称、编号、有效期"))
    status = models.CharField(_("库内状态"), max_length=10, choices=PoolStatus.choices, default=PoolStatus.ACTIVE)
    interests_confirmed_at = models.DateTimeField(_("利害关系确认时间"), null=True, blank=True)
    interests_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("利害关系确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    FIELDS = ["expert", "specialty_list", "certificates", "status", "interests_confirmed_at"]

    class Meta:
        verbose_name = _("库内专家")
        verbose_name_plural = _("专家库")
        ordering = ["expert__name", "id"]

    def __str__(self):
        return str(self.expert)

    def get_absolute_url(self):
        return reverse("experts:profile_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.EXPERT and action in ("view", "change"):
            return _own_expert(user, "expert_id")
        return None


class StatusChange(models.Model):
    """The history of a profile's status (在库/暂停/退出): never changed, only added to."""

    profile = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("原状态"), max_length=10, choices=PoolStatus.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=PoolStatus.choices)
    reason = models.CharField(_("理由"), max_length=300)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.from_status}->{self.to_status}"


class Absence(ScopedModel):
    """A period away (出差、培训、病假): the expert is not drawn for a date within it."""

    expert = models.ForeignKey("registry.Expert", verbose_name=_("专家"), on_delete=models.CASCADE, related_name="+")
    start = models.DateField(_("起始日期"))
    end = models.DateField(_("截止日期"))
    reason = models.CharField(_("事由"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("不在岗时段")
        verbose_name_plural = _("不在岗时段")
        ordering = ["-start", "-id"]

    def __str__(self):
        return f"{self.start}～{self.end}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("截止日期不能早于起始日期")})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.EXPERT:
            return _own_expert(user)
        return None


class Interest(ScopedModel):
    """A declared interest (利害关系申报): the expert keeps them, the county confirms them."""

    expert = models.ForeignKey("registry.Expert", verbose_name=_("专家"), on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=20, choices=InterestKind.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("关联企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    party_name = models.CharField(_("单位名称"), max_length=100, help_text=_("未在本系统登记的单位按名称比对"))
    start = models.DateField(_("起始日期"), null=True, blank=True)
    end = models.DateField(_("截止日期"), null=True, blank=True, help_text=_("仍在持续的留空"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    confirmed_at = models.DateTimeField(_("县局确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("利害关系")
        verbose_name_plural = _("利害关系")
        ordering = ["expert", "kind", "id"]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.party_name}"

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.EXPERT and action in ("view", "add", "delete"):
            # The expert keeps their own declarations; a confirmed one only the county removes.
            q = _own_expert(user)
            return q & models.Q(confirmed_at__isnull=True) if q is not None and action == "delete" else q
        return None


class ExpertRequest(ScopedModel):
    """A request for experts (专家抽取申请): what for, which enterprises, which specialties, how many."""

    purpose = models.CharField(_("用途"), max_length=20, choices=Purpose.choices)
    title = models.CharField(_("事由"), max_length=200)
    enterprises = models.ManyToManyField("registry.Enterprise", verbose_name=_("涉及企业"), related_name="+")
    specialties = models.ManyToManyField(Specialty, verbose_name=_("所需专业"), related_name="+")
    places = models.PositiveIntegerField(_("抽取人数"), validators=[MinValueValidator(1), MaxValueValidator(20)])
    reserves = models.PositiveIntegerField(_("备选人数"), default=2, validators=[MaxValueValidator(20)])
    work_date = models.DateField(_("工作日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("申请镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    # Manual exclusions: [{"expert": id, "reason": "..."}], each with its reason (shown with the draw).
    manual_exclusions = models.JSONField(_("人工排除"), default=list, blank=True)
    draw = models.ForeignKey(
        "core.Draw", verbose_name=_("当前抽取"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    FIELDS = ["purpose", "title", "enterprises", "specialties", "places", "reserves", "work_date", "place", "status"]

    class Meta:
        verbose_name = _("专家抽取申请")
        verbose_name_plural = _("专家抽取申请")
        ordering = ["-work_date", "-id"]

    def __str__(self):
        return f"{self.get_purpose_display()}：{self.title}"

    def get_absolute_url(self):
        return reverse("experts:request_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN and user.town_id:
            # Requests it made, and (to read) requests about its enterprises.
            own = models.Q(town_id=user.town_id)
            if action != "view":
                return own
            about = ExpertRequest.enterprises.through.objects.filter(enterprise__town_id=user.town_id)
            return own | models.Q(pk__in=about.values("expertrequest_id"))
        return None


class Invitation(ScopedModel):
    """One drawn expert called for a request: invited, then accepted (a job), declined or expired."""

    request = models.ForeignKey(
        ExpertRequest, verbose_name=_("抽取申请"), on_delete=models.PROTECT, related_name="invitations"
    )
    draw = models.ForeignKey("core.Draw", verbose_name=_("抽取"), on_delete=models.PROTECT, related_name="+")
    expert = models.ForeignKey("registry.Expert", verbose_name=_("专家"), on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField(_("抽取顺位"))
    is_reserve = models.BooleanField(_("由备选递补"), default=False)
    state = models.CharField(_("状态"), max_length=10, choices=InvitationState.choices, default=InvitationState.INVITED)
    called_at = models.DateTimeField(_("通知时间"), auto_now_add=True)
    deadline = models.DateTimeField(_("答复期限"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    reason = models.CharField(_("拒绝理由"), max_length=300, blank=True)
    # The job, once accepted.
    opinion = models.TextField(_("专家意见"), blank=True)
    opinion_file = models.FileField(_("意见书PDF"), upload_to="expert-opinions/%Y/", max_length=200, blank=True)
    opinion_sha256 = models.CharField(_("意见书SHA-256"), max_length=64, blank=True)
    fee = models.DecimalField(_("劳务费（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("专家任务")
        verbose_name_plural = _("专家任务")
        ordering = ["-called_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["draw", "expert"], name="experts_one_call_per_draw")]

    def __str__(self):
        return f"{self.expert} · {self.request}"

    def get_absolute_url(self):
        return reverse("experts:job_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.EXPERT:
            return _own_expert(user)
        if user.role == Role.TOWN and action == "view" and user.town_id:
            return models.Q(request__in=ExpertRequest.objects.filter(ExpertRequest.scope_q(user, "view")).values("pk"))
        if user.role == Role.ENTERPRISE and action == "view" and user.enterprise_id:
            about = ExpertRequest.enterprises.through.objects.filter(enterprise_id=user.enterprise_id)
            return models.Q(state=InvitationState.ACCEPTED, request__in=about.values("expertrequest_id"))
        return None


class Finding(models.Model):
    """A finding an expert recorded on a job; it became a hazard (source 专家检查) of the enterprise."""

    invitation = models.ForeignKey(Invitation, on_delete=models.PROTECT, related_name="findings")
    hazard = models.ForeignKey("hazards.Hazard", verbose_name=_("隐患"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return str(self.hazard_id)


class Rating(ScopedModel):
    """The requester's rating of one job, out of 100 (within the working days of the setting)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.PROTECT, related_name="rating")
    expert = models.ForeignKey("registry.Expert", on_delete=models.PROTECT, related_name="+")
    score = models.PositiveIntegerField(_("评分"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    comment = models.CharField(_("评语"), max_length=300, blank=True)
    late = models.BooleanField(_("逾期评分"), default=False)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专家评分")
        verbose_name_plural = _("专家评分")

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.EXPERT and action == "view":
            return _own_expert(user)
        return None


class RemovalProposal(ScopedModel):
    """An average below the threshold proposes removal from the pool; the county decides."""

    expert = models.ForeignKey("registry.Expert", verbose_name=_("专家"), on_delete=models.PROTECT, related_name="+")
    average = models.DecimalField(_("平均分"), max_digits=5, decimal_places=1)
    ratings = models.PositiveIntegerField(_("评分次数"))
    since = models.DateField(_("统计起始"))
    state = models.CharField(_("状态"), max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("移出专家库建议")
        verbose_name_plural = _("移出专家库建议")
        ordering = ["-created_at", "-id"]

    @classmethod
    def scope_q(cls, user, action):
        return ALL if user.role == Role.COUNTY else None
