"""The registry (主体库): the county's safety actors and where they are."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core import hooks
from safeserve.core.fasturl import reverse_ints
from safeserve.core.identity import validate_credit_code, validate_id_number
from safeserve.core.models import ScopedModel, choice_labels
from safeserve.core.scoping import ALL

from .choices import (
    EnterpriseStatus,
    ExpertPool,
    IndustryLevel,
    QualificationStatus,
    RiskLevel,
    ServiceType,
    SizeClass,
    StandardizationGrade,
)

phone_validator = RegexValidator(r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$", _("请输入有效的手机号或座机号"))
OFFICERS = (Role.COUNTY, Role.TOWN)


class Town(ScopedModel):
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("镇（街道）")
        verbose_name_plural = _("镇（街道）")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:town_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(pk=user.town_id)
        if user.role == Role.ENTERPRISE and action == "view":
            return models.Q(enterprises=user.enterprise_id)
        return None


class Village(ScopedModel):
    town = models.ForeignKey(Town, verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="villages")
    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        verbose_name = _("村（社区）")
        verbose_name_plural = _("村（社区）")
        ordering = ["town__sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["town", "name"], name="village_unique_name_in_town")]

    def __str__(self):
        return f"{self.town.name}{self.name}" if "town" in self._state.fields_cache else self.name

    def get_absolute_url(self):
        return reverse("registry:village_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(town_id=user.town_id)
        if user.role == Role.ENTERPRISE and action == "view":
            return models.Q(enterprises=user.enterprise_id)
        return None


class Industry(ScopedModel):
    """GB/T 4754 sections (门类) and the divisions (大类) the county needs."""

    code = models.CharField(_("行业代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=10, choices=IndustryLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("所属门类"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_key = models.BooleanField(_("重点行业"), default=False)
    insurance_mandatory = models.BooleanField(_("强制投保安责险"), default=False)

    class Meta:
        verbose_name = _("行业")
        verbose_name_plural = _("行业")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("registry:industry_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        # Reference data: every role may read it; only the county (by permission) may change it.
        return ALL


class Enterprise(ScopedModel):
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    name = models.CharField(_("单位名称"), max_length=100, db_index=True)
    address = models.CharField(_("地址"), max_length=200)
    town = models.ForeignKey(Town, verbose_name=_("镇（街道）"), on_delete=models.PROTECT, related_name="enterprises")
    village = models.ForeignKey(
        Village,
        verbose_name=_("村（社区）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    industry = models.ForeignKey(Industry, verbose_name=_("行业"), on_delete=models.PROTECT, related_name="enterprises")
    size_class = models.CharField(_("规模"), max_length=10, choices=SizeClass.choices, default=SizeClass.SMALL)
    employees = models.PositiveIntegerField(_("从业人数"), default=0, validators=[MaxValueValidator(1_000_000)])
    risk_level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.BLUE)
    is_hazchem = models.BooleanField(_("危险化学品生产经营储存"), default=False)
    has_major_hazard_source = models.BooleanField(_("重大危险源"), default=False)
    is_village_small = models.BooleanField(_("村级小微企业"), default=False)
    standardization_grade = models.CharField(
        _("标准化等级"), max_length=5, choices=StandardizationGrade.choices, default=StandardizationGrade.NONE
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50)
    safety_manager = models.CharField(_("安全管理人员"), max_length=50, blank=True)
    safety_manager_phone = models.CharField(
        _("安全管理人员电话"), max_length=20, blank=True, validators=[phone_validator]
    )
    status = models.CharField(_("经营状态"), max_length=10, choices=EnterpriseStatus.choices, default="active")

    pii_fields = {"safety_manager_phone": "phone"}
    # Its name links to its 360° page (一企一档) on every page that shows it (core.display.linked_name).
    link_everywhere = True

    # The register's fields as a person keeps them (form, detail page, export and API share the list).
    FIELDS = (
        "credit_code",
        "name",
        "address",
        "town",
        "village",
        "industry",
        "size_class",
        "employees",
        "risk_level",
        "is_hazchem",
        "has_major_hazard_source",
        "is_village_small",
        "standardization_grade",
        "legal_representative",
        "safety_manager",
        "safety_manager_phone",
        "status",
    )

    class Meta:
        verbose_name = _("生产经营单位")
        verbose_name_plural = _("生产经营单位")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["town", "name", "id"]),
            models.Index(fields=["town", "status", "name", "id"]),
            models.Index(fields=["town", "risk_level", "name", "id"]),
            models.Index(fields=["town", "industry"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_ints("registry:enterprise_detail", self.pk)  # named on every row of many lists

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.village_id and self.town_id and self.village.town_id != self.town_id:
            raise ValidationError({"village": _("该村（社区）不属于所选镇（街道）")})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(pk=user.enterprise_id)
        if user.role == Role.ASSOCIATION and action == "view":
            return models.Q(associations=user.association_id)
        if user.role == Role.AGENCY and action == "view":
            # Enterprises the agency serves (a relation the services app provides; none without it).
            return models.Q(pk__in=hooks.related_ids("agency_enterprises", user.agency_id))
        return None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        # Officers reach only enterprises in their scope; the enterprise sees its own data.
        return user.is_authenticated and (
            user.is_superuser
            or user.role in OFFICERS
            or (user.role == Role.ENTERPRISE and user.enterprise_id == self.pk)
        )


class Agency(ScopedModel):
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    name = models.CharField(_("机构名称"), max_length=100, db_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    service_types = models.JSONField(_("服务类型"), default=list)
    is_local = models.BooleanField(_("本地机构"), default=True, help_text=_("否则为引进机构"))
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])
    is_active = models.BooleanField(_("在册"), default=True)

    extra_labels = {"qualification_state": _("资质状态")}

    pii_fields = {"contact_phone": "phone"}  # often the contact person's own mobile

    class Meta:
        verbose_name = _("第三方服务机构")
        verbose_name_plural = _("第三方服务机构")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:agency_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        valid = set(ServiceType.values)
        if not isinstance(self.service_types, list) or not set(self.service_types) <= valid:
            raise ValidationError({"service_types": _("服务类型无效")})
        if not self.service_types:
            raise ValidationError({"service_types": _("至少选择一项服务类型")})

    @property
    def qualification_state(self) -> str:
        """The worst state of the agency's qualifications (uses the ``next_expiry`` annotation)."""
        nxt = getattr(self, "next_expiry", None)
        if nxt is None and not hasattr(self, "next_expiry"):
            nxt = self.qualifications.aggregate(n=models.Min("valid_until"))["n"]
        return qualification_status(nxt) if nxt else QualificationStatus.NONE

    def get_qualification_state_display(self):
        return QualificationStatus(self.qualification_state).label

    def get_service_types_display(self):
        return choice_labels(ServiceType.choices, self.service_types)

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return models.Q(pk=user.agency_id)
        if action == "view" and user.role in (Role.TOWN, Role.ENTERPRISE, Role.INSURER, Role.ASSOCIATION):
            # The agency register is what towns and enterprises choose from.
            return ALL
        return None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        return user.is_authenticated and (
            user.is_superuser or user.role in OFFICERS or (user.role == Role.AGENCY and user.agency_id == self.pk)
        )


