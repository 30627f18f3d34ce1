"""REST API of hazards: list/read, report (with photos), take a step, write the 治理方案, upload evidence."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from safeserve.core.api import ERRORS, ScopedModelViewSet, image_list_field
from safeserve.core.drf import BoundedModelSerializer, BoundedSerializer, JSONParser
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import photo_evidence
from safeserve.registry.models import Agency
from safeserve.services.models import ServiceVisit

from . import actions, filters, queries, transitions
from .choices import HazardLevel, HazardSource
from .models import Hazard, HazardExtension, IssuedNotice, MajorHazardCriterion, RemediationPlan


class HazardSerializer(BoundedModelSerializer):
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    overdue_days = serializers.IntegerField(read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    photos = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "town",
            "agency",
            "visit",
            "source",
            "level",
            "criterion",
            "location",
            "description",
            "responsible_person",
            "deadline",
            "state",
            "overdue",
            "overdue_days",
            "supervised",
            "acceptor_agency",
            "reported_at",
            "closed_at",
            "photos",
            "events",
        ]
        read_only_fields = fields

    def get_photos(self, obj) -> list[dict]:
        return [{"id": p.pk, "stage": p.stage, "sha256": p.sha256, **photo_evidence(p)} for p in obj.photos.all()]

    def get_events(self, obj) -> list[dict]:
        return [
            {
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "actor": e.actor_name,
                "at": e.at,
                "note": e.note,
            }
            for e in obj.events.all()
        ]


class HazardReportSerializer(BoundedSerializer):
    enterprise = serializers.IntegerField(required=False)
    visit = serializers.IntegerField(required=False)
    source = serializers.ChoiceField(choices=HazardSource.choices, required=False)
    level = serializers.ChoiceField(choices=HazardLevel.choices, default=HazardLevel.GENERAL)
    criterion = serializers.IntegerField(required=False, allow_null=True)
    location = serializers.CharField(max_length=200)
    description = serializers.CharField()
    responsible_person = serializers.CharField(max_length=50)
    deadline = serializers.DateField(required=False)
    photos = image_list_field(required=False)


class StepSerializer(BoundedSerializer):
    action = serializers.ChoiceField(choices=[a for a in transitions.ACTIONS if a != "plan"])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    acceptor_agency = serializers.IntegerField(required=False)
    photos = image_list_field(required=False)


class PlanSerializer(BoundedModelSerializer):
    class Meta:
        model = RemediationPlan
        fields = list(RemediationPlan.ELEMENTS)


class EvidenceSerializer(BoundedSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    photos = image_list_field(min_length=1)


class UrgeSerializer(BoundedSerializer):
    message = serializers.CharField(max_length=1000, allow_blank=True)


class ExtensionRequestSerializer(BoundedSerializer):
    requested_deadline = serializers.DateField()
    reason = serializers.CharField(max_length=1000, allow_blank=True)


class ExtensionDecisionSerializer(BoundedSerializer):
    extension = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=list(transitions.EXTENSION_ACTIONS))
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ExtensionSerializer(BoundedModelSerializer):
    class Meta:
        model = HazardExtension
        fields = [
            "id",
            "hazard",
            "previous_deadline",
            "requested_deadline",
            "reason",
            "state",
            "requested_at",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class IssuedNoticeSerializer(BoundedModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = IssuedNotice
        fields = ["id", "number", "kind", "issuer_org", "issuer_name", "issued_on", "sha256", "url"]
        read_only_fields = fields


class HazardViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """隐患. Every step goes through the state table (hazards/transitions.py)."""

    queryset = Hazard.objects.none()
    serializer_class = HazardSerializer
    filterset_class = filters.HazardFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return (
            Hazard.objects.visible_to(self.request.user)
            .select_related("enterprise")
            .prefetch_related("photos", "events")
            .order_by("-reported_at", "-id")
        )

    def _out(self, hazard, code=status.HTTP_200_OK):
        return Response(HazardSerializer(self.get_queryset().get(pk=hazard.pk)).data, status=code)

    @extend_schema(
        request={"multipart/form-data": HazardReportSerializer, "application/json": HazardReportSerializer},
        responses={201: HazardSerializer, **ERRORS},
    )
    def create(self, request):
        s = HazardReportSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = dict(s.validated_data)
        user = request.user
        visit = get_visible_or_404(ServiceVisit, user, pk=d.pop("visit")) if d.get("visit") else None
        enterprise = queries.report_enterprise(user, visit=visit, enterprise=d.pop("enterprise", None))
        criterion = MajorHazardCriterion.objects.filter(pk=d.pop("criterion", None) or 0).first()
        hazard = actions.hazard_report(
            actor=user, enterprise=enterprise, visit=visit, criterion=criterion, photos=d.pop("photos", []), **d
        )
        return self._out(hazard, status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": StepSerializer, "application/json": StepSerializer},
        responses={200: HazardSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def step(self, request, pk=None):
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        s = StepSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        agency = get_visible_or_404(Agency, request.user, pk=d["acceptor_agency"]) if d.get("acceptor_agency") else None
        hazard = actions.hazard_transition(
            actor=request.user,
            hazard=hazard,
            action=d["action"],
            note=d["note"],
            photos=d.get("photos", []),
            acceptor_agency=agency,
        )
        return self._out(hazard)

    @extend_schema(request=PlanSerializer, responses={200: PlanSerializer, **ERRORS})
    @action(detail=True, methods=["put"], permission_classes=[IsAuthenticated])
    def plan(self, request, pk=None):
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        s = PlanSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        plan = actions.hazard_save_plan(actor=request.user, hazard=hazard, **s.validated_data)
        return Response(PlanSerializer(plan).data)

    @extend_schema(request=UrgeSerializer, responses={200: HazardSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def urge(self, request, pk=None):
        """督办/催办 (county: any hazard; town: its own town's)."""
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        s = UrgeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        actions.hazard_urge(actor=request.user, hazard=hazard, message=s.validated_data["message"])
        return self._out(hazard)

    @extend_schema(request=ExtensionRequestSerializer, responses={201: ExtensionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def extension(self, request, pk=None):
        """申请延期 (the enterprise, or its agency on its behalf)."""
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        s = ExtensionRequestSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ext = actions.hazard_request_extension(actor=request.user, hazard=hazard, **s.validated_data)
        return Response(ExtensionSerializer(ext).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ExtensionDecisionSerializer, responses={200: ExtensionSerializer, **ERRORS})
    @action(detail=True, methods=["post"], url_path="extension-decision", permission_classes=[IsAuthenticated])
    def extension_decision(self, request, pk=None):
        """批准/不批准延期 (county: any hazard; town: its own town's)."""
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        s = ExtensionDecisionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        ext = get_visible_or_404(HazardExtension.objects.filter(hazard=hazard), request.user, pk=d["extension"])
        ext = actions.hazard_decide_extension(actor=request.user, extension=ext, decision=d["decision"], note=d["note"])
        return Response(ExtensionSerializer(ext).data)

    @extend_schema(request=None, responses={201: IssuedNoticeSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def notice(self, request, pk=None):
        """签发整改文书: numbered and stored once; download it from ``url``."""
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        notice = actions.hazard_issue_notice(actor=request.user, hazards=[hazard])
        return Response(IssuedNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": EvidenceSerializer}, responses={200: HazardSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def evidence(self, request, pk=None):
        hazard = get_visible_or_404(Hazard, request.user, pk=pk)
        s = EvidenceSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        hazard = actions.hazard_add_evidence(actor=request.user, hazard=hazard, **s.validated_data)
        return self._out(hazard)


class CriterionSerializer(BoundedModelSerializer):
    class Meta:
        model = MajorHazardCriterion
        fields = ["id", *MajorHazardCriterion.FIELDS]


class CriterionViewSet(ScopedModelViewSet):
    model = MajorHazardCriterion
    queryset = MajorHazardCriterion.objects.none()
    serializer_class = CriterionSerializer
    filterset_class = filters.CriterionFilterSet
    ordering = ("code",)


router = routers.DefaultRouter()
router.register("hazards", HazardViewSet, basename="hazard")
router.register("criteria", CriterionViewSet)
