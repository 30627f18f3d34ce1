from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    """Whom an assessment grades; the engine is the same for each (docs/decisions/0030)."""

    TOWN = "town", _("镇（街道）")
    AGENCY = "agency", _("服务机构")
    PROJECT = "project", _("政府购买服务项目")


class Rule(models.TextChoices):
    LINEAR = "linear", _("线性（两个阈值之间按比例得分）")
    DEDUCTION = "deduction", _("按次扣分（设最低分）")
    PASS_FAIL = "pass_fail", _("达标得满分，否则不得分")
    MANUAL = "manual", _("人工评分")


class Direction(models.TextChoices):
    AT_LEAST = "gte", _("不低于")
    AT_MOST = "lte", _("不高于")


class AssessmentState(models.TextChoices):
    OPEN = "open", _("异议期（各镇可提出异议）")
    FINAL = "final", _("已定稿")


class Grade(models.TextChoices):
    """The grade a final total gives (thresholds: conf ASSESSMENT_GRADE_*); a vetoed sheet is 差."""

    EXCELLENT = "excellent", _("优")
    GOOD = "good", _("良")
    FAIR = "fair", _("中")
    POOR = "poor", _("差")


class ObjectionState(models.TextChoices):
    PENDING = "pending", _("待裁定")
    UPHELD = "upheld", _("异议成立")
    DISMISSED = "dismissed", _("异议不成立")


MANUAL_SOURCE = "manual"
