"""Read-only API of reports: substance only. The reporter's identity, the tracking code and the
password hash are not fields of the serializer, for anyone (handlers read identity on the page)."""

from rest_framework import serializers, viewsets
from rest_framework.routers import DefaultRouter

from .models import Tipoff


class TipoffSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)

    class Meta:
        model = Tipoff
        fields = [
            "id",
            "number",
            "subject_kind",
            "enterprise",
            "agency",
            "unit_name",
            "unit_address",
            "town",
            "category",
            "description",
            "state",
            "filed_at",
            "accepted_at",
            "deadline",
            "extension_reason",
            "assigned_town",
            "finding",
            "result",
            "closed_at",
        ]
        read_only_fields = fields


class TipoffViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TipoffSerializer
    queryset = Tipoff.objects.none()

    def get_queryset(self):
        return Tipoff.objects.visible_to(self.request.user).order_by("-filed_at", "-id")


router = DefaultRouter()
router.register("tipoffs", TipoffViewSet, basename="tipoff")
