from django.db import models
from django.utils.translation import gettext_lazy as _

from safeserve.core import colours


class SizeClass(models.TextChoices):
    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class RiskLevel(models.TextChoices):
    RED = "red", _("红（重大风险）")
    ORANGE = "orange", _("橙（较大风险）")
    YELLOW = "yellow", _("黄（一般风险）")
    BLUE = "blue", _("蓝（低风险）")


# The one colour of each risk level (core/colours.py): list and detail badges, charts, export fills.
RISK_TONES = {
    RiskLevel.RED: colours.RISK_RED,
    RiskLevel.ORANGE: colours.RISK_ORANGE,
    RiskLevel.YELLOW: colours.RISK_YELLOW,
    RiskLevel.BLUE: colours.RISK_BLUE,
}


class StandardizationGrade(models.TextChoices):
    NONE = "none", _("未定级")
    GRADE1 = "1", _("一级")
    GRADE2 = "2", _("二级")
    GRADE3 = "3", _("三级")


class EnterpriseStatus(models.TextChoices):
    ACTIVE = "active", _("在业")
    SUSPENDED = "suspended", _("停业")
    CANCELLED = "cancelled", _("注销")


class IndustryLevel(models.TextChoices):
    SECTION = "section", _("门类")
    DIVISION = "division", _("大类")


class ServiceType(models.TextChoices):
    CONSULTING = "consulting", _("安全咨询")
    TRAINING = "training", _("安全教育培训")
    EVALUATION = "evaluation", _("安全评价")
    TESTING = "testing", _("检测检验")
    OCCUPATIONAL = "occupational", _("职业卫生")
    OTHER = "other", _("其他")


class ExpertPool(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class QualificationStatus(models.TextChoices):
    VALID = "valid", _("有效")
    EXPIRING = "expiring", _("即将到期")
    EXPIRED = "expired", _("已过期")
    NONE = "none", _("无资质")
