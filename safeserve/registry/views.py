from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.shortcuts import redirect
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views import View

from safeserve.core.scoping import get_visible_or_404
from safeserve.core.views import Column, ObjectConfig, Related

from . import actions, filters, forms, queries
from . import models as m
from .choices import RISK_TONES

QUAL_BADGES = {"expired": "danger", "expiring": "warning", "valid": "success", "none": "secondary"}


def enterprise_panels(request, enterprise) -> dict:
    """The 360° page (一企一档): every capability's panel about this enterprise (core.hooks.ENTERPRISE_PANELS)."""
    return {"panels": queries.enterprise_panels(request, enterprise)}


def _with_next_expiry(qs):
    return qs.annotate(next_expiry=Min("qualifications__valid_until"))


TOWN = ObjectConfig(
    model=m.Town,
    filterset=filters.TownFilterSet,
    form=forms.TownForm,
    columns=[Column("code", sort="code"), Column("name", sort="sort_order", link=True)],
    detail_fields=["code", "name", "sort_order"],
    ordering=("sort_order", "code"),
    related=[
        Related(_("村（社区）"), m.Village, "town", [Column("code"), Column("name", link=True)], "registry:village_add")
    ],
)

VILLAGE = ObjectConfig(
    model=m.Village,
    filterset=filters.VillageFilterSet,
    form=forms.VillageForm,
    columns=[
        Column("code", sort="code"),
        Column("name", sort="name", link=True),
        Column("town", sort="town__sort_order"),
    ],
    detail_fields=["town", "code", "name"],
    select_related=("town",),
    ordering=("town__sort_order", "code"),
)

INDUSTRY = ObjectConfig(
    model=m.Industry,
    filterset=filters.IndustryFilterSet,
    form=forms.IndustryForm,
    columns=[
        Column("code", sort="code"),
        Column("name", sort="name", link=True),
        Column("level"),
        Column("parent"),
        Column("is_key", sort="is_key"),
        Column("insurance_mandatory", sort="insurance_mandatory"),
    ],
    detail_fields=["code", "name", "level", "parent", "is_key", "insurance_mandatory"],
    select_related=("parent",),
    ordering=("code",),
)

ENTERPRISE = ObjectConfig(
    model=m.Enterprise,
    filterset=filters.EnterpriseFilterSet,
    form=forms.EnterpriseForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("credit_code", sort="credit_code"),
        Column("town", sort="town__sort_order"),
        Column("village"),
        Column("industry", sort="industry__code"),
        Column("size_class", sort="size_class"),
        Column("employees", sort="employees"),
        Column("risk_level", sort="risk_level", badge=RISK_TONES),
        Column("status", sort="status"),
    ],
    detail_fields=list(m.Enterprise.FIELDS),
    export_fields=list(m.Enterprise.FIELDS),
    select_related=("town", "village", "industry"),
    ordering=("name", "id"),
    extra_actions=[("registry:enterprise_import", _("批量导入"))],
    detail_template="registry/enterprise_detail.html",
    detail_context=enterprise_panels,
)

AGENCY = ObjectConfig(
    model=m.Agency,
    filterset=filters.AgencyFilterSet,
    form=forms.AgencyForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("credit_code", sort="credit_code"),
        Column("service_types"),
        Column("is_local", sort="is_local"),
        Column("qualification_state", label=_("资质状态"), sort="next_expiry", badge=QUAL_BADGES),
        Column("contact_person"),
        Column("contact_phone"),
    ],
    detail_fields=[
        "credit_code",
        "name",
        "address",
        "service_types",
        "is_local",
        "contact_person",
        "contact_phone",
        "is_active",
        "qualification_state",
    ],
    ordering=("name", "id"),
    annotate=_with_next_expiry,
    related=[
        Related(
            _("资质"),
            m.AgencyQualification,
            "agency",
            [
                Column("name", link=True),
                Column("number"),
                Column("issuer"),
                Column("valid_until"),
                Column("status", label=_("状态"), badge=QUAL_BADGES),
            ],
            "registry:agencyqualification_add",
        ),
        Related(
            _("人员"),
            m.AgencyStaff,
            "agency",
            [
                Column("name", link=True),
                Column("title"),
                Column("is_registered_engineer"),
                Column("engineer_certificate_no"),
                Column("phone"),
            ],
            "registry:agencystaff_add",
        ),
    ],
    extra_actions=[("registry:agency_import", _("批量导入"))],
)