class AgencyChild(ScopedModel):
    """Qualifications and staff: reached through the agency they belong to."""

    class Meta:
        abstract = True

    @classmethod
    def scope_q(cls, user, action):
        agency_action = "view" if action == "view" else "change"
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)
        parent = Agency.scope_q(user, agency_action)
        return None if parent is None else models.Q(agency__in=Agency.objects.filter(parent))

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        # A staff member's ID number: the county, which verifies registrations and certificates, only;
        # the agency account (shared by its staff) sees its people's phones, not their ID numbers.
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser or user.role == Role.COUNTY:
            return True
        return name != "id_number" and user.role == Role.AGENCY and user.agency_id == self.agency_id


def qualification_status(valid_until, today=None) -> str:
    today = today or timezone.localdate()
    if valid_until < today:
        return QualificationStatus.EXPIRED
    if valid_until <= today + timedelta(days=settings.SAFESERVE["QUALIFICATION_EXPIRY_WARNING_DAYS"]):
        return QualificationStatus.EXPIRING
    return QualificationStatus.VALID


class AgencyQualification(AgencyChild):
    agency = models.ForeignKey(
        Agency, verbose_name=_("服务机构"), on_delete=models.CASCADE, related_name="qualifications"
    )
    name = models.CharField(_("资质名称"), max_length=100)
    number = models.CharField(_("证书编号"), max_length=50)
    issuer = models.CharField(_("发证机关"), max_length=100)
    scope = models.CharField(_("业务范围"), max_length=300, blank=True)
    service_type = models.CharField(
        _("对应服务类型"),
        max_length=20,
        choices=ServiceType.choices,
        blank=True,
        help_text=_("该资质许可的服务类型；安全评价、检测检验、职业卫生服务须持有对应的有效资质"),
    )
    valid_until = models.DateField(_("有效期至"), db_index=True)
    # Docs: decisions/0014-related-rows-and-qualifications.md. A change by the agency itself waits for the county.
    verified = models.BooleanField(_("县局已核验"), default=True, editable=False)
    verified_valid_until = models.DateField(_("已核验的有效期至"), null=True, blank=True, editable=False)

    extra_labels = {"status": _("状态")}

    class Meta:
        verbose_name = _("机构资质")
        verbose_name_plural = _("机构资质")
        ordering = ["valid_until"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "number"], name="qualification_unique_number_per_agency")
        ]

    def __str__(self):
        return f"{self.name}({self.number})"

    def get_absolute_url(self):
        return reverse("registry:agencyqualification_detail", args=[self.pk])

    @property
    def status(self):
        return qualification_status(self.valid_until)

    def counts_on(self, day) -> bool:
        """Valid on ``day`` as far as the county has confirmed (an unconfirmed extension does not count)."""
        if self.valid_until < day:
            return False
        return self.verified or (self.verified_valid_until is not None and self.verified_valid_until >= day)

    @staticmethod
    def counts_on_q(day) -> models.Q:
        """``counts_on`` as a filter."""
        return models.Q(valid_until__gte=day) & (models.Q(verified=True) | models.Q(verified_valid_until__gte=day))

    def get_status_display(self):
        return QualificationStatus(self.status).label


