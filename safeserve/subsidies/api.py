"""Read-only REST API of the subsidies app: policies and applications, scoped as the pages are
(a town its own, an enterprise its own applications and its town's published policies).
Applications are made, decided and paid on the pages, where the forms check them."""

from rest_framework import mixins, routers, viewsets

from safeserve.core.api import ScopedSerializer

from . import filters, queries
from .models import SubsidyApplication, SubsidyPolicy


class SubsidyPolicySerializer(ScopedSerializer):
    class Meta:
        model = SubsidyPolicy
        fields = ["id", *SubsidyPolicy.FIELDS]
        read_only_fields = fields


class ApplicationSerializer(ScopedSerializer):
    class Meta:
        model = SubsidyApplication
        fields = ["id", *SubsidyApplication.FIELDS]
        read_only_fields = fields


class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务补贴政策 (read only)."""

    queryset = SubsidyPolicy.objects.none()
    serializer_class = SubsidyPolicySerializer
    filterset_class = filters.PolicyFilterSet

    def get_queryset(self):
        return queries.policies(self.request.user).order_by("-year", "town__code", "id")


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """服务补贴申请 (read only): without the invoice file, which only its page serves."""

    queryset = SubsidyApplication.objects.none()
    serializer_class = ApplicationSerializer
    filterset_class = filters.ApplicationFilterSet

    def get_queryset(self):
        return queries.applications(self.request.user).order_by("-submitted_at", "-id")


router = routers.DefaultRouter()
router.register("policies", PolicyViewSet, basename="subsidypolicy")
router.register("applications", ApplicationViewSet, basename="subsidyapplication")
