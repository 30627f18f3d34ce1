from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceItem(models.TextChoices):
    HAZARD = "hazard", _("隐患排查治理")
    STANDARDIZATION = "standardization", _("安全生产标准化")
    INTEGRITY = "integrity", _("诚信体系建设")
    EMERGENCY = "emergency", _("应急预案与演练")
    EVALUATION = "evaluation", _("安全评价")
    TESTING = "testing", _("检测检验")
    OCCUPATIONAL = "occupational", _("职业病危害防治")
    TRAINING = "training", _("安全教育培训")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ACTIVE = "active", _("履行中")
    EXPIRED = "expired", _("已到期")
    TERMINATED = "terminated", _("已终止")


class PayerType(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业自费")
    TOWN = "town", _("镇（街道）政府购买")
    COUNTY = "county", _("县政府购买")
    # An insurer commissions the accident-prevention service of a 安责险 policy (AQ 9010-2019); the
    # insurance app creates such a contract from the policy's service plan (payer_insurer set).
    INSURER = "insurer", _("保险机构委托")


class ItemResult(models.TextChoices):
    OK = "ok", _("符合")
    PROBLEM = "problem", _("存在问题")
    NA = "na", _("不适用")


# The kind of agency service each contracted item is (registry ServiceType values). Items of a
# licensed kind (settings.SAFESERVE["LICENSED_SERVICE_TYPES"]) need the agency's qualification for it.
ITEM_SERVICE_TYPE = {
    ServiceItem.HAZARD: "consulting",
    ServiceItem.STANDARDIZATION: "consulting",
    ServiceItem.INTEGRITY: "consulting",
    ServiceItem.EMERGENCY: "consulting",
    ServiceItem.EVALUATION: "evaluation",
    ServiceItem.TESTING: "testing",
    ServiceItem.OCCUPATIONAL: "occupational",
    ServiceItem.TRAINING: "training",
}
