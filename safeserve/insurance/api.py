"""REST API of the insurance app, for insurers' own systems.

- ``GET /api/v1/insurance/policies/``: the policies the caller may see (an insurer its own).
- ``POST /api/v1/insurance/policies/bulk/``: ``{"policies": [{"number", "credit_code", "start_date",
  "end_date", "premium", "premium_collected", "limit_per_person", "limit_per_accident",
  "employees_covered", "prevention_share"?, "status"? (有效/已退保), "note"?}, ...]}`` creates or
  updates the caller's policies by number, all or none. Sending the same batch again changes
  nothing (idempotent). Only insurer staff may call it, and only for their own insurer.
- ``GET /api/v1/insurance/complaints/`` (and ``<id>/``): complaints about prevention services, scoped
  like the pages (an insurer its own policies', the insured its own, a town its enterprises', the
  county all); filters ``state`` (open/answered), ``overdue``, ``policy``, ``needs_checking``.
- ``GET /api/v1/insurance/expert-visits/`` (and ``<id>/``): the experts' prevention visits (专家事故预防
  服务记录), scoped like the pages (the expert its own, the insurer its policies', the insured its own,
  a town its enterprises', the county all), with results, photo hashes and hazard ids.
- ``POST /api/v1/insurance/expert-visits/``: ``{"plan", "visited_at", "template", "results": [{"item",
  "result", "note"?}], "findings"?, "latitude"?, "longitude"?}`` records one (the plan's expert, or
  the insurer's staff on its behalf) through the same action as the phone form.
- ``POST /api/v1/insurance/complaints/``: ``{"policy", "received_on", "complainant", "content",
  "needs_checking"?}`` files a complaint through the same action as the page (the insured about its
  own policy, the insurer about its own); the answer deadline is computed, never sent.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from safeserve.core.api import ERRORS, ScopedSerializer
from safeserve.services.models import ChecklistTemplate

from . import actions, filters, queries
from .models import Complaint, Policy, PreventionPlan, PreventionVisit

MAX_BATCH = 2000


class PolicySerializer(ScopedSerializer):
    credit_code = serializers.CharField(source="enterprise.credit_code", read_only=True)
    valid_today = serializers.SerializerMethodField()

    class Meta:
        model = Policy
        fields = ["id", *Policy.FIELDS, "credit_code", "valid_today"]
        read_only_fields = fields

    def get_valid_today(self, obj) -> bool:
        from django.utils import timezone

        return obj.valid_on(timezone.localdate())


class BulkSerializer(serializers.Serializer):
    policies = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=MAX_BATCH)


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """安责险保单: read the caller's policies; insurers upsert theirs in bulk (``bulk/``)."""

    queryset = Policy.objects.none()
    serializer_class = PolicySerializer

    def get_queryset(self):
        return Policy.objects.visible_to(self.request.user).select_related("insurer", "enterprise").order_by("id")

    @action(detail=False, methods=["post"], serializer_class=BulkSerializer)
    def bulk(self, request):
        user = request.user
        if getattr(user, "role", None) != "insurer" or not user.has_perm("insurance.add_policy"):
            raise ApiPermissionDenied(_("只有保险机构人员可以登记保单"))
        body = BulkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = [
            (i, [row.get(key) if not isinstance(row.get(key), dict | list) else "" for key in actions.KEYS])
            for i, row in enumerate(body.validated_data["policies"], start=1)
        ]
        rows, errors = actions.validate_rows(user, raw)
        if errors:
            return Response(
                {"errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            result = actions.upsert_policies(actor=user, rows=rows, note=_("保险机构系统接口"))
        except PermissionDenied as exc:
            raise ApiPermissionDenied(str(exc)) from None
        except ValidationError as exc:
            return Response({"errors": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "created": [p.number for p in result.created],
                "updated": [p.number for p in result.updated],
                "unchanged": [p.number for p in result.unchanged],
            }
        )


class InsuranceComplaintSerializer(ScopedSerializer):
    policy_number = serializers.CharField(source="policy.number", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = ["id", *Complaint.FIELDS, "policy_number", "overdue"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.overdue_on(timezone.localdate())


class InsuranceComplaintFileSerializer(ScopedSerializer):
    """What a complainant sends; the policy is offered among those the caller may see."""

    class Meta:
        model = Complaint
        fields = ["policy", "received_on", "complainant", "content", "needs_checking"]


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """事故预防服务投诉: read the complaints the caller may see; the insured (or the insurer) files one."""

    queryset = Complaint.objects.none()
    serializer_class = InsuranceComplaintSerializer
    filterset_class = filters.ComplaintFilterSet

    def get_queryset(self):
        return Complaint.objects.visible_to(self.request.user).select_related("policy").order_by("-received_on", "-id")

    @extend_schema(request=InsuranceComplaintFileSerializer, responses={201: InsuranceComplaintSerializer, **ERRORS})
    def create(self, request):
        body = InsuranceComplaintFileSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        # Django's ValidationError / PermissionDenied become 400 / 403 in core.drf.exception_handler.
        complaint = actions.complaint_file(actor=request.user, data=dict(body.validated_data))
        out = self.get_queryset().get(pk=complaint.pk)
        return Response(InsuranceComplaintSerializer(out, context=self.get_serializer_context()).data, status=201)


router = routers.DefaultRouter()
router.register("policies", PolicyViewSet, basename="policy")
router.register("complaints", ComplaintViewSet, basename="complaint")


# ---- appointments (AQ 9010 advance confirmation)


class InsuranceAppointmentSerializer(ScopedSerializer):
    policy_number = serializers.CharField(source="plan.policy.number", read_only=True)
    enterprise = serializers.IntegerField(source="plan.policy.enterprise_id", read_only=True)
    visited = serializers.BooleanField(read_only=True)

    class Meta:
        from .models import Appointment

        model = Appointment
        fields = ["id", *Appointment.FIELDS, "policy_number", "enterprise", "visited"]
        read_only_fields = fields


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """事故预防服务预约 (read only): scoped like the plans, and the plan's agency sees its own plans'."""

    serializer_class = InsuranceAppointmentSerializer

    def get_queryset(self):
        from . import queries

        return queries.appointments(self.request.user).order_by("id")


router.register("appointments", AppointmentViewSet, basename="insurance-appointment")


# ---- expert prevention visits (AQ 9010: a plan served by an expert)


class InsurancePreventionVisitSerializer(ScopedSerializer):
    """专家事故预防服务记录 as read: the record, its checklist results, photo hashes and hazard ids."""

    policy_number = serializers.CharField(source="plan.policy.number", read_only=True)
    results = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    hazards = serializers.SerializerMethodField()

    class Meta:
        model = PreventionVisit
        fields = ["id", *PreventionVisit.FIELDS, "policy_number", "results", "photos", "hazards"]
        read_only_fields = fields

    def get_results(self, obj) -> list[dict]:
        return [{"item": r.item_id, "result": r.result, "note": r.note} for r in obj.results.all()]

    def get_photos(self, obj) -> list[str]:
        return [p.sha256 for p in obj.photos.all()]

    def get_hazards(self, obj) -> list[int]:
        return [h.pk for h in obj.hazards.all()]


class InsurancePreventionVisitResultSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    # ok / problem / na (services ItemResult), checked by the action: a plain string here, so that the
    # schema does not mint a second enum named "result" beside the agencies' visit results.
    result = serializers.CharField(max_length=10, help_text="ok（符合）/ problem（存在问题）/ na（不适用）")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class InsurancePreventionVisitRecordSerializer(serializers.Serializer):
    """What the expert (or the insurer on its behalf) sends; photos go through the page's form."""

    plan = serializers.IntegerField(min_value=1)
    visited_at = serializers.DateTimeField()
    template = serializers.IntegerField(min_value=1)
    results = InsurancePreventionVisitResultSerializer(many=True, max_length=500)
    findings = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, min_value=-180, max_value=180)


class PreventionVisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """专家事故预防服务记录: read those the caller may see (scoped like the pages); the plan's expert (or
    the insurer's staff on its behalf) records one through the same action as the phone form."""

    serializer_class = InsurancePreventionVisitSerializer

    def get_queryset(self):
        return (
            queries.prevention_visits(self.request.user).prefetch_related("results", "photos", "hazards").order_by("id")
        )

    @extend_schema(
        request=InsurancePreventionVisitRecordSerializer, responses={201: InsurancePreventionVisitSerializer, **ERRORS}
    )
    def create(self, request):
        body = InsurancePreventionVisitRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        # The action fetches the plan among those the caller may record for: "missing" and "not
        # yours" get the same 403.
        plan = PreventionPlan(pk=d["plan"])
        template = ChecklistTemplate.objects.filter(pk=d["template"]).first()
        if template is None:
            raise ValidationError({"template": _("没有该检查表")})
        visit = actions.prevention_visit_record(
            actor=request.user,
            plan=plan,
            visited_at=d["visited_at"],
            template=template,
            results={r["item"]: (r["result"], r["note"]) for r in d["results"]},
            findings=d["findings"],
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
        )
        out = self.get_queryset().get(pk=visit.pk)
        return Response(self.get_serializer(out).data, status=201)


router.register("expert-visits", PreventionVisitViewSet, basename="insurance-prevention-visit")
