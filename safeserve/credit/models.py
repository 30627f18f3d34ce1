"""Credit (诚信): the facts credit is made of (accidents, penalties, safety commitments), the rule
tables that price them, the grades they give, and the serious-default list (严重失信主体名单).

docs/decisions/0032-credit-and-listing.md."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel, choice_labels
from safeserve.core.scoping import ALL
from safeserve.core.uploads import document_storage_name

from .choices import (
    AccidentLevel,
    CommitmentStatus,
    Grade,
    ListingParty,
    ListingSituation,
    ListingState,
    PartyKind,
    PenaltyMeasure,
    PenaltyStatus,
    Subject,
)

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


def accident_path(instance, filename):
    return document_storage_name("credit/accidents", instance.attachment_sha256 or "x", filename)


def decision_path(instance, filename):
    return f"credit/decisions/{instance.decided_on:%Y}/{instance.decision_sha256}.pdf"


def repair_path(instance, filename):
    return document_storage_name("credit/repair", instance.repair_sha256 or "x", filename)


def _enterprise_scope(user, action, field="enterprise", officers_write=True):
    """County: all; a town: its own town's enterprises; an enterprise: its own (reading only)."""
    if user.role == Role.COUNTY:
        return ALL
    if user.role == Role.TOWN and (action == "view" or officers_write):
        return Q(**{f"{field}__town_id": user.town_id})
    if user.role == Role.ENTERPRISE and action == "view":
        return Q(**{f"{field}_id": user.enterprise_id})
    return None


