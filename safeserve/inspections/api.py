"""Read-only API of inspection records (writes go through the pages' actions)."""

from rest_framework import mixins, routers, serializers, viewsets

from safeserve.core.drf import BoundedModelSerializer

from .models import Inspection


class InspectionSerializer(BoundedModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "town",
            "kind",
            "case_reason",
            "officer_1",
            "officer_2",
            "inspected_on",
            "items_checked",
            "result",
            "result_summary",
            "hazards",
            "confirmed_at",
            "published_at",
        ]
        read_only_fields = fields


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """监督检查记录 the user may see (county all, a town its own, an enterprise its own)."""

    queryset = Inspection.objects.none()
    serializer_class = InspectionSerializer

    def get_queryset(self):
        return (
            Inspection.objects.visible_to(self.request.user)
            .select_related("enterprise")
            .prefetch_related("hazards")
            .order_by("-inspected_on", "-id")
        )


router = routers.DefaultRouter()
router.register("records", InspectionViewSet, basename="inspection")
