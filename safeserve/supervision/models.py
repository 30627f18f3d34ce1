"""Supervision of service agencies: practice notices (执业告知), half-yearly sampling of service
visits with the shared draw and re-checks of the sampled ones, and misconduct findings that the
credit app picks up. docs/decisions/0034-agency-supervision.md"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel, choice_labels
from safeserve.core.scoping import ALL
from safeserve.core.uploads import storage_name
from safeserve.registry.choices import ServiceType
from safeserve.services.models import EvidencePhoto

from .choices import (
    CheckerKind,
    Half,
    MisconductKind,
    MisconductStatus,
    NoticeStatus,
    RecheckOutcome,
    RoundStatus,
)


class PracticeNotice(ScopedModel):
    """执业告知: an agency's written notice to the county before it works there.

    Valid on a day when the county has recorded it and the day lies in its period. The staff named
    are the agency's full-time staff working in the county (what staff sufficiency counts)."""

    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="practice_notices"
    )
    services = models.JSONField(_("服务事项"), default=list)
    staff = models.ManyToManyField(
        "registry.AgencyStaff", verbose_name=_("专职从业人员"), related_name="practice_notices", blank=True
    )
    towns = models.ManyToManyField(
        "registry.Town", verbose_name=_("服务区域（镇、街道）"), related_name="+", blank=True
    )
    enterprises = models.ManyToManyField(
        "registry.Enterprise", verbose_name=_("服务企业"), related_name="+", blank=True
    )
    start_date = models.DateField(_("执业期起"))
    end_date = models.DateField(_("执业期止"))
    status = models.CharField(
        _("状态"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.FILED, db_index=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True, editable=False)
    return_reason = models.CharField(_("退回理由"), max_length=300, blank=True, editable=False)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    FIELDS = (
        "agency",
        "services",
        "staff",
        "towns",
        "enterprises",
        "start_date",
        "end_date",
        "status",
        "recorded_by",
        "recorded_at",
        "return_reason",
        "note",
    )
    FORM_FIELDS = ("agency", "services", "staff", "towns", "enterprises", "start_date", "end_date", "note")

    class Meta:
        verbose_name = _("执业告知")
        verbose_name_plural = _("执业告知")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["agency", "status", "start_date", "end_date"])]
        permissions = [
            ("record_practicenotice", _("登记或退回执业告知")),
            ("view_agencyfile", _("查看服务机构档案")),
        ]

    def __str__(self):
        return f"{self.agency} {self.start_date:%Y-%m-%d}至{self.end_date:%Y-%m-%d}" if self.start_date else "—"

    def get_absolute_url(self):
        return reverse("supervision:practicenotice_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("执业期止不能早于执业期起")
        if (
            not isinstance(self.services, list)
            or not self.services
            or not set(self.services) <= set(ServiceType.values)
        ):
            errors["services"] = _("至少选择一项有效的服务事项")
        if errors:
            raise ValidationError(errors)

    def get_services_display(self):
        return choice_labels(ServiceType.choices, self.services)

    def valid_on(self, day) -> bool:
        return self.status == NoticeStatus.RECORDED and self.start_date <= day <= self.end_date

    @staticmethod
    def valid_on_q(day, prefix: str = "") -> models.Q:
        return models.Q(
            **{f"{prefix}status": NoticeStatus.RECORDED, f"{prefix}start_date__lte": day, f"{prefix}end_date__gte": day}
        )

    @classmethod
    def scope_q(cls, user, action):
        if action in ("change", "delete"):
            # A notice is changed or withdrawn only while it waits for the county.
            owner = cls._owner_q(user)
            return None if owner is None else owner & models.Q(status=NoticeStatus.FILED)
        if action == "add":
            return cls._owner_q(user)
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)
        if user.role == Role.TOWN and action == "view":
            in_town = cls.enterprises.through.objects.filter(enterprise__town_id=user.town_id).values(
                "practicenotice_id"
            )
            by_area = cls.towns.through.objects.filter(town_id=user.town_id).values("practicenotice_id")
            return models.Q(pk__in=in_town) | models.Q(pk__in=by_area)
        return None

    @classmethod
    def _owner_q(cls, user):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)
        return None