QUALIFICATION = ObjectConfig(
    model=m.AgencyQualification,
    filterset=filters.AgencyQualificationFilterSet,
    form=forms.AgencyQualificationForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("agency", sort="agency__name"),
        Column("number"),
        Column("issuer"),
        Column("valid_until", sort="valid_until"),
        Column("status", label=_("状态"), badge=QUAL_BADGES),
    ],
    detail_fields=[
        "agency",
        "name",
        "number",
        "issuer",
        "scope",
        "service_type",
        "valid_until",
        "status",
        "verified",
        "verified_valid_until",
    ],
    select_related=("agency",),
    ordering=("valid_until", "id"),
    detail_template="registry/agencychild_detail.html",
)

STAFF = ObjectConfig(
    model=m.AgencyStaff,
    filterset=filters.AgencyStaffFilterSet,
    form=forms.AgencyStaffForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("agency", sort="agency__name"),
        Column("title"),
        Column("is_registered_engineer", sort="is_registered_engineer"),
        Column("engineer_certificate_no"),
        Column("id_number"),
        Column("phone"),
        Column("is_active"),
    ],
    detail_fields=[
        "agency",
        "name",
        "id_number",
        "phone",
        "title",
        "is_registered_engineer",
        "engineer_certificate_no",
        "engineer_certificate_valid_until",
        "other_certificates",
        "certificate_verified",
        "certificate_verified_until",
        "is_active",
        "left_on",
    ],
    select_related=("agency",),
    ordering=("agency__name", "name"),
    detail_template="registry/agencychild_detail.html",
)

EXPERT = ObjectConfig(
    model=m.Expert,
    filterset=filters.ExpertFilterSet,
    form=forms.ExpertForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("title"),
        Column("specialties"),
        Column("pool", sort="pool"),
        Column("employer"),
        Column("phone"),
        Column("is_active"),
    ],
    detail_fields=[
        "name",
        "id_number",
        "title",
        "specialties",
        "pool",
        "employer",
        "employer_enterprise",
        "employer_agency",
        "phone",
        "email",
        "is_active",
    ],
    select_related=("employer_enterprise", "employer_agency"),
    ordering=("name", "id"),
    extra_actions=[("registry:expert_import", _("批量导入"))],
)

INSURER = ObjectConfig(
    model=m.Insurer,
    filterset=filters.InsurerFilterSet,
    form=forms.InsurerForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("credit_code"),
        Column("contact_person"),
        Column("contact_phone"),
    ],
    detail_fields=["credit_code", "name", "address", "contact_person", "contact_phone"],
    ordering=("name",),
)

ASSOCIATION = ObjectConfig(
    model=m.Association,
    filterset=filters.AssociationFilterSet,
    form=forms.AssociationForm,
    columns=[
        Column("name", sort="name", link=True),
        Column("credit_code"),
        Column("industry"),
        Column("contact_person"),
    ],
    detail_fields=["credit_code", "name", "industry", "contact_person", "contact_phone"],
    select_related=("industry",),
    ordering=("name",),
    related=[
        Related(
            _("会员企业"),
            m.Enterprise,
            "associations",
            [Column("name", link=True), Column("credit_code"), Column("town"), Column("industry")],
        )
    ],
)

CONFIGS = [TOWN, VILLAGE, INDUSTRY, ENTERPRISE, AGENCY, QUALIFICATION, STAFF, EXPERT, INSURER, ASSOCIATION]


class StaffDeactivateView(LoginRequiredMixin, View):
    """离职(停用): people named on signed records are kept and marked as having left."""

    def post(self, request, pk):
        staff = get_visible_or_404(m.AgencyStaff, request.user, "change", pk=pk)
        raw = request.POST.get("left_on") or ""
        try:
            left_on = parse_date(raw) if raw else None
        except ValueError:
            left_on = None
        if raw and left_on is None:
            messages.error(request, _("离职日期无效，请按 YYYY-MM-DD 填写"))
            return redirect(staff.get_absolute_url())
        try:
            actions.staff_deactivate(actor=request.user, staff=staff, left_on=left_on)
            messages.success(request, _("已办理离职（停用）：%(name)s") % {"name": staff.name})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(staff.get_absolute_url())


class CertificateConfirmView(LoginRequiredMixin, View):
    """县局核验 of a staff certificate or an agency qualification."""

    MODELS = {"agencystaff": m.AgencyStaff, "agencyqualification": m.AgencyQualification}

    def post(self, request, kind, pk):
        model = self.MODELS.get(kind)
        if model is None:
            raise PermissionDenied
        obj = get_visible_or_404(model, request.user, "change", pk=pk)
        try:
            actions.confirm_certificate(actor=request.user, instance=obj)
            messages.success(request, _("已核验：%(obj)s") % {"obj": obj})
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(obj.get_absolute_url())
