"""REST API of the experts app (read only): requests and jobs, through the same scoping as the pages.
Answers, findings, opinions and ratings are written on the pages (experts.actions)."""

from rest_framework import mixins, routers, serializers, viewsets

from . import filters
from .models import ExpertRequest, Invitation


class RequestSerializer(serializers.ModelSerializer):
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    draw_number = serializers.CharField(source="draw.number", read_only=True, default="")

    class Meta:
        model = ExpertRequest
        fields = ["id", "purpose", "purpose_label", "title", "places", "reserves", "work_date", "status", "draw_number"]
        read_only_fields = fields


class JobSerializer(serializers.ModelSerializer):
    """An invitation (a job once accepted). The expert appears by name only."""

    expert_name = serializers.CharField(source="expert.name", read_only=True)
    request_title = serializers.CharField(source="request.title", read_only=True)
    work_date = serializers.DateField(source="request.work_date", read_only=True)
    draw_number = serializers.CharField(source="draw.number", read_only=True)

    class Meta:
        model = Invitation
        fields = [
            "id",
            "request",
            "request_title",
            "work_date",
            "expert_name",
            "draw_number",
            "rank",
            "is_reserve",
            "state",
            "deadline",
            "answered_at",
            "finished_at",
        ]
        read_only_fields = fields


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """专家抽取申请: the county all; a town those it made or about its enterprises."""

    queryset = ExpertRequest.objects.none()
    serializer_class = RequestSerializer
    filterset_class = filters.RequestFilterSet

    def get_queryset(self):
        return ExpertRequest.objects.visible_to(self.request.user).select_related("draw").order_by("-work_date", "-id")


class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """专家任务: an expert their own; a town those of its requests; an enterprise accepted jobs about itself."""

    queryset = Invitation.objects.none()
    serializer_class = JobSerializer
    filterset_class = filters.JobFilterSet

    def get_queryset(self):
        return (
            Invitation.objects.visible_to(self.request.user)
            .select_related("request", "expert", "draw")
            .order_by("-request__work_date", "-id")
        )


router = routers.DefaultRouter()
router.include_root_view = False
router.register("requests", RequestViewSet, basename="expertrequest")
router.register("jobs", JobViewSet, basename="expertjob")
