"""Safety training (安全培训): providers' courses and sessions, attendance with hours, certificates.

A provider is a registry Agency offering 安全教育培训 (the county training base is one such agency).
Trainees' ID-card numbers are masked for everyone except the provider that trained them and the
trainee's own enterprise (``pii_visible_to``).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.identity import validate_id_number
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL
from safeserve.registry.choices import ServiceType

from .choices import CertificateKind, CourseType, PersonRole

HOURS = [MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("500"))]


def _provider_check(agency):
    if agency is not None and ServiceType.TRAINING not in (agency.service_types or []):
        raise ValidationError({"provider": _("%(a)s 未登记“安全教育培训”服务类型，不能作为培训机构") % {"a": agency}})


class Course(ScopedModel):
    provider = models.ForeignKey(
        "registry.Agency", verbose_name=_("培训机构"), on_delete=models.PROTECT, related_name="courses"
    )
    name = models.CharField(_("课程名称"), max_length=100)
    course_type = models.CharField(_("培训类型"), max_length=20, choices=CourseType.choices)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, validators=HOURS)
    is_active = models.BooleanField(_("开设中"), default=True)

    FIELDS = ("provider", "name", "course_type", "hours", "is_active")

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["provider", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("training:course_detail", args=[self.pk])

    def clean(self):
        if self.provider_id:
            _provider_check(self.provider)

    @classmethod
    def scope_q(cls, user, action):
        # The catalogue is readable by every role that has the permission; its provider keeps it.
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return ALL if action == "view" else models.Q(provider_id=user.agency_id)
        return ALL if action == "view" else None


class TrainingSession(ScopedModel):
    course = models.ForeignKey(Course, verbose_name=_("培训课程"), on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField(_("培训日期"), db_index=True)
    place = models.CharField(_("培训地点"), max_length=100)
    trainer = models.CharField(_("授课人"), max_length=50)

    FIELDS = ("course", "date", "place", "trainer")

    class Meta:
        verbose_name = _("培训班次")
        verbose_name_plural = _("培训班次")
        ordering = ["-date", "-id"]

    def __str__(self):
        name = self.course.name if "course" in self._state.fields_cache else self.course_id
        return f"{name} {self.date:%Y-%m-%d}" if self.date else str(name)

    def get_absolute_url(self):
        return reverse("training:trainingsession_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return ALL if action == "view" else models.Q(course__provider_id=user.agency_id)
        return ALL if action == "view" else None


class TraineeRecord(ScopedModel):
    """A person of an enterprise: scoped to the enterprise and the provider, ID number masked."""

    pii_fields = {"id_number": "id"}

    class Meta:
        abstract = True

    def provider_id_of(self):  # pragma: no cover - each subclass says who its provider is
        return None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser:
            return True
        if user.role == Role.ENTERPRISE and user.enterprise_id == self.enterprise_id:
            return True
        return user.role == Role.AGENCY and user.agency_id is not None and user.agency_id == self.provider_id_of()


class Attendance(TraineeRecord):
    session = models.ForeignKey(
        TrainingSession, verbose_name=_("培训班次"), on_delete=models.PROTECT, related_name="attendances"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("所在企业"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[validate_id_number])
    person_role = models.CharField(_("人员类别"), max_length=20, choices=PersonRole.choices)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, validators=HOURS)

    FIELDS = ("session", "enterprise", "name", "id_number", "person_role", "hours")

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["session", "id_number"], name="attendance_once_per_session")]
        indexes = [models.Index(fields=["enterprise", "person_role"]), models.Index(fields=["id_number"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("training:attendance_detail", args=[self.pk])

    def provider_id_of(self):
        return self.session.course.provider_id

    def clean(self):
        if self.session_id and self.hours is not None and self.hours > self.session.course.hours:
            raise ValidationError({"hours": _("学时不能超过课程学时（%(h)s）") % {"h": self.session.course.hours}})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.AGENCY:
            return models.Q(session__course__provider_id=user.agency_id)
        if action != "view":
            return None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(enterprise_id=user.enterprise_id)
        return None


class Certificate(TraineeRecord):
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("所在企业"), on_delete=models.PROTECT, related_name="+"
    )
    holder_name = models.CharField(_("持证人"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[validate_id_number])
    person_role = models.CharField(_("人员类别"), max_length=20, choices=PersonRole.choices)
    kind = models.CharField(_("证书类别"), max_length=20, choices=CertificateKind.choices)
    number = models.CharField(_("证书编号"), max_length=50)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), db_index=True)
    provider = models.ForeignKey(
        "registry.Agency", verbose_name=_("培训机构"), on_delete=models.PROTECT, related_name="+"
    )

    FIELDS = (
        "enterprise",
        "holder_name",
        "id_number",
        "person_role",
        "kind",
        "number",
        "issued_on",
        "valid_until",
        "provider",
    )

    class Meta:
        verbose_name = _("培训证书")
        verbose_name_plural = _("培训证书")
        ordering = ["valid_until", "id"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="certificate_number_once")]
        indexes = [models.Index(fields=["enterprise", "kind"])]

    def __str__(self):
        return f"{self.holder_name} {self.number}"

    def get_absolute_url(self):
        return reverse("training:certificate_detail", args=[self.pk])

    def provider_id_of(self):
        return self.provider_id

    def clean(self):
        if self.issued_on and self.valid_until and self.valid_until <= self.issued_on:
            raise ValidationError({"valid_until": _("有效期至须晚于发证日期")})
        if self.provider_id:
            _provider_check(self.provider)

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.AGENCY:
            return models.Q(provider_id=user.agency_id)
        if action != "view":
            return None
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(enterprise_id=user.enterprise_id)
        return None