class Accident(ScopedModel):
    """生产安全事故: recorded by county and town officers; the enterprise reads its own."""

    title = models.CharField(_("事故名称"), max_length=100)
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="accidents"
    )
    occurred_on = models.DateField(_("发生日期"), db_index=True)
    level = models.CharField(_("事故等级"), max_length=15, choices=AccidentLevel.choices)
    deaths = models.PositiveIntegerField(_("死亡人数"), default=0, validators=[MaxValueValidator(10000)])
    serious_injuries = models.PositiveIntegerField(_("重伤人数"), default=0, validators=[MaxValueValidator(10000)])
    direct_loss = models.DecimalField(_("直接经济损失（元）"), default=0, **MONEY)
    concealed = models.BooleanField(_("瞒报、谎报或迟报"), default=False)
    conclusion = models.TextField(_("调查结论"), blank=True)
    attachment = models.FileField(_("附件"), upload_to=accident_path, max_length=200, blank=True)
    attachment_name = models.CharField(_("附件文件名"), max_length=200, blank=True, editable=False)
    attachment_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    FIELDS = [
        "title",
        "enterprise",
        "occurred_on",
        "level",
        "deaths",
        "serious_injuries",
        "direct_loss",
        "concealed",
        "conclusion",
    ]

    class Meta:
        verbose_name = _("生产安全事故")
        verbose_name_plural = _("生产安全事故")
        ordering = ["-occurred_on", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("credit:accident_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return _enterprise_scope(user, action)


class Penalty(ScopedModel):
    """行政处罚: the party is an enterprise, an agency or a person."""

    decision_number = models.CharField(_("处罚决定书文号"), max_length=100, unique=True)
    decided_on = models.DateField(_("处罚日期"), db_index=True)
    party_kind = models.CharField(_("当事人类型"), max_length=12, choices=PartyKind.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("服务机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="penalties",
    )
    person_name = models.CharField(_("当事人姓名"), max_length=50, blank=True)
    violation = models.TextField(_("违法行为"))
    legal_basis = models.CharField(_("处罚依据"), max_length=300)
    fine = models.DecimalField(_("罚款金额（元）"), default=0, **MONEY)
    measures = models.JSONField(_("其他处罚措施"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=PenaltyStatus.choices, default=PenaltyStatus.DECIDED)

    FIELDS = [
        "decision_number",
        "decided_on",
        "party_kind",
        "enterprise",
        "agency",
        "person_name",
        "violation",
        "legal_basis",
        "fine",
        "measures",
        "status",
    ]

    class Meta:
        verbose_name = _("行政处罚")
        verbose_name_plural = _("行政处罚")
        ordering = ["-decided_on", "-id"]

    def __str__(self):
        return self.decision_number

    def get_absolute_url(self):
        return reverse("credit:penalty_detail", args=[self.pk])

    @property
    def party_name(self) -> str:
        if self.party_kind == PartyKind.ENTERPRISE and self.enterprise_id:
            return self.enterprise.name
        if self.party_kind == PartyKind.AGENCY and self.agency_id:
            return self.agency.name
        return self.person_name

    def get_measures_display(self):
        return choice_labels(PenaltyMeasure.choices, self.measures)

    def clean(self):
        errors = {}
        if not isinstance(self.measures, list) or not set(self.measures) <= set(PenaltyMeasure.values):
            errors["measures"] = _("处罚措施无效")
        kind = self.party_kind
        if kind == PartyKind.ENTERPRISE and not self.enterprise_id:
            errors["enterprise"] = _("当事人为企业时须选择企业")
        if kind == PartyKind.AGENCY and not self.agency_id:
            errors["agency"] = _("当事人为服务机构时须选择服务机构")
        if kind == PartyKind.PERSON and not self.person_name.strip():
            errors["person_name"] = _("当事人为个人时须填写姓名")
        if kind != PartyKind.ENTERPRISE and self.enterprise_id and kind != PartyKind.PERSON:
            errors["enterprise"] = _("当事人类型与所选企业不符")
        if kind != PartyKind.AGENCY and self.agency_id and kind != PartyKind.PERSON:
            errors["agency"] = _("当事人类型与所选服务机构不符")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def scope_q(cls, user, action):
        """County: all. A town: penalties of its enterprises. A party reads its own. A person's
        penalty (a name) is the county's only."""
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return Q(party_kind=PartyKind.ENTERPRISE, enterprise__town_id=user.town_id)
        if action == "view" and user.role == Role.ENTERPRISE:
            return Q(party_kind=PartyKind.ENTERPRISE, enterprise_id=user.enterprise_id)
        if action == "view" and user.role == Role.AGENCY:
            return Q(party_kind=PartyKind.AGENCY, agency_id=user.agency_id)
        return None


class Commitment(ScopedModel):
    """安全承诺: an enterprise's yearly commitment, kept or not as an officer's check finds."""

    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="commitments"
    )
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    content = models.CharField(_("承诺内容"), max_length=300)
    signed_on = models.DateField(_("签署日期"))
    status = models.CharField(
        _("履行情况"), max_length=10, choices=CommitmentStatus.choices, default=CommitmentStatus.PENDING
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    checked_on = models.DateField(_("核查日期"), null=True, blank=True, editable=False)
    check_note = models.CharField(_("核查说明"), max_length=300, blank=True, editable=False)

    FIELDS = ["enterprise", "year", "content", "signed_on", "status", "checked_by", "checked_on", "check_note"]

    class Meta:
        verbose_name = _("安全承诺")
        verbose_name_plural = _("安全承诺")
        ordering = ["-year", "-id"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="credit_commitment_per_year")]

    def __str__(self):
        return f"{self.year} {self.content[:20]}"

    def get_absolute_url(self):
        return reverse("credit:commitment_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return _enterprise_scope(user, action)


class RuleTable(ScopedModel):
    """A year's rule table for one kind of subject (data, versioned): base grades, the price of each
    kind of fact, caps, floors and forced grades. With no table for a year the default applies."""

    subject = models.CharField(_("适用对象"), max_length=12, choices=Subject.choices)
    year = models.PositiveIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("版本名称"), max_length=100)
    rules = models.JSONField(_("规则"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    FIELDS = ["subject", "year", "name", "rules", "note"]

    class Meta:
        verbose_name = _("信用评级规则")
        verbose_name_plural = _("信用评级规则")
        ordering = ["-year", "subject"]
        constraints = [models.UniqueConstraint(fields=["subject", "year"], name="credit_rules_per_subject_year")]

    def __str__(self):
        return f"{self.year} {self.name}"

    def get_absolute_url(self):
        return reverse("credit:ruletable_detail", args=[self.pk])

    def clean(self):
        from .rules import table_errors

        problems = table_errors(self.rules)
        if problems:
            raise ValidationError({"rules": problems})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN and action == "view":
            return ALL
        return None


class CreditGrade(ScopedModel):
    """One computed grade with its explanation; a new row only when the grade or its reasons change,
    so the rows of a subject are its history and the ``is_current`` one is its grade."""

    subject = models.CharField(_("主体类型"), max_length=12, choices=Subject.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="credit_grades",
    )
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("服务机构"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="credit_grades",
    )
    grade = models.CharField(_("信用等级"), max_length=2, choices=Grade.choices)
    as_of = models.DateField(_("评定日期"))
    rule_version = models.CharField(_("规则版本"), max_length=120)
    explanation = models.JSONField(_("评定依据"), default=dict)
    is_current = models.BooleanField(_("当前等级"), default=True, db_index=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)

    FIELDS = ["subject_name", "subject", "grade", "as_of", "rule_version", "is_current"]
    extra_labels = {"subject_name": _("主体名称")}

    class Meta:
        verbose_name = _("信用等级")
        verbose_name_plural = _("信用等级")
        ordering = ["-computed_at", "-id"]
        indexes = [models.Index(fields=["subject", "is_current", "enterprise"])]

    def __str__(self):
        return f"{self.subject_name} {self.grade}"

    def get_absolute_url(self):
        return reverse("credit:creditgrade_detail", args=[self.pk])

    @property
    def subject_name(self) -> str:
        party = self.enterprise if self.subject == Subject.ENTERPRISE else self.agency
        return party.name if party else ""

    @classmethod
    def scope_q(cls, user, action):
        if action != "view":
            return None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return Q(subject=Subject.ENTERPRISE, enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return Q(subject=Subject.ENTERPRISE, enterprise_id=user.enterprise_id)
        if user.role == Role.AGENCY:
            return Q(subject=Subject.AGENCY, agency_id=user.agency_id)
        return None


# A listing counts (public page, the "listed" provider, forced grades) between its publication and
# its end: three years after the decision, or the day an early removal takes effect.
LIVE_STATES = (ListingState.PUBLISHED, ListingState.REPAIR_REQUESTED, ListingState.REMOVED)


def listed_on_q(on: date) -> Q:
    return Q(state__in=LIVE_STATES, published_on__lte=on, expires_on__gt=on) & (
        Q(removed_on__isnull=True) | Q(removed_on__gt=on)
    )


class Listing(ScopedModel):
    """严重失信主体名单: one listing of an enterprise or agency, from proposal to removal (transitions.py)."""

    subject = models.CharField(_("主体类型"), max_length=12, choices=ListingParty.choices)
    enterprise = models.ForeignKey(
        "registry.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="listings",
    )
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("服务机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="listings",
    )
    staff = models.ForeignKey(
        "registry.AgencyStaff",
        verbose_name=_("从业人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("主体类型为服务机构从业人员时填写；其所在机构记入“服务机构”"),
    )
    situation = models.CharField(_("列入情形"), max_length=30, choices=ListingSituation.choices, blank=True)
    accident = models.ForeignKey(
        Accident, verbose_name=_("关联事故"), null=True, blank=True, on_delete=models.PROTECT, related_name="listings"
    )
    penalty = models.ForeignKey(
        Penalty,
        verbose_name=_("关联行政处罚"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="listings",
    )
    facts = models.CharField(_("失信事实"), max_length=500)
    # The record another app proposed this listing from (core.hooks.propose_listing), e.g.
    # "supervision.misconductfinding:12", and its page; set by that proposal only.
    source = models.CharField(_("来源记录"), max_length=80, blank=True, editable=False, db_index=True)
    source_url = models.CharField(_("来源记录链接"), max_length=200, blank=True, editable=False)
    state = models.CharField(
        _("状态"), max_length=20, choices=ListingState.choices, default=ListingState.PROPOSED, db_index=True
    )
    proposed_on = models.DateField(_("提议日期"), editable=False, null=True)
    noticed_on = models.DateField(_("告知日期"), null=True, blank=True, editable=False)
    objection_deadline = models.DateField(_("异议截止日期"), null=True, blank=True, editable=False)
    objection = models.TextField(_("异议内容"), blank=True, editable=False)
    objection_result = models.TextField(_("异议处理意见"), blank=True, editable=False)
    decision_number = models.CharField(_("决定书文号"), max_length=120, blank=True, editable=False)
    decision_year = models.PositiveIntegerField(null=True, blank=True, editable=False)
    decision_seq = models.PositiveIntegerField(null=True, blank=True, editable=False)
    decided_on = models.DateField(_("决定日期"), null=True, blank=True, editable=False)
    decision_pdf = models.FileField(_("决定书PDF"), upload_to=decision_path, max_length=200, blank=True, editable=False)
    decision_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    published_on = models.DateField(_("公示日期"), null=True, blank=True, editable=False)
    expires_on = models.DateField(_("届满日期"), null=True, blank=True, editable=False)
    repair_requested_on = models.DateField(_("修复申请日期"), null=True, blank=True, editable=False)
    repair_evidence = models.TextField(_("整改及信用修复证明"), blank=True, editable=False)
    repair_attachment = models.FileField(
        _("修复证明附件"), upload_to=repair_path, max_length=200, blank=True, editable=False
    )
    repair_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    repair_result = models.TextField(_("修复申请处理意见"), blank=True, editable=False)
    removed_on = models.DateField(_("移出日期"), null=True, blank=True, editable=False)
    revocation_reason = models.TextField(_("撤销移出理由"), blank=True, editable=False)

    FIELDS = [
        "subject",
        "enterprise",
        "agency",
        "staff",
        "situation",
        "accident",
        "penalty",
        "facts",
        "source",
        "state",
        "proposed_on",
        "noticed_on",
        "objection_deadline",
        "objection",
        "objection_result",
        "decision_number",
        "decided_on",
        "published_on",
        "expires_on",
        "repair_requested_on",
        "repair_evidence",
        "repair_result",
        "removed_on",
        "revocation_reason",
    ]

    class Meta:
        verbose_name = _("严重失信主体名单")
        verbose_name_plural = _("严重失信主体名单")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision_year", "decision_seq"],
                name="credit_listing_decision_number",
                condition=Q(decision_seq__isnull=False),
            )
        ]

    def __str__(self):
        return f"{self.subject_name}（{self.get_situation_display()}）"

    def get_absolute_url(self):
        return reverse("credit:listing_detail", args=[self.pk])

    @property
    def party(self):
        if self.subject == ListingParty.STAFF:
            return self.staff
        return self.enterprise if self.subject == Subject.ENTERPRISE else self.agency

    @property
    def subject_name(self) -> str:
        party = self.party
        return party.name if party else ""

    @property
    def credit_code(self) -> str:
        """The unit's code; a person's ID number is never published (the page shows the employer)."""
        if self.subject == ListingParty.STAFF:
            return ""
        party = self.party
        return party.credit_code if party else ""

    @property
    def source_label(self) -> str:
        return _("失信线索（服务抽查复核）") if self.source.startswith("supervision.") else self.source

    def clean(self):
        errors = {}
        if not self.situation:
            errors["situation"] = _("列入严重失信主体名单必须选择列入情形（应急管理部令第11号规定的情形之一）")
        if self.subject == Subject.ENTERPRISE and not self.enterprise_id:
            errors["enterprise"] = _("主体类型为企业时须选择企业")
        if self.subject == Subject.AGENCY and not self.agency_id:
            errors["agency"] = _("主体类型为服务机构时须选择服务机构")
        if self.subject == Subject.ENTERPRISE and self.agency_id:
            errors["agency"] = _("主体类型为企业时不能选择服务机构")
        if self.subject in (Subject.AGENCY, ListingParty.STAFF) and self.enterprise_id:
            errors["enterprise"] = _("主体类型为服务机构时不能选择企业")
        if self.subject == ListingParty.STAFF:
            if not self.staff_id:
                errors["staff"] = _("主体类型为服务机构从业人员时须选择人员")
            elif self.agency_id != self.staff.agency_id:
                errors["agency"] = _("服务机构须为该人员所在机构")
        elif self.staff_id:
            errors["staff"] = _("只有主体类型为服务机构从业人员时才选择人员")
        if not self.accident_id and not self.penalty_id and not self.source:
            errors["penalty"] = _("须关联引起列入的生产安全事故或行政处罚")
        if self.accident_id and self.enterprise_id and self.accident.enterprise_id != self.enterprise_id:
            errors["accident"] = _("所选事故不属于该企业")
        if errors:
            raise ValidationError(errors)

    def is_listed_on(self, on: date) -> bool:
        return bool(
            self.state in LIVE_STATES
            and self.published_on
            and self.published_on <= on < self.expires_on
            and (self.removed_on is None or self.removed_on > on)
        )

    @classmethod
    def scope_q(cls, user, action):
        """The county handles listings; a town reads its enterprises'; the party reads its own from the
        advance notice on (a proposal is internal until the party is told)."""
        if user.role == Role.COUNTY:
            # Once the party has been told, the record changes only through its steps.
            return Q(state=ListingState.PROPOSED) if action == "change" else ALL
        if action != "view":
            return None
        told = ~Q(state=ListingState.PROPOSED)
        if user.role == Role.TOWN:
            return Q(subject=Subject.ENTERPRISE, enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return Q(subject=Subject.ENTERPRISE, enterprise_id=user.enterprise_id) & told
        if user.role == Role.AGENCY:
            # The agency's own listing, and those of its staff, once told.
            return Q(subject__in=(Subject.AGENCY, ListingParty.STAFF), agency_id=user.agency_id) & told
        return None
