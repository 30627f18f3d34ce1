from django.db import models
from django.utils.translation import gettext_lazy as _


class CourseType(models.TextChoices):
    PRINCIPAL_INITIAL = "principal_initial", _("主要负责人初次培训")
    PRINCIPAL_YEARLY = "principal_yearly", _("主要负责人每年再培训")
    MANAGER_INITIAL = "manager_initial", _("安全管理人员初次培训")
    MANAGER_YEARLY = "manager_yearly", _("安全管理人员每年再培训")
    NEW_WORKER = "new_worker", _("新员工三级安全教育")
    SPECIAL_REVIEW = "special_review", _("特种作业复审培训")
    OTHER = "other", _("其他")


class PersonRole(models.TextChoices):
    PRINCIPAL = "principal", _("主要负责人")
    SAFETY_MANAGER = "safety_manager", _("安全管理人员")
    SPECIAL_WORKER = "special_worker", _("特种作业人员")
    NEW_WORKER = "new_worker", _("新员工")
    OTHER = "other", _("其他从业人员")


class CertificateKind(models.TextChoices):
    SAFETY_COMPETENCE = "competence", _("安全生产知识和管理能力考核合格证")
    SPECIAL_OPERATION = "special_operation", _("特种作业操作证")


class TrainingStatus(models.TextChoices):
    OK = "ok", _("达标")
    EXPIRING = "expiring", _("证书即将到期")
    UNTRAINED = "untrained", _("初次培训学时不足")
    YEARLY_DUE = "yearly_due", _("年度再培训学时不足")
    NO_CERTIFICATE = "no_certificate", _("无有效特种作业操作证")
    REVIEW_DUE = "review_due", _("特种作业证书未按期复审")
    EXPIRED = "expired", _("证书已过期")
    MISSING = "missing", _("无培训记录")


# The statuses that count as "untrained or expired" on the town/county view.
BAD = frozenset(
    {
        TrainingStatus.UNTRAINED,
        TrainingStatus.YEARLY_DUE,
        TrainingStatus.NO_CERTIFICATE,
        TrainingStatus.REVIEW_DUE,
        TrainingStatus.EXPIRED,
        TrainingStatus.MISSING,
    }
)
KEY_ROLES = (PersonRole.PRINCIPAL, PersonRole.SAFETY_MANAGER, PersonRole.SPECIAL_WORKER)
INITIAL_COURSE = {
    PersonRole.PRINCIPAL: CourseType.PRINCIPAL_INITIAL,
    PersonRole.SAFETY_MANAGER: CourseType.MANAGER_INITIAL,
}
YEARLY_COURSE = {
    PersonRole.PRINCIPAL: CourseType.PRINCIPAL_YEARLY,
    PersonRole.SAFETY_MANAGER: CourseType.MANAGER_YEARLY,
}
