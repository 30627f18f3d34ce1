from django.db import models
from django.utils.translation import gettext_lazy as _


class BuyerKind(models.TextChoices):
    COUNTY = "county", _("县应急管理局")
    TOWN = "town", _("镇（街道）政府")


class Subject(models.TextChoices):
    """What is bought. ``ADMIN_INSPECTION`` exists only to be refused with its reason."""

    HAZARD_INSPECTION = "hazard_inspection", _("小微企业隐患排查技术服务")
    ENFORCEMENT_SUPPORT = "enforcement_support", _("执法检查专家技术支撑")
    PUBLICITY = "publicity", _("安全宣传")
    INFORMATIZATION = "informatization", _("信息化建设")
    ACCIDENT_ANALYSIS = "accident_analysis", _("事故数据分析")
    EVALUATION = "evaluation", _("安全评价")
    TESTING = "testing", _("检测检验")
    TRAINING = "training", _("安全教育培训")
    ADMIN_INSPECTION = "admin_inspection", _("行政执法检查")


class Method(models.TextChoices):
    OPEN_TENDER = "open_tender", _("公开招标")
    INVITED_TENDER = "invited_tender", _("邀请招标")
    NEGOTIATION = "negotiation", _("竞争性谈判")
    CONSULTATION = "consultation", _("竞争性磋商")
    SINGLE_SOURCE = "single_source", _("单一来源")
    INQUIRY = "inquiry", _("询价")


class TargetMode(models.TextChoices):
    LIST = "list", _("指定企业名单")
    FILTER = "filter", _("按条件筛选（立项时冻结）")
    NONE = "none", _("不针对具体企业")


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已立项")
    PROCURING = "procuring", _("采购中")
    PERFORMING = "performing", _("履约中")
    EVALUATED = "evaluated", _("已验收评价")
    CLOSED = "closed", _("已结项")
    CANCELLED = "cancelled", _("已撤销")


class PaymentKind(models.TextChoices):
    ADVANCE = "advance", _("预付款")
    PROGRESS = "progress", _("进度款")
    FINAL = "final", _("尾款（验收评价后）")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优")
    GOOD = "good", _("良")
    FAIR = "fair", _("中")
    POOR = "poor", _("差")


class IndicatorGroup(models.TextChoices):
    DECISION = "decision", _("决策")
    PROCESS = "process", _("过程")
    OUTPUT = "output", _("产出")
    BENEFIT = "benefit", _("效益")


# Services that 危化/重大危险源 units must buy by law themselves (评价, 检测检验, 培训): never paid by
# government for such units (registry.ServiceType codes and the subjects that are the same service).
SELF_PAID_SERVICE_TYPES = frozenset({"evaluation", "testing", "training"})
SELF_PAID_SUBJECTS = frozenset({Subject.EVALUATION, Subject.TESTING, Subject.TRAINING})

# The service contract's items (services.ServiceItem) for a project's service type.
SERVICE_TYPE_ITEMS = {
    "consulting": ["hazard"],
    "training": ["training"],
    "evaluation": ["evaluation"],
    "testing": ["testing"],
    "occupational": ["occupational"],
    "other": ["hazard"],
}