class SamplingRound(ScopedModel):
    """One half year's sampling of service visits: one shared draw per agency (core.draws)."""

    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    half = models.PositiveSmallIntegerField(_("半年"), choices=Half.choices)
    share = models.DecimalField(
        _("抽查比例"),
        max_digits=4,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("如0.15表示15%，按机构向上取整"),
    )
    status = models.CharField(_("状态"), max_length=10, choices=RoundStatus.choices, default=RoundStatus.FROZEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("服务抽查批次")
        verbose_name_plural = _("服务抽查批次")
        ordering = ["-year", "-half"]
        constraints = [models.UniqueConstraint(fields=["year", "half"], name="sampling_round_once_per_half")]

    def __str__(self):
        return f"{self.year}年{self.get_half_display()}服务抽查"

    def get_absolute_url(self):
        return reverse("supervision:round_detail", args=[self.pk])

    @property
    def period(self):
        from datetime import date

        return (
            (date(self.year, 1, 1), date(self.year, 6, 30))
            if self.half == Half.FIRST
            else (
                date(self.year, 7, 1),
                date(self.year, 12, 31),
            )
        )

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        # Towns, agencies and experts see the rounds (what was drawn, not whose): their rows come
        # through the items.
        if action == "view" and user.role in (Role.TOWN, Role.AGENCY, Role.EXPERT):
            return ALL
        return None


class SamplingDraw(ScopedModel):
    """One agency's draw in a round: its visits of the half year, frozen, then ranked by the value."""

    round = models.ForeignKey(SamplingRound, verbose_name=_("抽查批次"), on_delete=models.PROTECT, related_name="draws")
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="+"
    )
    draw = models.OneToOneField("core.Draw", verbose_name=_("抽取"), on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField(_("服务记录数"))
    places = models.PositiveIntegerField(_("抽取数"))

    class Meta:
        verbose_name = _("机构抽取")
        verbose_name_plural = _("机构抽取")
        ordering = ["round", "agency__name"]
        constraints = [models.UniqueConstraint(fields=["round", "agency"], name="sampling_draw_once_per_agency")]

    def __str__(self):
        return f"{self.round} {self.agency}"

    @classmethod
    def scope_q(cls, user, action):
        if action != "view":
            return None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)
        return None


