"""Read-only REST API: the purchase projects the caller may see, with their bids' checks (own only
for a supplier). Projects are written on the pages, where each step has its form and its rules."""

from django.db.models import Prefetch
from rest_framework import mixins, routers, serializers, viewsets

from safeserve.core.api import ScopedSerializer

from . import filters
from .models import Bid, Project


class BidSerializer(ScopedSerializer):
    agency_name = serializers.CharField(source="agency.name", read_only=True)

    class Meta:
        model = Bid
        fields = ["id", "agency", "agency_name", "amount", "score", "submitted_on", "eligible", "checks"]
        read_only_fields = fields


class ProjectSerializer(ScopedSerializer):
    buyer_name = serializers.CharField(read_only=True)
    end_date = serializers.DateField(read_only=True)
    bids = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            *[f for f in Project.FIELDS if f != "awarded_bid"],
            "awarded_bid",
            "buyer_name",
            "end_date",
            "bids",
        ]
        read_only_fields = fields

    def get_bids(self, obj) -> list[dict]:
        # The caller's visible bids, prefetched by the viewset (one query for the page).
        return BidSerializer(getattr(obj, "visible_bids", []), many=True, context=self.context).data


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """政府购买服务项目 (read only): the county all, a town its own, a supplier those it bid on."""

    queryset = Project.objects.none()
    serializer_class = ProjectSerializer
    filterset_class = filters.ProjectFilterSet

    def get_queryset(self):
        return (
            Project.objects.visible_to(self.request.user)
            .select_related("buyer_town", "target_town", "target_industry", "awarded_bid", "contract")
            .prefetch_related(
                Prefetch(
                    "bids",
                    queryset=Bid.objects.visible_to(self.request.user)
                    .select_related("agency")
                    .order_by("amount", "id"),
                    to_attr="visible_bids",
                )
            )
            .order_by("-year", "-id")
        )


router = routers.DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
