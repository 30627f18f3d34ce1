from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    COMMITTED = "committed", _("已生成")


class TargetKind(models.TextChoices):
    MANDATORY = "mandatory", _("重点检查")
    RANDOM = "random", _("双随机抽查")


class TargetStatus(models.TextChoices):
    PLANNED = "planned", _("待检查")
    DONE = "done", _("已检查")
    VOID = "void", _("已作废（重新抽取）")


class RuleKind(models.TextChoices):
    RISK = "risk", _("风险等级")
    GRADE = "grade", _("标准化等级")
    FLAG = "flag", _("行业特征")
    CREDIT = "credit", _("信用等级")
    NONPARTICIPANT = "nonparticipant", _("未开展社会化服务（加密频次）")


class Flag(models.TextChoices):
    HAZCHEM = "hazchem", _("危险化学品")
    MAJOR_HAZARD_SOURCE = "major_hazard_source", _("重大危险源")
    METAL_SMELTING = "metal_smelting", _("金属冶炼")


class InspectionKind(models.TextChoices):
    PLANNED = "planned", _("计划检查")
    RANDOM = "random", _("双随机检查")
    SPECIAL = "special", _("专项检查")
    CASE = "case", _("个案检查")


class CaseReason(models.TextChoices):
    """Case-driven inspections: typed, and never counted toward the yearly cap (国办发〔2024〕54号)."""

    COMPLAINT = "complaint", _("投诉举报")
    REFERRAL = "referral", _("转办交办")
    RECHECK = "recheck", _("整改复查")
    APPLICATION = "application", _("依申请检查")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("未发现问题")
    RECTIFY = "rectify", _("发现隐患，责令整改")
    CASE = "case", _("发现违法行为，立案查处")


class ValueSource(models.TextChoices):
    """The same sources as core.DrawValueSource (a view's choice, not a second mechanism)."""

    LOTTERY = "lottery", _("公开彩票开奖号码")
    JOINT = "joint", _("双方共同提供的数值")
    SERVER = "server", _("服务器密码学随机数")
