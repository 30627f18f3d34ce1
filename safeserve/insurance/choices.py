from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    CANCELLED = "cancelled", _("已退保")


class SafetyHonour(models.TextChoices):
    """安全生产先进单位 title the insured holds at renewal (a premium-floating factor)."""

    NONE = "none", _("无")
    MUNICIPAL = "municipal", _("市级先进单位")
    PROVINCIAL = "provincial", _("省级先进单位")


class ComplaintState(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复")


class EvaluationConclusion(models.TextChoices):
    """AQ 9010-2019 yearly evaluation of a policy's prevention service (年度服务评估)."""

    GOOD = "good", _("良好")
    FAIR = "fair", _("一般")
    POOR = "poor", _("较差")


# ---- appointments (AQ 9010 advance confirmation)


class AppointmentState(models.TextChoices):
    """A prevention visit's appointment (预约): proposed, then confirmed or declined by the insured."""

    PROPOSED = "proposed", _("待企业确认")
    CONFIRMED = "confirmed", _("企业已确认")
    DECLINED = "declined", _("企业已拒绝")
    RESCHEDULED = "rescheduled", _("已改期")
    CANCELLED = "cancelled", _("已取消")


class HalfDay(models.TextChoices):
    MORNING = "am", _("上午")
    AFTERNOON = "pm", _("下午")
    DAY = "day", _("全天")
