"""Read-only API of assessment results: the sheets a user may see (the county every one, a town its
own), each with its scores, frozen figures and the number of records behind them. Writes are pages."""

from rest_framework import mixins, routers, serializers, viewsets

from .models import Score, Sheet


class ScoreSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.name")
    weight = serializers.DecimalField(source="indicator.weight", max_digits=5, decimal_places=2)
    source = serializers.CharField(source="indicator.source")
    final = serializers.DecimalField(max_digits=7, decimal_places=2)
    record_count = serializers.IntegerField()

    class Meta:
        model = Score
        fields = [
            "id",
            "indicator",
            "weight",
            "source",
            "value",
            "numerator",
            "denominator",
            "computed",
            "adjusted",
            "adjust_reason",
            "final",
            "vetoes",
            "record_count",
        ]
        read_only_fields = fields


class SheetSerializer(serializers.ModelSerializer):
    assessment_title = serializers.CharField(source="assessment.title")
    state = serializers.CharField(source="assessment.state")
    cut_off = serializers.DateField(source="assessment.cut_off")
    scores = ScoreSerializer(many=True)

    class Meta:
        model = Sheet
        fields = [
            "id",
            "assessment",
            "assessment_title",
            "state",
            "cut_off",
            "subject_id",
            "subject_label",
            "total",
            "vetoed",
            "rank",
            "grade",
            "scores",
        ]
        read_only_fields = fields


class SheetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """考核表 (read only); ``?assessment=<id>`` narrows to one assessment."""

    queryset = Sheet.objects.none()
    serializer_class = SheetSerializer
    filterset_fields = ["assessment"]

    def get_queryset(self):
        return (
            Sheet.objects.visible_to(self.request.user)
            .select_related("assessment")
            .prefetch_related("scores__indicator")
            .order_by("-assessment_id", "rank", "id")
        )


router = routers.DefaultRouter()
router.register("sheets", SheetViewSet, basename="assessment-sheet")
