"""REST API of the services app: contracts, checklists, visits (with photos) and ratings."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from safeserve.core.api import (
    ERRORS,
    ScopedModelViewSet,
    ScopedPrimaryKeyRelatedField,
    ScopedSerializer,
    image_list_field,
)
from safeserve.core.drf import BoundedModelSerializer, BoundedSerializer, JSONParser
from safeserve.core.scoping import get_visible_or_404
from safeserve.core.uploads import photo_evidence
from safeserve.registry.models import AgencyStaff, Enterprise

from . import actions, filters, transitions
from .choices import ItemResult, ServiceItem
from .models import ChecklistItem, ChecklistTemplate, ServiceContract, ServiceVisit, VisitRating


class ContractSerializer(ScopedSerializer):
    items = serializers.ListField(child=serializers.ChoiceField(choices=ServiceItem.choices), min_length=1)
    # Lists (and accepts) only the enterprises the caller may see; see core.api.VisibleManyRelatedField.
    enterprises = ScopedPrimaryKeyRelatedField(many=True, queryset=Enterprise.objects.all())
    # Declared: DRF makes a relation with an explicit through model (ContractStaff) read-only.
    staff = ScopedPrimaryKeyRelatedField(many=True, queryset=AgencyStaff.objects.all(), required=False)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ServiceContract
        fields = ["id", *ServiceContract.FIELDS]
        read_only_fields = ["terminated_on"]


class TransitionSerializer(BoundedSerializer):
    action = serializers.ChoiceField(choices=list(transitions.ACTIONS))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ContractViewSet(ScopedModelViewSet):
    """服务合同. Created as drafts; only drafts can be edited or deleted; `transition` moves the state."""

    model = ServiceContract
    queryset = ServiceContract.objects.none()
    serializer_class = ContractSerializer
    filterset_class = filters.ContractFilterSet
    select_related = ("agency", "payer_town")
    ordering = ("-start_date", "-id")
    ordering_fields = ["id", "start_date", "end_date", "fee"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("enterprises", "staff")

    @extend_schema(request=TransitionSerializer, responses={200: ContractSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def transition(self, request, pk=None):
        contract = get_visible_or_404(ServiceContract, request.user, "view", pk=pk)
        s = TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        contract = actions.contract_transition(actor=request.user, contract=contract, **s.validated_data)
        return Response(ContractSerializer(contract, context={"request": request}).data)


class ChecklistItemSerializer(ScopedSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", *ChecklistItem.FIELDS]


class ChecklistTemplateSerializer(ScopedSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = ChecklistTemplate
        fields = ["id", *ChecklistTemplate.FIELDS, "items"]


class ChecklistTemplateViewSet(ScopedModelViewSet):
    """检查表模板 with their items (county maintains them)."""

    model = ChecklistTemplate
    queryset = ChecklistTemplate.objects.none()
    serializer_class = ChecklistTemplateSerializer
    filterset_class = filters.ChecklistTemplateFilterSet
    ordering = ("name",)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("items")


class ChecklistItemViewSet(ScopedModelViewSet):
    model = ChecklistItem
    queryset = ChecklistItem.objects.none()
    serializer_class = ChecklistItemSerializer
    filterset_fields = ["template"]
    ordering = ("template", "order", "id")


class ResultSerializer(BoundedSerializer):
    item = serializers.IntegerField()
    result = serializers.ChoiceField(choices=ItemResult.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class VisitSerializer(BoundedModelSerializer):
    serializer_related_field = ScopedPrimaryKeyRelatedField  # staff: only those the caller may see

    results = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()

    class Meta:
        model = ServiceVisit
        fields = [
            "id",
            "agency",
            "contract",
            "enterprise",
            "visited_at",
            "staff",
            "template",
            "findings",
            "signed_by",
            "signed_at",
            "seq",
            "prev_hash",
            "content_hash",
            "results",
            "photos",
            "rating",
        ]
        read_only_fields = fields

    def get_results(self, obj) -> list[dict]:
        return [{"item": r.item_id, "result": r.result, "note": r.note} for r in obj.results.all()]

    def get_photos(self, obj) -> list[dict]:
        return [{"id": p.pk, "sha256": p.sha256, "name": p.name, **photo_evidence(p)} for p in obj.photos.all()]

    def get_rating(self, obj) -> dict | None:
        r = getattr(obj, "rating", None)
        return {"score": r.score, "comment": r.comment} if r else None


class VisitCreateSerializer(BoundedSerializer):
    contract = serializers.IntegerField()
    enterprise = serializers.IntegerField()
    visited_at = serializers.DateTimeField()
    staff = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    template = serializers.IntegerField(required=False, allow_null=True)
    results = ResultSerializer(many=True, required=False)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    signed_by = serializers.CharField(required=False, allow_blank=True, default="")
    photos = image_list_field(required=False)


class RatingSerializer(BoundedSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务记录: read, record (multipart with photos, or JSON), rate. Records are never edited."""

    queryset = ServiceVisit.objects.none()
    serializer_class = VisitSerializer
    filterset_class = filters.VisitFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return (
            ServiceVisit.objects.visible_to(self.request.user)
            .select_related("rating")
            .prefetch_related("staff", "results", "photos")
            .order_by("-visited_at", "-id")
        )

    @extend_schema(
        request={"multipart/form-data": VisitCreateSerializer, "application/json": VisitCreateSerializer},
        responses={201: VisitSerializer, **ERRORS},
    )
    def create(self, request):
        s = VisitCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        user = request.user
        contract = get_visible_or_404(ServiceContract, user, "view", pk=d["contract"])
        enterprise = get_visible_or_404(Enterprise, user, "view", pk=d["enterprise"])
        staff = list(AgencyStaff.objects.visible_to(user).filter(pk__in=d["staff"]))
        if len(staff) != len(set(d["staff"])):
            raise serializers.ValidationError({"staff": ["到场人员不存在或不属于本机构"]})
        template = None
        if d.get("template"):
            template = get_object_or_404(ChecklistTemplate.objects.visible_to(user), pk=d["template"])
        results = {r["item"]: (r["result"], r["note"]) for r in d.get("results", [])}
        visit = actions.visit_record(
            actor=user,
            contract=contract,
            enterprise=enterprise,
            visited_at=d["visited_at"],
            staff=staff,
            template=template,
            results=results,
            findings=d["findings"],
            signed_by=d["signed_by"],
            photos=d.get("photos", []),
        )
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(VisitSerializer(visit, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RatingSerializer,
        responses={200: inline_serializer("Rated", {"score": serializers.IntegerField()}), **ERRORS},
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated])
    def rate(self, request, pk=None):
        visit = get_visible_or_404(ServiceVisit, request.user, "view", pk=pk)
        s = RatingSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        r = actions.visit_rate(actor=request.user, visit=visit, **s.validated_data)
        return Response({"score": r.score})


class RatingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    queryset = VisitRating.objects.none()

    class _S(BoundedModelSerializer):
        class Meta:
            model = VisitRating
            fields = ["id", "visit", "agency", "score", "comment"]

    serializer_class = _S

    def get_queryset(self):
        return VisitRating.objects.visible_to(self.request.user).order_by("-id")


router = routers.DefaultRouter()
router.register("contracts", ContractViewSet)
router.register("checklist-templates", ChecklistTemplateViewSet)
router.register("checklist-items", ChecklistItemViewSet)
router.register("visits", VisitViewSet, basename="servicevisit")
router.register("ratings", RatingViewSet, basename="visitrating")
