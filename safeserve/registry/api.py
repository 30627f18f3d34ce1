from drf_spectacular.utils import extend_schema
from rest_framework import routers, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from safeserve.core.api import ERRORS, ScopedModelViewSet, ScopedSerializer
from safeserve.core.scoping import get_visible_or_404

from . import actions, filters
from . import models as m
from .choices import ServiceType


class TownSerializer(ScopedSerializer):
    class Meta:
        model = m.Town
        fields = ["id", "code", "name", "sort_order"]


class VillageSerializer(ScopedSerializer):
    class Meta:
        model = m.Village
        fields = ["id", "town", "code", "name"]


class IndustrySerializer(ScopedSerializer):
    class Meta:
        model = m.Industry
        fields = ["id", "code", "name", "level", "parent", "is_key", "insurance_mandatory"]


class EnterpriseSerializer(ScopedSerializer):
    town_name = serializers.CharField(source="town.name", read_only=True)
    industry_name = serializers.CharField(source="industry.name", read_only=True)

    class Meta:
        model = m.Enterprise
        fields = ["id", *m.Enterprise.FIELDS, "town_name", "industry_name", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class AgencySerializer(ScopedSerializer):
    service_types = serializers.ListField(child=serializers.ChoiceField(choices=ServiceType.choices), min_length=1)
    qualification_state = serializers.CharField(read_only=True)

    class Meta:
        model = m.Agency
        fields = [
            "id",
            "credit_code",
            "name",
            "address",
            "service_types",
            "is_local",
            "contact_person",
            "contact_phone",
            "is_active",
            "qualification_state",
        ]


class AgencyQualificationSerializer(ScopedSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = m.AgencyQualification
        fields = [
            "id",
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
        ]


class AgencyStaffSerializer(ScopedSerializer):
    class Meta:
        model = m.AgencyStaff
        fields = [
            "id",
            "agency",
            "name",
            "id_number",
            "phone",
            "title",
            "is_registered_engineer",
            "engineer_certificate_no",
            "engineer_certificate_valid_until",
            "other_certificates",
            "is_active",
            "left_on",
            "certificate_verified",
            "certificate_verified_until",
        ]


class ExpertSerializer(ScopedSerializer):
    class Meta:
        model = m.Expert
        fields = [
            "id",
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
        ]


class InsurerSerializer(ScopedSerializer):
    class Meta:
        model = m.Insurer
        fields = ["id", "credit_code", "name", "address", "contact_person", "contact_phone"]


class AssociationSerializer(ScopedSerializer):
    class Meta:
        model = m.Association
        fields = ["id", "credit_code", "name", "industry", "contact_person", "contact_phone", "members"]


def _viewset(model, serializer, filterset, select_related=(), ordering=("id",)):
    return type(
        f"{model.__name__}ViewSet",
        (ScopedModelViewSet,),
        {
            "model": model,
            "queryset": model.objects.none(),
            "serializer_class": serializer,
            "filterset_class": filterset,
            "select_related": select_related,
            "ordering": ordering,
            "ordering_fields": ["id", "name"] if hasattr(model, "name") else ["id"],
            "__doc__": f"{model._meta.verbose_name}: only the rows the caller may see.",
        },
    )


class LeaveSerializer(serializers.Serializer):
    left_on = serializers.DateField(required=False, allow_null=True)


class ConfirmMixin:
    @extend_schema(request=None, responses={200: None, **ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """县局核验: the county confirms the certificate or qualification as entered."""
        obj = get_visible_or_404(self.model, request.user, "change", pk=pk)
        obj = actions.confirm_certificate(actor=request.user, instance=obj)
        return Response(self.get_serializer(obj).data)


AgencyStaffViewSet = _viewset(m.AgencyStaff, AgencyStaffSerializer, filters.AgencyStaffFilterSet)


class AgencyStaffActions(ConfirmMixin, AgencyStaffViewSet):
    """机构人员. People named on visits or contracts are never deleted (409): they leave (`deactivate`)."""

    @extend_schema(request=LeaveSerializer, responses={200: AgencyStaffSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        staff = get_visible_or_404(m.AgencyStaff, request.user, "change", pk=pk)
        s = LeaveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        staff = actions.staff_deactivate(actor=request.user, staff=staff, left_on=s.validated_data.get("left_on"))
        return Response(self.get_serializer(staff).data)


class AgencyQualificationActions(
    ConfirmMixin,
    _viewset(m.AgencyQualification, AgencyQualificationSerializer, filters.AgencyQualificationFilterSet),
):
    """机构资质. A qualification the agency enters or changes counts only once the county confirms it."""


router = routers.DefaultRouter()
router.register("towns", _viewset(m.Town, TownSerializer, filters.TownFilterSet, ordering=("sort_order",)))
router.register("villages", _viewset(m.Village, VillageSerializer, filters.VillageFilterSet))
router.register("industries", _viewset(m.Industry, IndustrySerializer, filters.IndustryFilterSet, ordering=("code",)))
router.register(
    "enterprises",
    _viewset(m.Enterprise, EnterpriseSerializer, filters.EnterpriseFilterSet, ("town", "industry"), ("name", "id")),
)
router.register("agencies", _viewset(m.Agency, AgencySerializer, filters.AgencyFilterSet, ordering=("name", "id")))
router.register("agency-qualifications", AgencyQualificationActions)
router.register("agency-staff", AgencyStaffActions)
router.register("experts", _viewset(m.Expert, ExpertSerializer, filters.ExpertFilterSet))
router.register("insurers", _viewset(m.Insurer, InsurerSerializer, filters.InsurerFilterSet))
router.register("associations", _viewset(m.Association, AssociationSerializer, filters.AssociationFilterSet))