class AgencyStaff(AgencyChild):
    agency = models.ForeignKey(Agency, verbose_name=_("服务机构"), on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[validate_id_number])
    phone = models.CharField(_("手机号"), max_length=20, blank=True, validators=[phone_validator])
    title = models.CharField(_("职称/岗位"), max_length=50, blank=True)
    is_registered_engineer = models.BooleanField(_("注册安全工程师"), default=False)
    engineer_certificate_no = models.CharField(_("注册安全工程师证号"), max_length=50, blank=True)
    engineer_certificate_valid_until = models.DateField(_("注安证有效期至"), null=True, blank=True)
    other_certificates = models.CharField(_("其他证书编号"), max_length=300, blank=True)
    is_active = models.BooleanField(_("在职"), default=True)
    left_on = models.DateField(_("离职日期"), null=True, blank=True, editable=False)
    # Docs: decisions/0014-related-rows-and-qualifications.md. A certificate the agency itself entered or
    # changed counts only once the county has confirmed it; until then the last confirmed validity holds.
    certificate_verified = models.BooleanField(_("证书已核验"), default=True, editable=False)
    certificate_verified_until = models.DateField(_("已核验的证书有效期至"), null=True, blank=True, editable=False)

    pii_fields = {"id_number": "id", "phone": "phone"}

    class Meta:
        verbose_name = _("机构人员")
        verbose_name_plural = _("机构人员")
        ordering = ["agency", "name"]
        constraints = [models.UniqueConstraint(fields=["agency", "id_number"], name="staff_unique_id_per_agency")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:agencystaff_detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.is_registered_engineer and not self.engineer_certificate_no:
            raise ValidationError({"engineer_certificate_no": _("注册安全工程师须填写证号")})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.ENTERPRISE and action == "view":
            # The people who serve the enterprise (a relation the services app provides; none without it).
            return models.Q(pk__in=hooks.related_ids("enterprise_agency_staff", user.enterprise_id))
        return super().scope_q(user, action)

    def is_qualified_on(self, day) -> bool:
        """Holds a valid registered-engineer certificate on ``day``, as far as the county has confirmed it."""
        if not (self.is_active and self.is_registered_engineer):
            return False
        if self.engineer_certificate_valid_until is not None and self.engineer_certificate_valid_until < day:
            return False
        if self.certificate_verified:
            return True
        return self.certificate_verified_until is not None and self.certificate_verified_until >= day

    def certificate_pending_on(self, day) -> bool:
        """The declared certificate would qualify on ``day`` but waits for the county's confirmation."""
        return bool(
            self.is_active
            and self.is_registered_engineer
            and not self.certificate_verified
            and (self.engineer_certificate_valid_until is None or self.engineer_certificate_valid_until >= day)
        )


class Expert(ScopedModel):
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[validate_id_number])
    title = models.CharField(_("职称"), max_length=50, blank=True)
    specialties = models.CharField(_("专业领域"), max_length=200)
    pool = models.CharField(_("专家库"), max_length=10, choices=ExpertPool.choices, default=ExpertPool.COUNTY)
    employer = models.CharField(_("工作单位"), max_length=100, blank=True)
    employer_enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("任职企业"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    employer_agency = models.ForeignKey(
        Agency, verbose_name=_("任职机构"), null=True, blank=True, on_delete=models.SET_NULL, related_name="experts"
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True, validators=[phone_validator])
    email = models.EmailField(_("电子邮箱"), blank=True)
    is_active = models.BooleanField(_("在库"), default=True)

    pii_fields = {"id_number": "id", "phone": "phone"}

    class Meta:
        verbose_name = _("专家")
        verbose_name_plural = _("专家")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("registry:expert_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.EXPERT:
            return models.Q(pk=user.expert_id)
        if user.role == Role.TOWN and action == "view":
            return ALL
        return None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        # The expert sees its own record; an ID number otherwise only the county (who keeps the pool).
        if not (user and user.is_authenticated):
            return False
        if user.is_superuser or user.role == Role.COUNTY or (user.role == Role.EXPERT and user.expert_id == self.pk):
            return True
        return name != "id_number" and user.role in OFFICERS


class MemberOrganisation(ScopedModel):
    """An organisation whose own users keep its record (an insurer, an association): officers read every
    one, towns and enterprises read the list, the organisation's users read and keep their own. Its
    contact phone is often the contact person's own mobile, shown only to officers and its own users."""

    OWN_ROLE: str = ""  # the role whose users belong to such an organisation
    USER_FIELD: str = ""  # the user's field that names their organisation

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code])
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[phone_validator])

    pii_fields = {"contact_phone": "phone"}

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    def is_own(self, user) -> bool:
        return user.role == self.OWN_ROLE and getattr(user, self.USER_FIELD) == self.pk

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        if user.role == cls.OWN_ROLE:
            return models.Q(pk=getattr(user, cls.USER_FIELD))
        if action == "view" and user.role in (Role.TOWN, Role.ENTERPRISE):
            return ALL
        return None

    def pii_visible_to(self, user, name: str | None = None) -> bool:
        return user.is_authenticated and (user.is_superuser or user.role in OFFICERS or self.is_own(user))


class Insurer(MemberOrganisation):
    OWN_ROLE = Role.INSURER
    USER_FIELD = "insurer_id"

    name = models.CharField(_("机构名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("保险机构")
        verbose_name_plural = _("保险机构")
        ordering = ["name"]

    def get_absolute_url(self):
        return reverse("registry:insurer_detail", args=[self.pk])


class Association(MemberOrganisation):
    OWN_ROLE = Role.ASSOCIATION
    USER_FIELD = "association_id"

    name = models.CharField(_("协会名称"), max_length=100)
    industry = models.ForeignKey(
        Industry, verbose_name=_("所属行业"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    members = models.ManyToManyField(Enterprise, verbose_name=_("会员企业"), blank=True, related_name="associations")

    class Meta:
        verbose_name = _("行业协会")
        verbose_name_plural = _("行业协会")
        ordering = ["name"]

    def get_absolute_url(self):
        return reverse("registry:association_detail", args=[self.pk])
