"""安全生产责任保险 (安责险): policies, the premium-floating rule table, accident-prevention plans
(AQ 9010-2019), the prevention fee ledger, complaints and claims. docs/decisions/0040-insurance.md

The platform records insurers' policies; it never assigns an insurer to an enterprise. Every record
hangs on a policy and is scoped by it: an insurer its own policies, a town its enterprises', the
enterprise its own, the county all.
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
from safeserve.core.models import ScopedModel, choice_labels
from safeserve.core.scoping import ALL
from safeserve.core.uploads import storage_name
from safeserve.services.choices import ServiceItem
from safeserve.services.models import ChecklistAnswer, EvidencePhoto

from .choices import AppointmentState, ComplaintState, EvaluationConclusion, HalfDay, PolicyStatus, SafetyHonour
from .conf import PREVENTION_CEILING

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(0)]}


def policy_scope(user, action, prefix: str = ""):
    """Which policies (or, with ``prefix``, which records of a policy) ``user`` reaches for ``action``.

    An insurer writes its own; the county, a town and the insured read theirs. Nobody but the
    insurer writes a policy: the platform records, it never assigns (DOMAIN: 2025 measures Art. 39-40).
    """
    role = getattr(user, "role", None)
    if role == Role.INSURER:
        return models.Q(**{f"{prefix}insurer_id": user.insurer_id})
    if action != "view":
        return None
    if role == Role.COUNTY:
        return ALL
    if role == Role.TOWN:
        return models.Q(**{f"{prefix}enterprise__town_id": user.town_id})
    if role == Role.ENTERPRISE:
        return models.Q(**{f"{prefix}enterprise_id": user.enterprise_id})
    return None


class Policy(ScopedModel):
    """One 安责险 policy of one insured enterprise. Valid on a day when active and the day lies in its period."""

    insurer = models.ForeignKey(
        "registry.Insurer", verbose_name=_("保险机构"), on_delete=models.PROTECT, related_name="policies"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("投保企业"), on_delete=models.PROTECT, related_name="insurance_policies"
    )
    number = models.CharField(_("保单号"), max_length=50, unique=True)
    start_date = models.DateField(_("保险期起"))
    end_date = models.DateField(_("保险期止"))
    premium = models.DecimalField(_("保费（元）"), **MONEY)
    premium_collected = models.DecimalField(_("实收保费（元）"), **MONEY)
    limit_per_person = models.DecimalField(_("每人责任限额（元）"), **MONEY)
    limit_per_accident = models.DecimalField(_("每次事故责任限额（元）"), **MONEY)
    employees_covered = models.PositiveIntegerField(_("承保从业人员数"), validators=[MaxValueValidator(1_000_000)])
    status = models.CharField(
        _("状态"), max_length=10, choices=PolicyStatus.choices, default=PolicyStatus.ACTIVE, db_index=True
    )
    prevention_share = models.DecimalField(
        _("事故预防费用比例（%）"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
        validators=[MinValueValidator(0)],
        help_text=_("计划用于事故预防服务的费用占实收保费的比例，不得超过21%"),
    )
    renewal_of = models.ForeignKey(
        "self",
        verbose_name=_("续保自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    safety_honour = models.CharField(
        _("安全生产先进单位"), max_length=12, choices=SafetyHonour.choices, default=SafetyHonour.NONE
    )
    # The floating rate the rule table gives at renewal (percentage points, e.g. -10.00), with the
    # explanation of each factor; computed by actions.policy_compute_rate, never typed.
    rate_computed = models.DecimalField(
        _("浮动费率（规则计算，%）"), max_digits=6, decimal_places=2, null=True, blank=True, editable=False
    )
    rate_explanation = models.JSONField(_("浮动费率说明"), default=list, blank=True, editable=False)
    rate_applied = models.DecimalField(
        _("实际执行浮动费率（%）"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(-100), MaxValueValidator(300)],
    )
    rate_reason = models.CharField(_("与规则不一致的理由"), max_length=300, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    FIELDS = (
        "number",
        "insurer",
        "enterprise",
        "start_date",
        "end_date",
        "premium",
        "premium_collected",
        "limit_per_person",
        "limit_per_accident",
        "employees_covered",
        "status",
        "prevention_share",
        "renewal_of",
        "safety_honour",
        "rate_computed",
        "rate_applied",
        "rate_reason",
        "note",
    )
    FORM_FIELDS = tuple(f for f in FIELDS if f not in ("insurer", "rate_computed"))

    class Meta:
        verbose_name = _("安责险保单")
        verbose_name_plural = _("安责险保单")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "status", "start_date", "end_date"]),
            models.Index(fields=["insurer", "end_date"]),
        ]
        permissions = [
            ("view_ledger", _("查看事故预防费用监管")),
            ("view_uninsured", _("查看应保未保企业")),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("insurance:policy_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("保险期止不能早于保险期起")
        if self.prevention_share is not None and self.prevention_share > PREVENTION_CEILING:
            errors["prevention_share"] = _(
                "事故预防费用比例不得超过实收保费的21%%（《安全生产责任保险实施办法》），当前为%(v)s%%"
            ) % {"v": self.prevention_share.normalize()}
        if self.premium is not None and self.premium_collected is not None and self.premium_collected > self.premium:
            errors["premium_collected"] = _("实收保费不能超过保费")
        if (
            self.limit_per_person is not None
            and self.limit_per_accident is not None
            and self.limit_per_person > self.limit_per_accident
        ):
            errors["limit_per_person"] = _("每人责任限额不能超过每次事故责任限额")
        if (
            self.rate_applied is not None
            and self.rate_applied != self.rate_computed
            and not (self.rate_reason or "").strip()
        ):
            errors["rate_reason"] = _("实际执行的浮动费率与规则计算结果不一致时，须填写理由")
        if self.renewal_of_id and self.renewal_of.enterprise_id != self.enterprise_id:
            errors["renewal_of"] = _("续保的原保单须为同一投保企业的保单")
        if errors:
            raise ValidationError(errors)

    @property
    def prevention_planned(self) -> Decimal:
        """The prevention budget: the share of the premium actually collected."""
        return (self.premium_collected * self.prevention_share / 100).quantize(Decimal("0.01"))

    def valid_on(self, day) -> bool:
        return self.status == PolicyStatus.ACTIVE and self.start_date <= day <= self.end_date

    @staticmethod
    def valid_on_q(day, prefix: str = "") -> models.Q:
        return models.Q(
            **{f"{prefix}status": PolicyStatus.ACTIVE, f"{prefix}start_date__lte": day, f"{prefix}end_date__gte": day}
        )

    @classmethod
    def scope_q(cls, user, action):
        return policy_scope(user, action)


class PremiumRuleTable(ScopedModel):
    """The premium-floating (浮动费率) rule table of one year, as data: ``rules`` maps a factor code to
    its adjustment in percentage points (rules.DEFAULT_RULES holds the codes and the default)."""

    year = models.PositiveSmallIntegerField(
        _("年度"), unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    rules = models.JSONField(_("浮动规则"), default=dict)
    note = models.CharField(_("依据及说明"), max_length=300, blank=True)

    FIELDS = ("year", "rules", "note")

    class Meta:
        verbose_name = _("安责险费率浮动规则")
        verbose_name_plural = _("安责险费率浮动规则")
        ordering = ["-year"]

    def __str__(self):
        return f"{self.year}"

    def get_absolute_url(self):
        return reverse("insurance:premiumruletable_detail", args=[self.pk])

    def clean(self):
        from .rules import rules_errors

        problems = rules_errors(self.rules)
        if problems:
            raise ValidationError({"rules": problems})

    @classmethod
    def scope_q(cls, user, action):
        role = getattr(user, "role", None)
        if role == Role.COUNTY:
            return ALL
        if action == "view" and role in (Role.TOWN, Role.INSURER):
            return ALL
        return None


class PreventionPlan(ScopedModel):
    """AQ 9010-2019 service plan of one policy: items, frequency, who serves (an agency with its staff,
    or an expert), goals. Visits are the services app's visits under ``contract`` (payer: the insurer)."""

    policy = models.OneToOneField(Policy, verbose_name=_("保单"), on_delete=models.PROTECT, related_name="plan")
    items = models.JSONField(_("服务项目"), default=list)
    measures = models.TextField(_("服务措施"), blank=True)
    visits_per_year = models.PositiveSmallIntegerField(
        _("每年服务次数"), default=2, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    agency = models.ForeignKey(
        "registry.Agency",
        verbose_name=_("服务机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expert = models.ForeignKey(
        "registry.Expert",
        verbose_name=_("服务专家"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    staff = models.ManyToManyField("registry.AgencyStaff", verbose_name=_("服务人员"), blank=True, related_name="+")
    goals = models.TextField(_("服务目标"))
    contract = models.ForeignKey(
        "services.ServiceContract",
        verbose_name=_("委托服务合同"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    FIELDS = ("policy", "items", "measures", "visits_per_year", "agency", "expert", "staff", "goals", "contract")

    class Meta:
        verbose_name = _("事故预防服务计划")
        verbose_name_plural = _("事故预防服务计划")
        ordering = ["-id"]

    def __str__(self):
        return str(_("%(n)s 服务计划") % {"n": self.policy}) if self.policy_id else "—"

    def get_absolute_url(self):
        return reverse("insurance:preventionplan_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if not isinstance(self.items, list) or not self.items or not set(self.items) <= set(ServiceItem.values):
            errors["items"] = _("至少选择一项有效的服务项目")
        if not self.agency_id and not self.expert_id:
            errors["agency"] = _("须填写服务机构或服务专家")
        if errors:
            raise ValidationError(errors)

    def get_items_display(self):
        return choice_labels(ServiceItem.choices, self.items)

    @classmethod
    def scope_q(cls, user, action):
        return policy_scope(user, action, "policy__")


class PreventionExpense(ScopedModel):
    """One entry of the prevention fee ledger (事故预防费用台账): money an insurer spent on a policy's
    prevention services, optionally tied to the visit it paid for."""

    policy = models.ForeignKey(Policy, verbose_name=_("保单"), on_delete=models.PROTECT, related_name="expenses")
    spent_on = models.DateField(_("支出日期"))
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    description = models.CharField(_("支出事项"), max_length=200)
    visit = models.ForeignKey(
        "services.ServiceVisit",
        verbose_name=_("对应服务记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    FIELDS = ("policy", "spent_on", "amount", "description", "visit")

    class Meta:
        verbose_name = _("事故预防费用支出")
        verbose_name_plural = _("事故预防费用支出")
        ordering = ["-spent_on", "-id"]

    def __str__(self):
        return f"{self.policy} {self.spent_on} {self.amount}" if self.policy_id else "—"

    def get_absolute_url(self):
        return reverse("insurance:preventionexpense_detail", args=[self.pk])

    def clean(self):
        if self.visit_id and self.policy_id and self.visit.enterprise_id != self.policy.enterprise_id:
            raise ValidationError({"visit": _("服务记录须为该保单投保企业的记录")})

    @classmethod
    def scope_q(cls, user, action):
        return policy_scope(user, action, "policy__")


class Complaint(ScopedModel):
    """A complaint about a policy's prevention services. Answered within 10 working days (30 when it
    needs checking); one extension of at most 30 days, with a reason. ``due_on`` is set by the action."""

    policy = models.ForeignKey(Policy, verbose_name=_("保单"), on_delete=models.PROTECT, related_name="complaints")
    received_on = models.DateField(_("收到日期"))
    complainant = models.CharField(_("投诉人"), max_length=50)
    content = models.TextField(_("投诉内容"))
    needs_checking = models.BooleanField(_("需核查"), default=False)
    due_on = models.DateField(_("答复期限"), null=True, blank=True, editable=False)
    extended_to = models.DateField(_("延期至"), null=True, blank=True, editable=False)
    extension_reason = models.CharField(_("延期理由"), max_length=300, blank=True, editable=False)
    state = models.CharField(
        _("状态"), max_length=10, choices=ComplaintState.choices, default=ComplaintState.OPEN, editable=False
    )
    answered_on = models.DateField(_("答复日期"), null=True, blank=True, editable=False)
    answer = models.TextField(_("答复内容"), blank=True, editable=False)

    FIELDS = (
        "policy",
        "received_on",
        "complainant",
        "content",
        "needs_checking",
        "due_on",
        "extended_to",
        "extension_reason",
        "state",
        "answered_on",
        "answer",
    )

    class Meta:
        verbose_name = _("事故预防服务投诉")
        verbose_name_plural = _("事故预防服务投诉")
        ordering = ["-received_on", "-id"]
        permissions = [("answer_complaint", _("答复或延期事故预防服务投诉"))]

    def __str__(self):
        return f"{self.policy} {self.received_on}" if self.policy_id else "—"

    def get_absolute_url(self):
        return reverse("insurance:complaint_detail", args=[self.pk])

    @property
    def deadline(self):
        return self.extended_to or self.due_on

    def overdue_on(self, day) -> bool:
        return self.state == ComplaintState.OPEN and self.deadline is not None and day > self.deadline

    @classmethod
    def scope_q(cls, user, action):
        if getattr(user, "role", None) == Role.ENTERPRISE and action == "add":
            return models.Q(policy__enterprise_id=user.enterprise_id)  # the insured complains about its own
        return policy_scope(user, action, "policy__")


class Claim(ScopedModel):
    """出险: a claim on a policy, with the accident it came from when known."""

    policy = models.ForeignKey(Policy, verbose_name=_("保单"), on_delete=models.PROTECT, related_name="claims")
    occurred_on = models.DateField(_("出险日期"))
    reported_on = models.DateField(_("报案日期"))
    # The accident on record (credit.Accident, a sibling app: an id, read through core.hooks.accident);
    # ``accident_ref`` stays for free text when the accident is not on record.
    accident_id = models.PositiveBigIntegerField(
        _("事故记录"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(2**63 - 1)],
        help_text=_("生产安全事故库中的该企业事故（可不选）"),
    )
    accident_ref = models.CharField(
        _("关联事故"), max_length=200, blank=True, help_text=_("事故编号或简要说明（可不填）")
    )
    assessed_loss = models.DecimalField(_("核定损失（元）"), null=True, blank=True, **MONEY)
    paid_amount = models.DecimalField(_("已赔付金额（元）"), default=0, **MONEY)
    paid_on = models.DateField(_("赔付日期"), null=True, blank=True)
    closed_on = models.DateField(_("结案日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    FIELDS = (
        "policy",
        "occurred_on",
        "reported_on",
        "accident_id",
        "accident_ref",
        "assessed_loss",
        "paid_amount",
        "paid_on",
        "closed_on",
        "note",
    )

    class Meta:
        verbose_name = _("安责险出险理赔")
        verbose_name_plural = _("安责险出险理赔")
        ordering = ["-reported_on", "-id"]

    def __str__(self):
        return f"{self.policy} {self.occurred_on}" if self.policy_id else "—"

    def get_absolute_url(self):
        return reverse("insurance:claim_detail", args=[self.pk])

    def accident_for(self, user):
        """The linked accident as ``user`` may see it (``hooks.AccidentRef``), or None."""
        from safeserve.core import hooks

        return hooks.accident(user, self.accident_id) if self.accident_id else None

    def clean(self):
        errors = {}
        if self.occurred_on and self.reported_on and self.reported_on < self.occurred_on:
            errors["reported_on"] = _("报案日期不能早于出险日期")
        if self.paid_on and self.reported_on and self.paid_on < self.reported_on:
            errors["paid_on"] = _("赔付日期不能早于报案日期")
        if self.paid_amount and not self.paid_on:
            errors["paid_on"] = _("已有赔付金额时须填写赔付日期")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def scope_q(cls, user, action):
        return policy_scope(user, action, "policy__")


class Evaluation(ScopedModel):
    """AQ 9010-2019 yearly evaluation of a policy's prevention service (年度服务评估), one per policy and
    year, written by the insurer. The figures (visits planned and done, hazards found and closed in the
    year) are computed by ``actions.evaluation_save`` and frozen into the record when it is saved."""

    policy = models.ForeignKey(Policy, verbose_name=_("保单"), on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(
        _("评估年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    evaluated_on = models.DateField(_("评估日期"))
    evaluator = models.CharField(_("评估人"), max_length=50)
    written_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    visits_planned = models.PositiveSmallIntegerField(_("计划服务次数"), default=0, editable=False)
    visits_done = models.PositiveIntegerField(_("实际服务次数"), default=0, editable=False)
    hazards_found = models.PositiveIntegerField(_("本年发现隐患数"), default=0, editable=False)
    hazards_closed = models.PositiveIntegerField(_("本年销号隐患数"), default=0, editable=False)
    conclusion = models.CharField(_("评估结论"), max_length=10, choices=EvaluationConclusion.choices)
    enterprise_opinion = models.TextField(_("企业意见"), blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    FIELDS = (
        "policy",
        "year",
        "evaluated_on",
        "evaluator",
        "written_by",
        "visits_planned",
        "visits_done",
        "hazards_found",
        "hazards_closed",
        "conclusion",
        "enterprise_opinion",
        "note",
    )
    FORM_FIELDS = ("policy", "year", "evaluated_on", "evaluator", "conclusion", "enterprise_opinion", "note")

    class Meta:
        verbose_name = _("事故预防服务年度评估")
        verbose_name_plural = _("事故预防服务年度评估")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "year"],
                name="insurance_evaluation_one_per_year",
                violation_error_message=_("该保单本年度已有服务评估，请修改原评估"),
            )
        ]

    def __str__(self):
        return f"{self.policy} {self.year}" if self.policy_id else "—"

    def get_absolute_url(self):
        return reverse("insurance:evaluation_detail", args=[self.pk])

    def clean(self):
        if self.policy_id and self.year and not self.policy.start_date.year <= self.year <= self.policy.end_date.year:
            raise ValidationError({"year": _("评估年度须在保险期内")})

    @classmethod
    def scope_q(cls, user, action):
        return policy_scope(user, action, "policy__")


# ---- appointments (AQ 9010 advance confirmation)


def appointment_scope(user, action, prefix: str = ""):
    """Appointments are scoped like their plan (``policy_scope`` through ``plan__policy__``), and the
    plan's agency sees (and proposes) those of the plans it serves. Who may take which step is the
    transitions table's business (``insurance/transitions.py``), not the scope's."""
    if getattr(user, "role", None) == Role.AGENCY and action == "view" and user.agency_id:
        return models.Q(**{f"{prefix}plan__agency_id": user.agency_id})
    return policy_scope(user, "view", f"{prefix}plan__policy__") if action == "view" else None


class Appointment(ScopedModel):
    """AQ 9010-2019: a prevention visit is confirmed with the insured in advance. Proposed by the
    plan's agency (or the insurer), confirmed or declined (with a reason) by the insured; a
    reschedule is a new appointment that ``replaces`` the old one (the history stays). A recorded
    visit under the plan's contract at the insured on ``day`` fulfils it (computed in queries)."""

    plan = models.ForeignKey(
        PreventionPlan, verbose_name=_("服务计划"), on_delete=models.PROTECT, related_name="appointments"
    )
    day = models.DateField(_("预约日期"), db_index=True)
    half_day = models.CharField(_("时段"), max_length=3, choices=HalfDay.choices, default=HalfDay.MORNING)
    place = models.CharField(_("服务地点"), max_length=200)
    staff = models.ManyToManyField("registry.AgencyStaff", verbose_name=_("服务人员"), blank=True, related_name="+")
    items = models.JSONField(_("服务项目"), default=list)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    state = models.CharField(
        _("状态"),
        max_length=12,
        choices=AppointmentState.choices,
        default=AppointmentState.PROPOSED,
        db_index=True,
        editable=False,
    )
    proposed_by = models.ForeignKey(
        "accounts.User", verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    replaces = models.ForeignKey(
        "self",
        verbose_name=_("改期自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    answered_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("企业答复人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    answered_at = models.DateTimeField(_("企业答复时间"), null=True, blank=True, editable=False)
    reason = models.CharField(_("拒绝或取消理由"), max_length=300, blank=True, editable=False)
    suggested_day = models.DateField(_("企业建议日期"), null=True, blank=True, editable=False)

    FIELDS = (
        "plan",
        "day",
        "half_day",
        "place",
        "staff",
        "items",
        "note",
        "state",
        "proposed_by",
        "replaces",
        "answered_by",
        "answered_at",
        "reason",
        "suggested_day",
    )

    class Meta:
        verbose_name = _("事故预防服务预约")
        verbose_name_plural = _("事故预防服务预约")
        ordering = ["-day", "-id"]
        indexes = [models.Index(fields=["plan", "state", "day"])]

    def __str__(self):
        return f"{self.plan.policy} {self.day}" if self.plan_id else "—"

    def get_absolute_url(self):
        return reverse("insurance:appointment_list") + f"?plan={self.plan_id}"

    def clean(self):
        errors = {}
        if self.plan_id:
            wanted = self.items if isinstance(self.items, list) else None
            if not wanted or not set(wanted) <= set(self.plan.items):
                errors["items"] = _("服务项目须从服务计划的项目中选择")
            if self.day and not self.plan.policy.start_date <= self.day <= self.plan.policy.end_date:
                errors["day"] = _("预约日期须在保险期内")
        if errors:
            raise ValidationError(errors)

    def get_items_display(self):
        return choice_labels(ServiceItem.choices, self.items)

    @classmethod
    def scope_q(cls, user, action):
        return appointment_scope(user, action)


# ---- expert prevention visits (AQ 9010: a plan served by an expert, with no agency contract)


def prevention_visit_scope(user, action):
    """Read like the plan (``policy_scope`` through ``plan__policy__``), and the expert reads the
    visits recorded in its name. Recording is ``actions.prevention_visit_record``'s business (the
    plan's expert, or the plan's insurer on its behalf); a chained record is never changed or
    deleted, so no row is reachable for "change" or "delete"."""
    role = getattr(user, "role", None)
    if action == "view":
        if role == Role.EXPERT:
            return models.Q(expert_id=user.expert_id) if user.expert_id else None
        return policy_scope(user, "view", "plan__policy__")
    if action == "add":
        if role == Role.EXPERT:
            return models.Q(plan__expert_id=user.expert_id) if user.expert_id else None
        if role == Role.INSURER:
            return models.Q(plan__policy__insurer_id=user.insurer_id)
    return None


class PreventionVisit(ScopedModel):
    """专家事故预防服务记录: one visit of a plan's expert at the insured, on a checklist, with findings,
    photos and the insured's confirmation. A plan served by an agency records its visits as the
    services app's visits under the plan's contract; a plan served by an expert has no contract and
    records them here. Each record's content (results, findings, photo hashes, hazards) is hashed and
    chained to the expert's previous one (``insurance/chain.py``, the same digest as services/chain.py)."""

    plan = models.ForeignKey(
        PreventionPlan, verbose_name=_("服务计划"), on_delete=models.PROTECT, related_name="expert_visits"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("投保企业"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    expert = models.ForeignKey(
        "registry.Expert", verbose_name=_("服务专家"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    visited_at = models.DateTimeField(_("服务时间"), db_index=True)
    template = models.ForeignKey(
        "services.ChecklistTemplate", verbose_name=_("检查表"), on_delete=models.PROTECT, related_name="+"
    )
    findings = models.TextField(_("发现问题及建议"), blank=True)
    hazards = models.ManyToManyField("hazards.Hazard", verbose_name=_("发现隐患"), blank=True, related_name="+")
    # The written notice (隐患整改建议书) of the hazards found, issued with the record (AQ 9010).
    notice = models.ForeignKey(
        "hazards.IssuedNotice",
        verbose_name=_("隐患整改建议书"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(_("录入时间（服务器）"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("企业确认时间"), null=True, blank=True, editable=False)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("企业确认人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    seq = models.PositiveIntegerField(_("专家记录序号"), editable=False)
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64, blank=True, editable=False)
    content_hash = models.CharField(_("记录哈希"), max_length=64, editable=False)

    FIELDS = (
        "plan",
        "enterprise",
        "expert",
        "visited_at",
        "template",
        "findings",
        "latitude",
        "longitude",
        "recorded_by",
        "recorded_at",
        "confirmed_at",
        "confirmed_by",
        "seq",
        "prev_hash",
        "content_hash",
    )

    class Meta:
        verbose_name = _("专家事故预防服务记录")
        verbose_name_plural = _("专家事故预防服务记录")
        ordering = ["-visited_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["expert", "seq"], name="insurance_prevention_visit_seq")]
        indexes = [models.Index(fields=["plan", "visited_at"])]

    def __str__(self):
        names = self._state.fields_cache
        who = self.enterprise.name if "enterprise" in names else self.enterprise_id
        return f"{who} {timezone.localtime(self.visited_at):%Y-%m-%d}" if self.visited_at else str(who)

    def get_absolute_url(self):
        return reverse("insurance:preventionvisit_detail", args=[self.pk])

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @classmethod
    def scope_q(cls, user, action):
        return prevention_visit_scope(user, action)


class PreventionVisitResult(ChecklistAnswer):
    visit = models.ForeignKey(PreventionVisit, on_delete=models.CASCADE, related_name="results")

    class Meta(ChecklistAnswer.Meta):
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="insurance_prevention_visit_item_once")]


def prevention_photo_path(instance, filename):
    return storage_name("prevention", instance.sha256, filename)


class PreventionVisitPhoto(EvidencePhoto):
    visit = models.ForeignKey(PreventionVisit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=prevention_photo_path, max_length=200)


__all__ = [
    "Appointment",
    "Claim",
    "Complaint",
    "Evaluation",
    "Policy",
    "PremiumRuleTable",
    "PreventionExpense",
    "PreventionPlan",
    "PreventionVisit",
    "PreventionVisitPhoto",
    "PreventionVisitResult",
]
