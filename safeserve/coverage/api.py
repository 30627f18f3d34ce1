"""Coverage API: the figures by area as of a date, the work list, and the targets (county edits)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, routers, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from safeserve.core.api import ERRORS, ScopedModelViewSet, ScopedSerializer
from safeserve.core.drf import BoundedModelSerializer, BoundedSerializer
from safeserve.registry.models import Enterprise

from . import filters, forms, queries
from .models import CoverageTarget


class MayViewCoverage(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("coverage.view_coverage"))


AREA_PARAMS = [
    OpenApiParameter("as_of", str, description="统计日期 YYYY-MM-DD（默认今天，不得晚于今天）"),
    OpenApiParameter("town", int, description="镇（街道）id；留空为全县（镇街用户默认本镇）"),
    OpenApiParameter("village", int, description="村（社区）id"),
]


def _form(form_class, request):
    form = form_class(request.query_params, user=request.user)
    if not form.is_valid():
        raise ValidationError({k: [e["message"] for e in v] for k, v in form.errors.get_json_data().items()})
    return form


def _area(request, d):
    return queries.area_for(
        request.user,
        town_id=d["town"].pk if d.get("town") else None,
        village_id=d["village"].pk if d.get("village") else None,
    )


class FigureSerializer(BoundedSerializer):
    code = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField(help_text="范围内企业数")
    covered = serializers.IntegerField(help_text="参与企业数")
    value = serializers.FloatField(allow_null=True, help_text="覆盖率（%）")
    target = serializers.FloatField(help_text="目标覆盖率（%）")
    gap = serializers.IntegerField(help_text="距目标还差的企业数")


class RowSerializer(BoundedSerializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    figures = FigureSerializer(many=True)


class CoverageSerializer(BoundedSerializer):
    area = serializers.CharField()
    level = serializers.CharField()
    as_of = serializers.DateField()
    channels = serializers.ListField(child=serializers.CharField())
    figures = FigureSerializer(many=True)
    rows = RowSerializer(many=True)


class CoverageViewSet(viewsets.ViewSet):
    """覆盖率：某区域在某日的各项目标完成情况，及其下级（镇街或村社区）的分项。"""

    permission_classes = [MayViewCoverage]

    @extend_schema(parameters=AREA_PARAMS, responses={200: CoverageSerializer, **ERRORS})
    def list(self, request):
        d = _form(forms.CoverageForm, request).cleaned_data
        data = queries.coverage(_area(request, d), d["as_of"])
        return Response(
            {
                "area": data["area"].name,
                "level": data["area"].level,
                "as_of": d["as_of"],
                "channels": queries.channel_labels(),
                "figures": [f.as_dict() for f in data["figures"]],
                "rows": [
                    {"id": r.id, "name": r.name, "figures": [f.as_dict() for f in r.figures]} for r in data["rows"]
                ],
            }
        )


class WorkListEnterpriseSerializer(BoundedModelSerializer):
    town = serializers.CharField(source="town.name")
    village = serializers.CharField(source="village.name", allow_null=True, default=None)
    industry = serializers.CharField(source="industry.name")

    class Meta:
        model = Enterprise
        fields = ["id", "name", "credit_code", "town", "village", "industry", "risk_level", "is_village_small"]


class WorkListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """未参与企业清单：在统计日期没有任何计入渠道的企业（可按镇街、村社区、行业、重点行业、村级小微、风险等级筛选）。"""

    permission_classes = [MayViewCoverage]
    serializer_class = WorkListEnterpriseSerializer
    queryset = Enterprise.objects.none()

    def get_queryset(self):
        form = _form(forms.WorkListForm, self.request)
        qs = queries.work_list(self.request.user, form.cleaned_data["as_of"], **form.filters())
        return qs.select_related("town", "village", "industry")

    @extend_schema(
        parameters=[
            *AREA_PARAMS,
            OpenApiParameter("industry", int, description="行业 id（门类包括其下各大类）"),
            OpenApiParameter("key_industry", str, description="重点行业：1 是，0 否"),
            OpenApiParameter("village_small", str, description="村级小微企业：1 是，0 否"),
            OpenApiParameter("risk_level", str, description="风险等级：red/orange/yellow/blue"),
        ]
    )
    def list(self, request, *args, **kwargs):
        if not request.user.has_perm("coverage.view_coverage"):
            raise PermissionDenied(_("无权限"))
        return super().list(request, *args, **kwargs)


class TargetSerializer(ScopedSerializer):
    class Meta:
        model = CoverageTarget
        fields = ["id", *CoverageTarget.FIELDS]


class TargetViewSet(ScopedModelViewSet):
    """覆盖率目标（按年度，可按镇街）：县局维护，镇街只读本镇及全县目标。"""

    model = CoverageTarget
    queryset = CoverageTarget.objects.none()
    serializer_class = TargetSerializer
    filterset_class = filters.TargetFilterSet
    select_related = ("town",)
    ordering = ("-year", "kind", "code", "id")


router = routers.DefaultRouter()
router.register("figures", CoverageViewSet, basename="coverage-figures")
router.register("work-list", WorkListViewSet, basename="coverage-worklist")
router.register("targets", TargetViewSet)
