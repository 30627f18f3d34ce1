from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    ENTERPRISE = "enterprise", _("生产经营单位")
    AGENCY = "agency", _("第三方服务机构")


class ListingParty(models.TextChoices):
    """Who a listing names: an enterprise, an agency, or an agency's staff member responsible for false
    or copied service records (11号令: the agency and its staff)."""

    ENTERPRISE = "enterprise", _("生产经营单位")
    AGENCY = "agency", _("第三方服务机构")
    STAFF = "staff", _("服务机构从业人员")


class AccidentLevel(models.TextChoices):
    GENERAL = "general", _("一般事故")
    SERIOUS = "serious", _("较大事故")
    MAJOR = "major", _("重大事故")
    EXTRAORDINARY = "extraordinary", _("特别重大事故")


class PartyKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("生产经营单位")
    AGENCY = "agency", _("第三方服务机构")
    PERSON = "person", _("个人")


class PenaltyMeasure(models.TextChoices):
    SUSPEND = "suspend", _("责令停产停业整顿")
    REVOKE = "revoke", _("吊销有关证照")
    CONFISCATE = "confiscate", _("没收违法所得")
    WARNING = "warning", _("警告")


class PenaltyStatus(models.TextChoices):
    DECIDED = "decided", _("已作出决定")
    EXECUTED = "executed", _("已执行完毕")
    REVOKED = "revoked", _("已撤销")


class CommitmentStatus(models.TextChoices):
    PENDING = "pending", _("待核查")
    KEPT = "kept", _("已履行")
    BROKEN = "broken", _("未履行")


class Grade(models.TextChoices):
    """The published example's five grades, best first (docs/decisions/0032)."""

    A_PLUS = "A+", "A+"
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"


# The nine listing situations of 应急管理部令第11号 (2023), summarised in our own words.
class ListingSituation(models.TextChoices):
    MAJOR_ACCIDENT = "major_accident", _("发生重大、特别重大生产安全责任事故")
    SERIOUS_ACCIDENTS = "serious_accidents", _("12个月内发生2起以上较大生产安全责任事故，或性质恶劣的较大事故")
    CONCEALED = "concealed", _("瞒报、谎报生产安全事故")
    NO_PERMIT = "no_permit", _("未取得安全生产许可或许可被暂扣、吊销期间从事生产经营")
    SUSPENDED_OPERATING = "suspended_operating", _("被责令停产停业整顿期间仍从事生产经营")
    DEVICES_DATA = "devices_data", _("关闭、破坏安全监控报警设备，或篡改、隐瞒、销毁其数据")
    FALSE_REPORT = "false_report", _("服务机构租借资质、挂靠或出具虚假报告、证书")
    REFUSE_PENALTY = "refuse_penalty", _("有能力执行而拒不执行或逃避执行安全生产行政处罚")
    OTHER_SERIOUS = "other_serious", _("其他违反安全生产法律法规受到行政处罚，性质恶劣、情节严重")


class ListingState(models.TextChoices):
    PROPOSED = "proposed", _("拟列入")
    NOTICED = "noticed", _("已告知（异议期）")
    OBJECTED = "objected", _("当事人提出异议")
    REVIEWED = "reviewed", _("异议已处理")
    DECIDED = "decided", _("已作出列入决定")
    PUBLISHED = "published", _("已公示")
    REPAIR_REQUESTED = "repair_requested", _("已申请信用修复")
    REMOVED = "removed", _("已提前移出")
    WITHDRAWN = "withdrawn", _("已撤回（不予列入）")
