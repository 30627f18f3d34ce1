"""Read-only REST API of the supervision app: practice notices (what the credit app and other
systems read). Notices are filed and decided on the pages, where the form checks them."""

from rest_framework import mixins, routers, serializers, viewsets

from safeserve.core.api import ScopedPrimaryKeyRelatedField, ScopedSerializer
from safeserve.registry.models import AgencyStaff, Enterprise, Town

from . import filters
from .models import PracticeNotice


class NoticeSerializer(ScopedSerializer):
    # The related rows the caller may see, by id (core.api.VisibleManyRelatedField).
    staff = ScopedPrimaryKeyRelatedField(many=True, queryset=AgencyStaff.objects.all(), required=False)
    towns = ScopedPrimaryKeyRelatedField(many=True, queryset=Town.objects.all(), required=False)
    enterprises = ScopedPrimaryKeyRelatedField(many=True, queryset=Enterprise.objects.all(), required=False)
    valid_today = serializers.SerializerMethodField()

    class Meta:
        model = PracticeNotice
        fields = ["id", *PracticeNotice.FIELDS, "valid_today"]
        read_only_fields = fields

    def get_valid_today(self, obj) -> bool:
        from django.utils import timezone

        return obj.valid_on(timezone.localdate())


class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """执业告知 (read only): the notices the caller may see, with whether each is valid today."""

    queryset = PracticeNotice.objects.none()
    serializer_class = NoticeSerializer
    filterset_class = filters.NoticeFilterSet

    def get_queryset(self):
        return (
            PracticeNotice.objects.visible_to(self.request.user)
            .select_related("agency")
            .prefetch_related("staff", "towns", "enterprises")
            .order_by("-start_date", "-id")
        )


router = routers.DefaultRouter()
router.register("notices", NoticeViewSet, basename="practicenotice")
