"""Commissioned services: contracts (服务合同), checklists and visits (服务记录)."""

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel, choice_labels
from safeserve.core.scoping import ALL
from safeserve.core.uploads import document_storage_name, storage_name
from safeserve.registry.models import AgencyStaff

from .choices import ContractStatus, ItemResult, PayerType, ServiceItem

# A contract under which an agency serves (or served) an enterprise: drafts never count.
SERVING_STATES = (ContractStatus.ACTIVE, ContractStatus.EXPIRED, ContractStatus.TERMINATED)


def served_enterprise_ids(agency_id):
    """Subquery: enterprises the agency serves under a current or past contract (no duplicates)."""
    return ContractEnterprise.objects.filter(contract__agency_id=agency_id, contract__status__in=SERVING_STATES).values(
        "enterprise_id"
    )


def enterprise_agency_staff_ids(enterprise_id):
    """Agency staff an enterprise may see: those on its contracts or present at its visits (ids)."""
    on_contracts = ContractStaff.objects.filter(servicecontract__links__enterprise_id=enterprise_id).values(
        "agencystaff_id"
    )
    on_visits = VisitStaff.objects.filter(servicevisit__enterprise_id=enterprise_id).values("agencystaff_id")
    return AgencyStaff.objects.filter(models.Q(pk__in=on_contracts) | models.Q(pk__in=on_visits)).values("pk")


def contract_scan_path(instance, filename):
    return document_storage_name("contracts", instance.scan_sha256, filename)


