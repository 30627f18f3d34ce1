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

from . import actions, filters
from .models import Complaint, Policy

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
