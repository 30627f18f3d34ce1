from rest_framework import routers, serializers

from safeserve.core.api import ScopedModelViewSet, ScopedSerializer

from . import filters
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
        fields = [
            "id",
            "credit_code",
            "name",
            "address",
            "town",
            "town_name",
            "village",
            "industry",
            "industry_name",
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
            "created_at",
            "updated_at",
        ]
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
        fields = ["id", "agency", "name", "number", "issuer", "scope", "valid_until", "status"]


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


router = routers.DefaultRouter()
router.register("towns", _viewset(m.Town, TownSerializer, filters.TownFilterSet, ordering=("sort_order",)))
router.register("villages", _viewset(m.Village, VillageSerializer, filters.VillageFilterSet))
router.register("industries", _viewset(m.Industry, IndustrySerializer, filters.IndustryFilterSet, ordering=("code",)))
router.register(
    "enterprises",
    _viewset(m.Enterprise, EnterpriseSerializer, filters.EnterpriseFilterSet, ("town", "industry"), ("name", "id")),
)
router.register("agencies", _viewset(m.Agency, AgencySerializer, filters.AgencyFilterSet, ordering=("name", "id")))
router.register(
    "agency-qualifications",
    _viewset(m.AgencyQualification, AgencyQualificationSerializer, filters.AgencyQualificationFilterSet),
)
router.register("agency-staff", _viewset(m.AgencyStaff, AgencyStaffSerializer, filters.AgencyStaffFilterSet))
router.register("experts", _viewset(m.Expert, ExpertSerializer, filters.ExpertFilterSet))
router.register("insurers", _viewset(m.Insurer, InsurerSerializer, filters.InsurerFilterSet))
router.register("associations", _viewset(m.Association, AssociationSerializer, filters.AssociationFilterSet))
