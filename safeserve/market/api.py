"""REST API of the marketplace: the needs, as an agency may see them.

One serializer for every caller, so the schema itself shows that no private field of an enterprise
(credit code, address, contacts) is ever part of a need: ``enterprise_name`` is filled only when
the enterprise published it (or for its own users and the county and town officers)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, routers, serializers, viewsets

from safeserve.core.drf import BoundedModelSerializer

from .models import Need, QuoteStatus

PUBLIC_FIELDS = [
    "id", "service_types", "scope", "visits_per_year", "start_date", "end_date", "budget_min", "budget_max",
    "town", "industry", "size_class", "enterprise_name", "status", "created_at",
]  # fmt: skip


class NeedSerializer(BoundedModelSerializer):
    town = serializers.CharField(source="town.name", read_only=True)
    industry = serializers.CharField(source="industry.name", read_only=True)
    enterprise_name = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields = PUBLIC_FIELDS
        read_only_fields = PUBLIC_FIELDS

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_enterprise_name(self, need):
        user = self.context["request"].user
        if user.role != "agency" or need.show_name:
            return need.enterprise.name
        won = need.quotes.filter(agency_id=user.agency_id, status=QuoteStatus.ACCEPTED).exists()
        return need.enterprise.name if won else None


class NeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务需求 (read-only): an agency lists the open needs it may quote for (Need.scope_q)."""

    queryset = Need.objects.none()
    serializer_class = NeedSerializer

    def get_queryset(self):
        return (
            Need.objects.visible_to(self.request.user)
            .select_related("town", "industry", "enterprise")
            .order_by("-created_at", "-id")
        )


router = routers.DefaultRouter()
router.register("needs", NeedViewSet, basename="market-need")
