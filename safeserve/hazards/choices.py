from django.db import models
from django.utils.translation import gettext_lazy as _


class HazardSource(models.TextChoices):
    VISIT = "visit", _("第三方服务")
    EXPERT = "expert", _("专家检查")
    INSPECTION = "inspection", _("政府检查")
    INSURER = "insurer", _("保险机构")
    SELF = "self", _("企业自查")
    IOT = "iot", _("智慧用电监测")
    MUTUAL = "mutual", _("协会互查")


class HazardLevel(models.TextChoices):
    GENERAL = "general", _("一般事故隐患")
    MAJOR = "major", _("重大事故隐患")


class HazardState(models.TextChoices):
    REPORTED = "reported", _("已上报")
    RECTIFYING = "rectifying", _("整改中")
    AWAITING = "awaiting", _("待验收")
    CLOSED = "closed", _("已销号")


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("整改前")
    AFTER = "after", _("整改后")


class CriterionCategory(models.TextChoices):
    MANAGEMENT = "management", _("管理类")
    INDUSTRY = "industry", _("行业类")
    SPECIAL = "special", _("专项类")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("未批准")


class NoticeKind(models.TextChoices):
    """Who issues a rectification document decides what it is (docs/decisions/0022)."""

    ORDER = "order", _("责令限期整改通知书")  # a government officer (county or town)
    ADVICE = "advice", _("隐患整改建议书")  # a service agency: advice and notice, never an order
    SELF_PLAN = "self_plan", _("自查隐患整改计划")  # the enterprise's own plan
