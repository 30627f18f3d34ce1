"""Assessments (考核): a scheme of weighted indicators per year, and the results it gives.

The engine is generic over the subject graded (a town now; an agency or a purchase project later).
Opening an assessment freezes every automatic figure *and the ids of the records behind it* in its
scores; a finalised assessment is never changed (docs/decisions/0030-assessment-engine.md).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core import hooks
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.core.uploads import document_storage_name

from .choices import MANUAL_SOURCE, AssessmentState, Direction, Grade, ObjectionState, Rule, Subject

# The subject each role stands for: a town officer is graded as its town, agency staff as its agency.
SUBJECT_OF_ROLE = {Role.TOWN: (Subject.TOWN, "town_id"), Role.AGENCY: (Subject.AGENCY, "agency_id")}


def subject_q(user, prefix: str = "") -> models.Q | None:
    """The sheets ``user`` may see: the county every one; a graded party its own; nobody else any."""
    if user.role == Role.COUNTY:
        return ALL
    kind = SUBJECT_OF_ROLE.get(user.role)
    if kind is None or getattr(user, kind[1], None) is None:
        return None
    return models.Q(**{f"{prefix}assessment__subject": kind[0], f"{prefix}subject_id": getattr(user, kind[1])})


def scheme_q(user, action, prefix: str = "") -> models.Q | None:
    """Schemes and assessments: the county writes them; a graded party reads those of its kind."""
    if user.role == Role.COUNTY:
        return ALL
    kind = SUBJECT_OF_ROLE.get(user.role)
    if action != "view" or kind is None or getattr(user, kind[1], None) is None:
        return None
    return models.Q(**{f"{prefix}subject": kind[0]})


class Scheme(ScopedModel):
    """考核方案: one version of a year's indicator table. Once an assessment uses a version it is never
    edited again; a change makes the next version (actions.scheme_save)."""

    subject = models.CharField(_("考核对象"), max_length=10, choices=Subject.choices, default=Subject.TOWN)
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    name = models.CharField(_("方案名称"), max_length=100)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    supersedes = models.ForeignKey(
        "self", verbose_name=_("上一版本"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("制定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        ordering = ["-year", "subject", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "year", "version"], name="assessment_scheme_version_once")
        ]

    def __str__(self):
        return f"{self.year} {self.name}（第{self.version}版）"

    def get_absolute_url(self):
        return reverse("assessment:scheme_detail", args=[self.pk])

    @property
    def in_use(self) -> bool:
        return self.assessments.exists()

    @property
    def total_weight(self) -> Decimal:
        return sum((i.weight for i in self.indicators.all()), Decimal(0))

    @classmethod
    def scope_q(cls, user, action):
        return scheme_q(user, action)


class Indicator(ScopedModel):
    """One row of a scheme: what is measured (a registered source, or 人工), its weight and its rule."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="indicators")
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    name = models.CharField(_("指标名称"), max_length=100)
    weight = models.DecimalField(
        _("分值"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    source = models.CharField(_("数据来源"), max_length=60, default=MANUAL_SOURCE)
    rule = models.CharField(_("评分规则"), max_length=12, choices=Rule.choices, default=Rule.LINEAR)
    low = models.DecimalField(_("零分阈值"), max_digits=12, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(_("满分阈值"), max_digits=12, decimal_places=2, null=True, blank=True)
    per_event = models.DecimalField(
        _("每次扣分"), max_digits=6, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    floor = models.DecimalField(
        _("最低得分"), max_digits=6, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    threshold = models.DecimalField(_("达标值"), max_digits=12, decimal_places=2, null=True, blank=True)
    direction = models.CharField(
        _("达标方向"), max_length=3, choices=Direction.choices, default=Direction.AT_LEAST, blank=True
    )
    veto = models.BooleanField(_("一票否决"), default=False)

    FIELDS = (
        "order",
        "name",
        "weight",
        "source",
        "rule",
        "low",
        "high",
        "per_event",
        "floor",
        "threshold",
        "direction",
        "veto",
    )

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["scheme", "order", "id"]

    def __str__(self):
        return self.name

    @property
    def is_manual(self) -> bool:
        return self.source == MANUAL_SOURCE

    @property
    def source_label(self) -> str:
        if self.is_manual:
            return str(_("人工录入"))
        src = hooks.INDICATOR_SOURCES.get(self.source)
        return str(src.label) if src else self.source

    @property
    def unit(self) -> str:
        src = hooks.INDICATOR_SOURCES.get(self.source)
        return str(src.unit) if src else ""

    def clean(self):
        errors = {}
        row = _("指标“%(n)s”：") % {"n": self.name or self.order}
        if self.is_manual != (self.rule == Rule.MANUAL):
            errors["rule"] = row + str(_("人工录入的指标须选“人工评分”，自动指标不能选“人工评分”"))
        if not self.is_manual:
            src = hooks.INDICATOR_SOURCES.get(self.source)
            if src is None:
                errors["source"] = row + str(_("数据来源“%(s)s”不存在") % {"s": self.source})
            elif self.scheme_id and self.scheme.subject not in src.subjects:
                errors["source"] = row + str(
                    _("数据来源“%(s)s”不能考核%(k)s") % {"s": src.label, "k": Subject(self.scheme.subject).label}
                )
        if self.rule == Rule.LINEAR:
            if self.low is None or self.high is None:
                errors["low"] = row + str(_("线性规则须填写零分阈值和满分阈值"))
            elif self.low == self.high:
                errors["high"] = row + str(_("满分阈值不能等于零分阈值"))
        elif self.rule == Rule.DEDUCTION:
            if self.per_event is None or self.per_event <= 0:
                errors["per_event"] = row + str(_("按次扣分规则须填写大于 0 的每次扣分"))
            if self.floor is not None and self.weight is not None and self.floor > self.weight:
                errors["floor"] = row + str(_("最低得分不能高于分值"))
        elif self.rule == Rule.PASS_FAIL:
            if self.threshold is None:
                errors["threshold"] = row + str(_("达标规则须填写达标值"))
            if self.direction not in Direction.values:
                errors["direction"] = row + str(_("达标规则须选择达标方向"))
        if errors:
            raise ValidationError(errors)

    @classmethod
    def scope_q(cls, user, action):
        q = scheme_q(user, action, "scheme__")
        return q


class Assessment(ScopedModel):
    """One year's assessment: the scheme version it applies, the cut-off its figures are taken as of,
    and the objection deadline. Its workflow is assessment/transitions.py."""

    scheme = models.ForeignKey(Scheme, verbose_name=_("考核方案"), on_delete=models.PROTECT, related_name="assessments")
    subject = models.CharField(_("考核对象"), max_length=10, choices=Subject.choices, editable=False)
    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=100)
    period_start = models.DateField(_("统计期起"))
    cut_off = models.DateField(_("数据截止日"))
    objection_deadline = models.DateField(_("异议截止日"))
    state = models.CharField(
        _("状态"), max_length=10, choices=AssessmentState.choices, default=AssessmentState.OPEN, db_index=True
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定稿人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    inputs_hash = models.CharField(_("冻结数据SHA-256"), max_length=64)
    result_hash = models.CharField(_("定稿结果SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("考核")
        verbose_name_plural = _("考核")
        ordering = ["-year", "-id"]
        # The menu: towns and the county see the town assessment; agencies only their grading.
        permissions = [("view_town_assessment", _("查看乡镇考核"))]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("assessment:assessment_detail", args=[self.pk])

    @property
    def is_final(self) -> bool:
        return self.state == AssessmentState.FINAL

    def clean(self):
        if self.period_start and self.cut_off and self.cut_off < self.period_start:
            raise ValidationError({"cut_off": _("数据截止日不能早于统计期起")})
        if self.cut_off and self.objection_deadline and self.objection_deadline < self.cut_off:
            raise ValidationError({"objection_deadline": _("异议截止日不能早于数据截止日")})

    @classmethod
    def scope_q(cls, user, action):
        return scheme_q(user, action)


class Sheet(ScopedModel):
    """考核表: one subject's scores in one assessment, its total and its rank."""

    assessment = models.ForeignKey(Assessment, verbose_name=_("考核"), on_delete=models.PROTECT, related_name="sheets")
    subject_id = models.PositiveIntegerField(_("考核对象编号"))
    subject_label = models.CharField(_("考核对象"), max_length=100)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2, default=0)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    rank = models.PositiveSmallIntegerField(_("排名"), null=True, blank=True)
    grade = models.CharField(_("等次"), max_length=10, choices=Grade.choices, blank=True)

    class Meta:
        verbose_name = _("考核表")
        verbose_name_plural = _("考核表")
        ordering = ["assessment", "rank", "subject_label"]
        constraints = [models.UniqueConstraint(fields=["assessment", "subject_id"], name="assessment_sheet_once")]

    def __str__(self):
        return f"{self.subject_label} · {self.assessment_id}"

    def get_absolute_url(self):
        return reverse("assessment:sheet_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if action != "view" and user.role != Role.COUNTY:
            return None
        return subject_q(user)


class Score(ScopedModel):
    """One indicator of one sheet: the frozen figure and the records behind it, the rule's score from
    that figure (``computed``), and the county's adjustment with its reason, if any."""

    sheet = models.ForeignKey(Sheet, verbose_name=_("考核表"), on_delete=models.PROTECT, related_name="scores")
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("数值"), max_digits=16, decimal_places=4, null=True, blank=True)
    numerator = models.DecimalField(_("分子"), max_digits=16, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(_("分母"), max_digits=16, decimal_places=4, null=True, blank=True)
    records = models.JSONField(_("依据记录"), default=dict, blank=True)
    computed = models.DecimalField(_("规则得分"), max_digits=7, decimal_places=2, default=0)
    vetoes = models.BooleanField(_("触发一票否决"), default=False)
    adjusted = models.DecimalField(_("调整后得分"), max_digits=7, decimal_places=2, null=True, blank=True)
    adjust_reason = models.CharField(_("调整理由"), max_length=300, blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调整人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    adjusted_at = models.DateTimeField(_("调整时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["sheet", "indicator__order", "indicator_id"]
        constraints = [models.UniqueConstraint(fields=["sheet", "indicator"], name="assessment_score_once")]

    def __str__(self):
        return f"{self.sheet.subject_label} · {self.indicator.name}"

    def get_absolute_url(self):
        return reverse("assessment:sheet_detail", args=[self.sheet_id]) + f"#score-{self.pk}"

    @property
    def final(self) -> Decimal:
        return self.adjusted if self.adjusted is not None else self.computed

    @property
    def record_count(self) -> int:
        return sum(len(ids) for ids in (self.records or {}).values())

    @classmethod
    def scope_q(cls, user, action):
        if action != "view" and user.role != Role.COUNTY:
            return None
        return subject_q(user, "sheet__")


def objection_file_path(instance, filename):
    return document_storage_name("assessment", instance.sha256, filename)


class Objection(ScopedModel):
    """异议: a graded party disputes one indicator's figure or score, with a note and attachments,
    before the deadline; the county rules on it with a reason."""

    score = models.ForeignKey(Score, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="objections")
    note = models.TextField(_("异议说明"), max_length=2000)
    state = models.CharField(
        _("状态"), max_length=10, choices=ObjectionState.choices, default=ObjectionState.PENDING, db_index=True
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ruling = models.CharField(_("裁定理由"), max_length=500, blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ruled_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核异议")
        verbose_name_plural = _("考核异议")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.score} · {self.get_state_display()}"

    def get_absolute_url(self):
        return reverse("assessment:sheet_detail", args=[self.score.sheet_id]) + f"#score-{self.score_id}"

    @classmethod
    def scope_q(cls, user, action):
        if action == "view":
            return subject_q(user, "score__sheet__")
        if action == "add" and user.role in SUBJECT_OF_ROLE:
            return subject_q(user, "score__sheet__")
        if action == "change" and user.role == Role.COUNTY:
            return ALL
        return None


class ObjectionFile(ScopedModel):
    """An attachment of an objection (PDF or photo, checked by core.uploads.verify_scan)."""

    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(_("附件"), upload_to=objection_file_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    name = models.CharField(_("文件名"), max_length=200)

    class Meta:
        verbose_name = _("异议附件")
        verbose_name_plural = _("异议附件")
        ordering = ["objection", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assessment:objection_file", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return subject_q(user, "objection__score__sheet__") if action == "view" else None
