from django.db import models
from django.utils.translation import gettext_lazy as _


class TargetKind(models.TextChoices):
    """The policy's three targets (村级小微 and 重点行业 全覆盖, 5% overall) and the county's own."""

    OVERALL = "overall", _("全部生产经营单位")
    VILLAGE_SMALL = "village_small", _("村级小微企业")
    KEY_INDUSTRY = "key_industry", _("重点行业企业")
    CUSTOM = "custom", _("自定义范围")


BUILTIN_KINDS = (TargetKind.OVERALL, TargetKind.VILLAGE_SMALL, TargetKind.KEY_INDUSTRY)
