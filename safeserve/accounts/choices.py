from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY = "county", _("县局监管人员")
    TOWN = "town", _("镇（街道）安监办人员")
    ENTERPRISE = "enterprise", _("企业用户")
    AGENCY = "agency", _("服务机构人员")
    EXPERT = "expert", _("专家")
    INSURER = "insurer", _("保险机构人员")
    ASSOCIATION = "association", _("行业协会人员")
