"""REST API: the device telemetry door, and scoped devices and alarms for people."""

import base64
import binascii

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, permissions, routers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from safeserve.core.api import ERRORS, ScopedModelViewSet, ScopedSerializer

from . import actions, filters, ingest, queries
from . import models as m
from .choices import DeadLetterReason, Source
from .throttling import TelemetryThrottle

AUTH_REASONS = {DeadLetterReason.UNKNOWN_DEVICE, DeadLetterReason.BAD_SECRET, DeadLetterReason.DISABLED}


class RawParser(BaseParser):
    """The pipeline parses the body itself (so that a malformed one is dead-lettered as sent)."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


def json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, with any parameters (charset)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def device_credentials(request) -> tuple[str, str | None]:
    code = request.headers.get("X-Device-Code", "")
    secret = request.headers.get("X-Device-Secret")
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
            basic_code, _sep, basic_secret = decoded.partition(":")
            code, secret = code or basic_code, secret if secret is not None else basic_secret
        except (binascii.Error, UnicodeDecodeError):
            pass
    return code.strip(), secret


class TelemetryReadingSerializer(serializers.Serializer):
    ts = serializers.IntegerField(required=False, help_text="epoch milliseconds; default: time of receipt")
    values = serializers.DictField(
        child=serializers.JSONField(),
        help_text="residual_ma, t1_c..t4_c, ua_v, ub_v, uc_v, ia_a, ib_a, ic_a, arc; other metrics are kept",
    )


TELEMETRY_RESULT = inline_serializer(
    "TelemetryResult",
    {
        "stored": serializers.IntegerField(),
        "duplicates": serializers.IntegerField(),
        "rejected": serializers.ListField(child=serializers.DictField()),
    },
)
TELEMETRY_ERROR = inline_serializer(
    "TelemetryError", {"error": serializers.CharField(), "detail": serializers.CharField()}
)


class TelemetryView(APIView):
    """Device door: one reading or a batch, authenticated by the device code and secret."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [RawParser]
    # Rate limits are ours (safeserve.iot.throttling): a device's budget counts only requests the
    # pipeline accepted, which DRF throttles (decided before the view runs) cannot know.
    throttle_classes = []

    @extend_schema(
        operation_id="telemetry_post",
        summary="设备上报监测数据（单条或批量）",
        description=(
            "Headers `X-Device-Code` and `X-Device-Secret`, or HTTP Basic `code:secret`. Body: one reading "
            '`{"ts": 1764380000000, "values": {"residual_ma": 120, "t1_c": 41.5}}` or a list of them (≤ 1000). '
            "A redelivered reading (same device and ts) is stored once. Malformed data is kept in the "
            "dead-letter list with its reason. Rate limits: accepted requests per device and minute, refused "
            "requests per client address and minute; over either, 429 with `Retry-After` (seconds) and nothing "
            "is stored. See docs/iot-protocol.md."
        ),
        parameters=[
            OpenApiParameter("X-Device-Code", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("X-Device-Secret", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False),
        ],
        request=TelemetryReadingSerializer,
        responses={
            200: OpenApiResponse(TELEMETRY_RESULT, description="已接收：新存储条数、重复条数、被拒绝的条目及原因"),
            400: OpenApiResponse(
                TELEMETRY_ERROR, description="报文无效（JSON、结构、NaN/Inf、超出物理范围、时间戳），已进入死信"
            ),
            401: OpenApiResponse(TELEMETRY_ERROR, description="设备编码未知、密钥错误或设备已停用"),
            413: OpenApiResponse(TELEMETRY_ERROR, description="报文过大"),
            415: OpenApiResponse(TELEMETRY_ERROR, description="Content-Type 不是 application/json"),
            429: OpenApiResponse(
                TELEMETRY_ERROR,
                description="请求过于频繁（本设备每分钟成功上报次数或本地址每分钟被拒次数超限）；"
                "按 Retry-After 头（秒）等待后重发，本次数据未存储",
            ),
            503: OpenApiResponse(TELEMETRY_ERROR, description="数据库暂不可用，请稍后重发"),
        },
        examples=[
            OpenApiExample("single", value={"ts": 1764380000000, "values": {"residual_ma": 120, "t1_c": 41.5}}),
            OpenApiExample(
                "batch",
                value=[
                    {"ts": 1764380000000, "values": {"residual_ma": 120}},
                    {"ts": 1764380060000, "values": {"residual_ma": 130}},
                ],
            ),
        ],
        auth=[],
        tags=["iot"],
    )
    def post(self, request):
        code, secret = device_credentials(request)
        throttle, ip = TelemetryThrottle(), TelemetryThrottle.client_ident(request)
        wait = throttle.wait(code=code, ip=ip)
        if wait:
            detail = _("请求过于频繁，请 %(seconds)s 秒后重试") % {"seconds": wait}
            return Response({"error": "rate_limited", "detail": detail}, status=429, headers={"Retry-After": str(wait)})
        limit = m.iot_setting("MAX_MESSAGE_BYTES")
        # Read at most one byte past the limit from the stream, whatever Content-Length says (a
        # missing or malformed one reads as 0): an oversized body is refused with 413 unread.
        body = request._request.read(limit + 1)
        msg = ingest.Message(body=body, source=Source.HTTP, device_code=code, secret=secret)
        try:
            if not json_media_type(request.META.get("CONTENT_TYPE", "")):
                detail = _("只接受 application/json 报文")
                ingest.dead_letter(message=msg, reason=DeadLetterReason.MEDIA_TYPE, detail=detail)
                throttle.record(code=code, ip=ip, accepted=False)
                return Response({"error": DeadLetterReason.MEDIA_TYPE, "detail": detail}, status=415)
            result = ingest.ingest([msg])
        except ingest.DB_DOWN:
            return Response({"error": "unavailable", "detail": "database unavailable"}, status=503)
        outcome = result.outcomes[0]
        rejected = [{"reason": r, "detail": d} for r, d in outcome.rejected]
        refused = bool(outcome.rejected and not outcome.stored and not outcome.duplicates)
        throttle.record(code=code, ip=ip, accepted=not refused)
        if refused:
            reason, detail = outcome.rejected[0]
            code_ = (
                401
                if reason in AUTH_REASONS
                else status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
                if reason == DeadLetterReason.OVERSIZED
                else 400
            )
            return Response({"error": reason, "detail": detail, "rejected": rejected}, status=code_)
        return Response({"stored": outcome.stored, "duplicates": outcome.duplicates, "rejected": rejected})


class DeviceSerializer(ScopedSerializer):
    status = serializers.CharField(source="live_status", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = m.Device
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "code",
            "name",
            "place",
            "circuit",
            "device_model",
            "rated_current_a",
            "interval_s",
            "profile",
            "residual_ma",
            "temperature_c",
            "over_voltage_v",
            "under_voltage_v",
            "is_active",
            "status",
            "last_seen_at",
        ]
        read_only_fields = ["last_seen_at"]
        extra_kwargs = {"profile": {"required": False}}


class DeviceCreatedSerializer(DeviceSerializer):
    secret = serializers.CharField(read_only=True, help_text="shown once; store it in the device")

    class Meta(DeviceSerializer.Meta):
        fields = [*DeviceSerializer.Meta.fields, "secret"]


@extend_schema(responses=ERRORS, tags=["iot"])
class DeviceViewSet(ScopedModelViewSet):
    """Monitoring devices: only those of enterprises in the caller's scope."""

    model = m.Device
    queryset = m.Device.objects.none()
    serializer_class = DeviceSerializer
    filterset_class = filters.DeviceFilterSet
    ordering = ("enterprise__name", "code")
    ordering_fields = ["id", "code", "last_seen_at"]

    def get_queryset(self):
        from safeserve.core.api import ACTION_FOR_METHOD

        return queries.devices(self.request.user, ACTION_FOR_METHOD.get(self.request.method, "view")).order_by(
            *self.ordering
        )

    @extend_schema(responses={201: DeviceCreatedSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        out = DeviceCreatedSerializer(serializer.instance, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_create(self, serializer):
        data, _m2m = self._split(serializer)
        device, secret = actions.device_create(actor=self.request.user, data=data)  # errors: core.drf handler
        device.n_active = 0
        device.secret = secret
        serializer.instance = device

    def perform_update(self, serializer):
        if "profile" in serializer.validated_data and serializer.validated_data["profile"] is None:
            serializer.validated_data.pop("profile")
        super().perform_update(serializer)

    @extend_schema(
        request=None,
        responses={200: inline_serializer("DeviceSecret", {"secret": serializers.CharField()}), **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Issue a new secret (shown once); the old one stops working at once."""
        if not request.user.has_perm("iot.change_device"):
            raise exceptions.PermissionDenied()
        device = self.get_object_for("change")
        return Response({"secret": actions.device_rotate_secret(actor=request.user, device=device)})

    @extend_schema(
        parameters=[OpenApiParameter("range", OpenApiTypes.STR, enum=["24h", "30d"])],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    @action(detail=True, methods=["get"])
    def series(self, request, pk=None):
        """Time series for charts: per minute for 24 hours, per hour (rollup) for 30 days."""
        device = self.get_object()
        if request.query_params.get("range") == "30d":
            return Response(queries.series_30d(device))
        return Response(queries.series_24h(device))

    def get_object_for(self, act):
        from safeserve.core.scoping import get_visible_or_404

        return get_visible_or_404(m.Device, self.request.user, act, pk=self.kwargs["pk"])


class AlarmSerializer(ScopedSerializer):
    device_code = serializers.CharField(source="device.code", read_only=True)

    class Meta:
        model = m.Alarm
        fields = [
            "id",
            "device",
            "device_code",
            "enterprise",
            "type",
            "severity",
            "state",
            "active",
            "threshold",
            "first_value",
            "last_value",
            "peak_value",
            "count",
            "started_ts",
            "last_ts",
            "raised_at",
            "cleared_at",
            "acknowledged_at",
            "assignee",
            "measures",
            "result",
            "closed_at",
            "ack_seconds",
            "close_seconds",
            "escalation_step",
        ]
        read_only_fields = fields


class HandlingSerializer(serializers.Serializer):
    measures = serializers.CharField()
    result = serializers.CharField()


class CanHandle(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return request.user.has_perm("iot.view_alarm")
        return request.user.has_perm("iot.change_alarm")


@extend_schema(responses=ERRORS, tags=["iot"])
class AlarmViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alarms in the caller's scope; handling through the acknowledge and close actions."""

    queryset = m.Alarm.objects.none()
    serializer_class = AlarmSerializer
    filterset_class = filters.AlarmFilterSet
    permission_classes = [CanHandle]
    ordering_fields = ["id", "raised_at", "severity"]

    def get_queryset(self):
        act = "view" if self.request.method in permissions.SAFE_METHODS else "change"
        return queries.alarms(self.request.user, act).order_by("-raised_at", "-id")

    def _run(self, fn, **kwargs):
        alarm = self.get_object()
        alarm = fn(actor=self.request.user, alarm=alarm, **kwargs)  # errors: the core.drf exception handler
        return Response(AlarmSerializer(alarm, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: AlarmSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._run(actions.alarm_acknowledge)

    @extend_schema(request=HandlingSerializer, responses={200: AlarmSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        s = HandlingSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        return self._run(actions.alarm_close, **s.validated_data)


router = routers.DefaultRouter()
router.include_root_view = False
router.register("devices", DeviceViewSet, basename="device")
router.register("alarms", AlarmViewSet, basename="alarm")
