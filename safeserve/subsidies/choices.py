from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    CLOSED = "closed", _("已截止")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")
    PAID = "paid", _("已拨付")
    WITHDRAWN = "withdrawn", _("已撤回")


# Applications whose amount counts against the budget and the enterprise's yearly cap.
GRANTED_STATES = (ApplicationStatus.APPROVED, ApplicationStatus.PAID)
# Applications still alive: a contract has at most one of these per enterprise.
LIVE_STATES = (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED, ApplicationStatus.PAID)