class ServiceContract(ScopedModel):
    number = models.CharField(_("合同编号"), max_length=50, unique=True)
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="contracts"
    )
    payer_type = models.CharField(_("付费方"), max_length=12, choices=PayerType.choices, default=PayerType.ENTERPRISE)
    payer_town = models.ForeignKey(
        "registry.Town",
        verbose_name=_("购买服务的镇（街道）"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payer_insurer = models.ForeignKey(
        "registry.Insurer",
        verbose_name=_("委托的保险机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,  # set only by the insurance app's plan action, with payer_type "insurer"
    )
    enterprises = models.ManyToManyField(
        "registry.Enterprise",
        verbose_name=_("服务企业"),
        through="ContractEnterprise",
        related_name="service_contracts",
    )
    items = models.JSONField(_("服务事项"), default=list)
    start_date = models.DateField(_("服务期起"))
    end_date = models.DateField(_("服务期止"))
    fee = models.DecimalField(_("服务费（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    visits_per_year = models.PositiveSmallIntegerField(
        _("每年上门服务次数"), default=4, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    staff = models.ManyToManyField(
        "registry.AgencyStaff",
        verbose_name=_("指派人员"),
        blank=True,
        related_name="contracts",
        through="ContractStaff",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT, db_index=True
    )
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    # The signed contract, scanned (PDF or photo), checked by content (core.uploads.verify_scan) and
    # attached by the contract's owner through actions.contract_attach_scan only.
    scan = models.FileField(_("合同扫描件"), upload_to=contract_scan_path, max_length=200, blank=True)
    scan_sha256 = models.CharField(_("扫描件 SHA-256"), max_length=64, blank=True)
    scan_name = models.CharField(_("扫描件文件名"), max_length=200, blank=True)

    # Declared once: the detail page and the API show these; the export leaves out the last two;
    # the form edits those a draft's owner types (not the enterprises, given as credit codes, nor
    # the status and termination date, which only the transitions set).
    FIELDS = (
        "number",
        "agency",
        "payer_type",
        "payer_town",
        "enterprises",
        "items",
        "start_date",
        "end_date",
        "fee",
        "visits_per_year",
        "staff",
        "status",
        "terminated_on",
        "note",
    )
    EXPORT_FIELDS = FIELDS[:-2]
    FORM_FIELDS = tuple(f for f in FIELDS if f not in ("enterprises", "status", "terminated_on"))

    class Meta:
        verbose_name = _("服务合同")
        verbose_name_plural = _("服务合同")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["agency", "status"]), models.Index(fields=["status", "start_date", "end_date"])]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("services:servicecontract_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("服务期止不能早于服务期起")
        if not isinstance(self.items, list) or not self.items or not set(self.items) <= set(ServiceItem.values):
            errors["items"] = _("至少选择一项有效的服务事项")
        if self.payer_type == PayerType.TOWN and not self.payer_town_id:
            errors["payer_town"] = _("镇（街道）政府购买须填写购买服务的镇（街道）")
        if self.payer_type != PayerType.TOWN and self.payer_town_id:
            errors["payer_town"] = _("仅镇（街道）政府购买时填写")
        if self.payer_type == PayerType.INSURER and not self.payer_insurer_id:
            errors["payer_type"] = _("保险机构委托的合同由保险机构在安责险事故预防服务计划中建立")
        if self.payer_type != PayerType.INSURER and self.payer_insurer_id:
            errors["payer_type"] = _("填写了委托的保险机构时，付费方须为保险机构委托")
        if errors:
            raise ValidationError(errors)

    @property
    def visit_interval_days(self) -> int:
        return math.ceil(365 / max(1, self.visits_per_year))

    def get_items_display(self):
        return choice_labels(ServiceItem.choices, self.items)

    @classmethod
    def scope_q(cls, user, action):
        q = cls._scope_q(user, action)
        if q is not None and action in ("change", "delete"):
            # Only drafts are edited or deleted; a signed contract changes state through its actions.
            return q & models.Q(status=ContractStatus.DRAFT)
        return q

    @classmethod
    def owner_q(cls, user):
        """The contracts ``user`` owns: the payer's (or, for any contract, the county's).

        Only the owner adds, edits, deletes, activates or terminates a contract. A town officer sees
        a county-paid contract covering one of its enterprises, but it is not the town's to change.
        """
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            return models.Q(payer_type=PayerType.TOWN, payer_town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            mine = ContractEnterprise.objects.filter(enterprise_id=user.enterprise_id).values("contract_id")
            return models.Q(payer_type=PayerType.ENTERPRISE, pk__in=mine)
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)  # the other party: it activates and terminates
        return None

    @classmethod
    def _scope_q(cls, user, action):
        if action != "view":
            # Agencies only read contracts through the API and pages; they act through transitions.
            return None if user.role == Role.AGENCY else cls.owner_q(user)
        if user.role == Role.COUNTY:
            return ALL
        if user.role == Role.TOWN:
            in_town = ContractEnterprise.objects.filter(enterprise__town_id=user.town_id).values("contract_id")
            return models.Q(payer_town_id=user.town_id) | models.Q(pk__in=in_town)
        if user.role == Role.ENTERPRISE:
            mine = ContractEnterprise.objects.filter(enterprise_id=user.enterprise_id).values("contract_id")
            return models.Q(pk__in=mine)
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)
        return None


class ContractEnterprise(models.Model):
    contract = models.ForeignKey(ServiceContract, on_delete=models.CASCADE, related_name="links")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.PROTECT, related_name="contract_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["contract", "enterprise"], name="contract_enterprise_once")]
        indexes = [models.Index(fields=["enterprise", "contract"])]

    def __str__(self):
        return f"{self.contract_id}:{self.enterprise_id}"


class ContractStaff(models.Model):
    """A staff member assigned to a contract. The person cannot be deleted while assigned (PROTECT)."""

    servicecontract = models.ForeignKey(ServiceContract, on_delete=models.CASCADE, related_name="+")
    agencystaff = models.ForeignKey(
        "registry.AgencyStaff", verbose_name=_("指派人员"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "services_servicecontract_staff"  # the table Django made for the plain many-to-many
        unique_together = [("servicecontract", "agencystaff")]
        verbose_name = _("合同指派人员")
        verbose_name_plural = _("合同指派人员")

    def __str__(self):
        return f"{self.servicecontract_id}:{self.agencystaff_id}"


class ChecklistTemplate(ScopedModel):
    name = models.CharField(_("名称"), max_length=100, unique=True)
    industry = models.ForeignKey(
        "registry.Industry",
        verbose_name=_("适用行业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空表示通用"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    FIELDS = ("name", "industry", "is_active")  # form, detail page and API

    class Meta:
        verbose_name = _("检查表模板")
        verbose_name_plural = _("检查表模板")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("services:checklisttemplate_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        # Reference data the county maintains; everyone may read it.
        return ALL


class ChecklistItem(ScopedModel):
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查表模板"), on_delete=models.CASCADE, related_name="items"
    )
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    category = models.CharField(_("检查类别"), max_length=50)
    text = models.CharField(_("检查内容"), max_length=300)

    FIELDS = ("template", "order", "category", "text")  # form, detail page and API

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["template", "order", "id"]

    def __str__(self):
        return f"{self.order}. {self.text}"

    def get_absolute_url(self):
        return reverse("services:checklistitem_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return ALL


class ServiceVisit(ScopedModel):
    """One on-site visit. Its content is hashed and chained to the agency's previous visit."""

    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.PROTECT, related_name="visits"
    )
    contract = models.ForeignKey(
        ServiceContract, verbose_name=_("服务合同"), on_delete=models.PROTECT, related_name="visits"
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("服务企业"), on_delete=models.PROTECT, related_name="service_visits"
    )
    visited_at = models.DateTimeField(_("服务时间"))
    staff = models.ManyToManyField(
        "registry.AgencyStaff", verbose_name=_("到场人员"), related_name="visits", through="VisitStaff"
    )
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查表"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    findings = models.TextField(_("发现问题及建议"), blank=True)
    signed_by = models.CharField(_("企业签字人"), max_length=50, blank=True)
    signed_at = models.DateTimeField(_("企业签字时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # a user who recorded a visit is deactivated, never deleted
        related_name="+",
    )
    # Stamped on the phone: the server's clock when the record was saved, and the browser's position
    # when the user tapped "记录位置" (geolocation asked only on that tap, never on page load).
    recorded_at = models.DateTimeField(_("录入时间（服务器）"), null=True, blank=True)
    latitude = models.DecimalField(
        _("位置纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("位置经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    location_accuracy = models.PositiveIntegerField(
        _("定位精度（米）"), null=True, blank=True, validators=[MaxValueValidator(100_000)]
    )
    seq = models.PositiveIntegerField(_("机构记录序号"))
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64, blank=True)
    content_hash = models.CharField(_("记录哈希"), max_length=64)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["-visited_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["agency", "seq"], name="visit_seq_once_per_agency")]
        indexes = [
            models.Index(fields=["enterprise", "-visited_at"]),
            models.Index(fields=["contract", "enterprise", "-visited_at"]),
            models.Index(fields=["agency", "-visited_at"]),
        ]

    def __str__(self):
        # The local (Asia/Shanghai) day: a visit at 05:37 is 21:37 UTC the day before.
        return f"{self.enterprise} {timezone.localtime(self.visited_at):%Y-%m-%d}" if self.visited_at else str(self.pk)

    def get_absolute_url(self):
        return reverse("services:visit_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        if action != "view" and action != "add":
            return None  # a visit record is never edited or deleted: that is what the hash chain proves
        if user.role == Role.COUNTY:
            return ALL if action == "view" else None
        if user.role == Role.TOWN and action == "view":
            return models.Q(enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE and action == "view":
            return models.Q(enterprise_id=user.enterprise_id)
        if user.role == Role.AGENCY:
            return models.Q(agency_id=user.agency_id)
        return None


class VisitStaff(models.Model):
    """A staff member present at a visit: part of the visit's hashed content, so never deleted.

    ``on_delete=PROTECT``: deleting the person (page, API, admin or ORM) is refused while any visit
    names them; people who leave are deactivated (``AgencyStaff.is_active``, ``left_on``).
    """

    servicevisit = models.ForeignKey(ServiceVisit, on_delete=models.CASCADE, related_name="+")
    agencystaff = models.ForeignKey(
        "registry.AgencyStaff", verbose_name=_("到场人员"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        db_table = "services_servicevisit_staff"  # the table Django made for the plain many-to-many
        unique_together = [("servicevisit", "agencystaff")]
        verbose_name = _("服务记录到场人员")
        verbose_name_plural = _("服务记录到场人员")

    def __str__(self):
        return f"{self.servicevisit_id}:{self.agencystaff_id}"


class ChecklistAnswer(models.Model):
    """One checklist item answered on a record (an agency's visit, an expert's prevention visit, a
    mutual inspection): the record's own model adds the link to its record and its unique constraint."""

    item = models.ForeignKey(ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+")
    result = models.CharField(_("结果"), max_length=10, choices=ItemResult.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["item__order", "item_id"]

    def __str__(self):
        return f"{self.item_id}:{self.result}"


class EvidencePhoto(models.Model):
    """A photo kept as evidence of a record: its SHA-256 (covered by the record's hash), name, and the
    time and place read from its EXIF. The record's model adds the link and ``file`` (its folder)."""

    sha256 = models.CharField(_("SHA-256"), max_length=64)
    name = models.CharField(_("文件名"), max_length=200, blank=True)
    # Read from the photo's EXIF when present (and kept in the stored file, which the hash covers).
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return self.name or self.sha256


class VisitItemResult(ChecklistAnswer):
    visit = models.ForeignKey(ServiceVisit, on_delete=models.CASCADE, related_name="results")

    class Meta(ChecklistAnswer.Meta):
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="visit_item_once")]


def visit_photo_path(instance, filename):
    return storage_name("visits", instance.sha256, filename)


class VisitPhoto(EvidencePhoto):
    visit = models.ForeignKey(ServiceVisit, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("照片"), upload_to=visit_photo_path, max_length=200)


def pending_photo_path(instance, filename):
    return storage_name("pending", instance.sha256, filename)


class PendingPhoto(ScopedModel):
    """A photo uploaded (and verified) as soon as it is chosen on the visit form, before the visit exists.

    Only its uploader sees or uses it; saving the visit moves it onto the record (``VisitPhoto``), and a
    daily job deletes those left behind (``actions.purge_pending_photos``).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(_("照片"), upload_to=pending_photo_path, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    name = models.CharField(_("文件名"), max_length=200, blank=True)
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("待提交照片")
        verbose_name_plural = _("待提交照片")
        ordering = ["id"]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self):
        return self.name or self.sha256

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.AGENCY and user.has_perm("services.add_servicevisit"):
            return models.Q(owner_id=user.pk)
        return None


class ConfirmMethod(models.TextChoices):
    LOGIN = "login", _("企业账号确认")
    CODE = "code", _("现场确认码")


class VisitConfirmation(models.Model):
    """The enterprise's confirmation of a visit: by its own login, or by a one-time code.

    The code is shown on the agency's phone; the enterprise's contact, standing next to it, types it on
    the confirmation page (``/services/confirm/<visit>/``, their own phone, no account needed). Only its
    hash is stored; it expires, is single-use, and a few wrong tries void it. Kept outside the visit's
    hashed content (like the rating): confirming comes after the record is sealed.
    """

    visit = models.OneToOneField(ServiceVisit, on_delete=models.CASCADE, related_name="confirmation")
    code_hash = models.CharField(max_length=64, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(_("企业确认时间"), null=True, blank=True)
    method = models.CharField(_("确认方式"), max_length=10, choices=ConfirmMethod.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认账号"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmer_name = models.CharField(_("企业确认人"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("服务确认")
        verbose_name_plural = _("服务确认")

    def __str__(self):
        return f"{self.visit_id}:{self.method or '-'}"

    def get_absolute_url(self):
        return self.visit.get_absolute_url()


class VisitRating(ScopedModel):
    """The enterprise's rating of one visit (kept outside the visit's hashed content)."""

    visit = models.OneToOneField(
        ServiceVisit, verbose_name=_("服务记录"), on_delete=models.CASCADE, related_name="rating"
    )
    agency = models.ForeignKey(
        "registry.Agency", verbose_name=_("服务机构"), on_delete=models.CASCADE, related_name="ratings"
    )
    score = models.PositiveSmallIntegerField(_("评分"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.CharField(_("评价"), max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评价人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = _("服务评价")
        indexes = [models.Index(fields=["agency", "score"])]

    def __str__(self):
        return f"{self.visit} {self.score}"

    def get_absolute_url(self):
        return self.visit.get_absolute_url()

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY and action == "view":
            return ALL
        if user.role == Role.TOWN and action == "view":
            return models.Q(visit__enterprise__town_id=user.town_id)
        if user.role == Role.ENTERPRISE:
            return models.Q(visit__enterprise_id=user.enterprise_id)
        if user.role == Role.AGENCY and action == "view":
            return models.Q(agency_id=user.agency_id)
        return None


__all__ = [
    "ChecklistItem",
    "ChecklistTemplate",
    "ContractEnterprise",
    "ContractStaff",
    "ItemResult",
    "PendingPhoto",
    "ServiceContract",
    "ServiceVisit",
    "VisitConfirmation",
    "VisitItemResult",
    "VisitPhoto",
    "VisitRating",
    "VisitStaff",
]
