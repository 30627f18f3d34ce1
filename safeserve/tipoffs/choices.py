from django.db import models
from django.utils.translation import gettext_lazy as _


class SubjectKind(models.TextChoices):
    AGENCY = "agency", _("服务机构")
    ENTERPRISE = "enterprise", _("生产经营单位")
    UNKNOWN = "unknown", _("其他或不明单位")


class Category(models.TextChoices):
    FRAUD = "fraud", _("服务机构弄虚作假")
    ILLEGAL = "illegal", _("非法违法生产经营")
    HAZARD = "hazard", _("重大事故隐患")
    CONCEALED = "concealed", _("瞒报、谎报事故")
    OTHER = "other", _("其他")


class TipoffState(models.TextChoices):
    RECEIVED = "received", _("待受理")
    ACCEPTED = "accepted", _("已受理，核查中")
    REJECTED = "rejected", _("不予受理")
    FORWARDED = "forwarded", _("已转送其他部门")
    CLOSED = "closed", _("已办结")


class Finding(models.TextChoices):
    SUBSTANTIATED = "substantiated", _("属实")
    PARTLY = "partly", _("部分属实")
    UNFOUNDED = "unfounded", _("不属实")


VERIFIED_FINDINGS = (Finding.SUBSTANTIATED, Finding.PARTLY)


class AccidentLevel(models.TextChoices):
    GENERAL = "general", _("一般事故")
    LARGER = "larger", _("较大事故")
    MAJOR = "major", _("重大事故")
    EXTRAORDINARY = "extraordinary", _("特别重大事故")


class RewardState(models.TextChoices):
    PROPOSED = "proposed", _("拟奖励")
    APPROVED = "approved", _("已批准")
    PAID = "paid", _("已发放")


class AttemptKind(models.TextChoices):
    FILE = "file", _("提交举报")
    FAIL_CODE = "fail_code", _("查询失败（按查询码）")
    FAIL_IP = "fail_ip", _("查询失败（按地址）")