class SampledItem(ScopedModel):
    """A visit drawn for re-checking."""

    round = models.ForeignKey(SamplingRound, verbose_name=_("抽查批次"), on_delete=models.PROTECT, related_name="items")
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "services.ServiceVisit", verbose_name=_("服务记录"), on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField(_("抽取顺序"))
    expert = models.ForeignKey(
        "registry.Expert",
        verbose_name=_("指派复核专家"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("县局指派的专家可登录录入本条复核"),
    )

    class Meta:
        verbose_name = _("抽查对象")
        verbose_name_plural = _("抽查对象")
        ordering = ["round", "agency__name", "rank"]
        permissions = [("recheck_sampleditem", _("复核抽查对象"))]
        constraints = [models.UniqueConstraint(fields=["round", "visit"], name="sampled_visit_once_per_round")]

    def __str__(self):
        return f"{self.agency} · {self.visit}"

    def get_absolute_url(self):
        return reverse("supervision:item_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        # "recheck": who records the re-check of a sampled visit (the county, the visit's town, or the
        # expert the county assigned to it); "change": who assigns the expert (the county).
        if user.role == Role.COUNTY:
            return ALL if action in ("view", "recheck", "change") else None
        if user.role == Role.TOWN and action in ("view", "recheck"):
            return models.Q(visit__enterprise__town_id=user.town_id)
        if user.role == Role.EXPERT and action in ("view", "recheck"):
            return models.Q(expert_id=user.expert_id)
        if user.role == Role.AGENCY and action == "view":
            return models.Q(agency_id=user.agency_id)
        return None


class ReCheck(ScopedModel):
    """The re-check of one sampled visit, by an officer or an expert, with photos."""

    item = models.OneToOneField(
        SampledItem, verbose_name=_("抽查对象"), on_delete=models.PROTECT, related_name="recheck"
    )
    checked_on = models.DateField(_("复核日期"))
    checker_kind = models.CharField(_("复核人类别"), max_length=10, choices=CheckerKind.choices)
    checker_name = models.CharField(_("复核人"), max_length=50)
    expert = models.ForeignKey(
        "registry.Expert", verbose_name=_("复核专家"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("复核结论"), max_length=16, choices=RecheckOutcome.choices, db_index=True)
    findings = models.TextField(_("复核情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("抽查复核")
        verbose_name_plural = _("抽查复核")
        ordering = ["-checked_on", "-id"]

    def __str__(self):
        return f"{self.item} · {self.get_outcome_display()}"

    def get_absolute_url(self):
        return reverse("supervision:item_detail", args=[self.item_id])

    def clean(self):
        if self.checker_kind == CheckerKind.EXPERT and not self.expert_id:
            raise ValidationError({"expert": _("专家复核须选择复核专家")})
        if self.checker_kind == CheckerKind.OFFICER and self.expert_id:
            raise ValidationError({"expert": _("监管人员复核时不填写专家")})

    @classmethod
    def scope_q(cls, user, action):
        item_q = SampledItem.scope_q(user, "view" if action == "view" else "recheck")
        if item_q is None or action not in ("view", "add"):
            return None
        return ALL if item_q is ALL else models.Q(item__in=SampledItem.objects.filter(item_q))


def recheck_photo_path(instance, filename):
    return storage_name("rechecks", instance.sha256, filename)


class ReCheckPhoto(EvidencePhoto):
    recheck = models.ForeignKey(ReCheck, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=recheck_photo_path, max_length=200)


class MisconductFinding(ScopedModel):
    """Misconduct of an agency: a false or copied record found by a re-check, or a rented
    qualification found otherwise (no re-check), proposed for the serious-default list (严重失信主体名单,
    11号令) for the agency and the staff responsible through core.hooks.propose_listing. Each is a veto
    item of the yearly grading (source ``supervision.misconduct``)."""

    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ManyToManyField("registry.AgencyStaff", verbose_name=_("责任人员"), related_name="+", blank=True)
    recheck = models.OneToOneField(
        ReCheck,
        verbose_name=_("来源复核"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="misconduct",
    )
    kind = models.CharField(
        _("失信情形"), max_length=24, choices=MisconductKind.choices, default=MisconductKind.FALSE_RECORD
    )
    finding = models.TextField(_("失信事实"))
    status = models.CharField(
        _("状态"), max_length=10, choices=MisconductStatus.choices, default=MisconductStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提议人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_on = models.DateField(_("提议日期"))

    class Meta:
        verbose_name = _("失信线索")
        verbose_name_plural = _("失信线索")
        ordering = ["-proposed_on", "-id"]

    def __str__(self):
        return f"{self.agency} · {self.proposed_on:%Y-%m-%d}"

    def get_absolute_url(self):
        if self.recheck_id is None:
            return reverse("supervision:agency_file", args=[self.agency_id]) + f"#misconduct-{self.pk}"
        return reverse("supervision:item_detail", args=[self.recheck.item_id])

    @property
    def source_key(self) -> str:
        """How the listings proposed from this finding name it (core.hooks.propose_listing)."""
        return f"supervision.misconductfinding:{self.pk}"

    def clean(self):
        if self.recheck_id is None and self.kind != MisconductKind.RENTED_QUALIFICATION:
            raise ValidationError({"kind": _("虚假或抄袭记录须来自抽查复核")})

    @classmethod
    def scope_q(cls, user, action):
        # Proposed by the county; a town sees those from its own enterprises' visits. The agency is
        # told by the credit app's advance notice, not here.
        if user.role == Role.COUNTY:
            return ALL if action in ("view", "add") else None
        if user.role == Role.TOWN and action == "view":
            return models.Q(recheck__item__visit__enterprise__town_id=user.town_id)
        return None
