from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeStatus(models.TextChoices):
    FILED = "filed", _("已报送，待县局登记")
    RECORDED = "recorded", _("县局已登记")
    RETURNED = "returned", _("已退回")


class Half(models.IntegerChoices):
    FIRST = 1, _("上半年")
    SECOND = 2, _("下半年")


class RoundStatus(models.TextChoices):
    FROZEN = "frozen", _("名单已冻结，待抽取")
    DRAWN = "drawn", _("已抽取")


class CheckerKind(models.TextChoices):
    OFFICER = "officer", _("监管人员")
    EXPERT = "expert", _("专家")


class RecheckOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("记录属实")
    MISSED = "missed_hazards", _("漏查隐患")
    NOT_MATCHING = "not_matching", _("记录与实际不符")
    COPIED = "copied", _("抄袭雷同")


# Each outcome as the credit fact it becomes (core.hooks.CreditFact.kind).
OUTCOME_FACTS = {
    RecheckOutcome.CONFIRMED: "sampling.passed",
    RecheckOutcome.MISSED: "sampling.missed_hazards",
    RecheckOutcome.NOT_MATCHING: "sampling.false_record",
    RecheckOutcome.COPIED: "sampling.copied_record",
}
# Outcomes that may lead to the serious-default list (false or copied records).
MISCONDUCT_OUTCOMES = (RecheckOutcome.NOT_MATCHING, RecheckOutcome.COPIED)


class MisconductStatus(models.TextChoices):
    PROPOSED = "proposed", _("已提议列入严重失信名单，待信用模块处理")
    TAKEN_UP = "taken_up", _("信用模块已受理")


class MisconductKind(models.TextChoices):
    """What a misconduct finding is: the veto items of the yearly grading (docs/decisions/0043)."""

    FALSE_RECORD = "false_record", _("虚假服务记录")
    COPIED_RECORD = "copied_record", _("抄袭雷同服务记录")
    RENTED_QUALIFICATION = "rented_qualification", _("租借资质、挂靠")


# A re-check outcome as the kind of finding it supports.
OUTCOME_KINDS = {
    RecheckOutcome.NOT_MATCHING: MisconductKind.FALSE_RECORD,
    RecheckOutcome.COPIED: MisconductKind.COPIED_RECORD,
}
