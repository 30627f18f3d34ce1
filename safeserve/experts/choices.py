from django.db import models
from django.utils.translation import gettext_lazy as _


class PoolStatus(models.TextChoices):
    ACTIVE = "active", _("在库")
    SUSPENDED = "suspended", _("暂停")
    WITHDRAWN = "withdrawn", _("退出")


class InterestKind(models.TextChoices):
    EMPLOYER = "employer", _("现工作单位")
    PAST_EMPLOYER = "past_employer", _("曾任职单位")
    RELATIVE = "relative", _("亲属任职单位")
    INVESTMENT = "investment", _("投资（持股）单位")


class Purpose(models.TextChoices):
    MAJOR_ASSESSMENT = "major_assessment", _("重大隐患评估")
    MAJOR_ACCEPTANCE = "major_acceptance", _("重大隐患验收")
    ACCIDENT = "accident", _("事故调查技术支持")
    ENFORCEMENT = "enforcement", _("执法检查技术支持")
    RECHECK = "recheck", _("抽查复核")
    PURCHASE_PANEL = "purchase_panel", _("政府购买服务评审")
    INSURER = "insurer", _("保险机构风险评估")


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("待抽取")
    FROZEN = "frozen", _("名单已冻结")
    DRAWN = "drawn", _("已抽取")
    CLOSED = "closed", _("已完成")


class InvitationState(models.TextChoices):
    INVITED = "invited", _("待答复")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已拒绝")
    EXPIRED = "expired", _("超时未答复")
    CANCELLED = "cancelled", _("已撤销（重新抽取）")


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", _("待县局决定")
    REMOVED = "removed", _("已移出专家库")
    KEPT = "kept", _("保留")


# The recusal rules, each with the reason shown for an excluded expert (docs/decisions/0035).
class Recusal(models.TextChoices):
    SAME_EMPLOYER = "same_employer", _("与企业为同一工作单位")
    AGENCY_SERVING = "agency_serving", _("所在服务机构为该企业提供服务（服务合同）")
    SERVED_RECENTLY = "served_recently", _("近期曾为该企业服务或检查")
    DECLARED = "declared", _("申报的利害关系")
    UNAVAILABLE = "unavailable", _("抽取日期不在岗")
    MANUAL = "manual", _("人工排除")
