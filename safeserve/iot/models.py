"""Smart electrical safety (智慧式安全用电): devices, readings, dead letters and alarms."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.models import ScopedModel
from safeserve.core.scoping import ALL, ScopedManager

from .choices import (
    ACTIVE_STATES,
    METRIC_NAMES,
    AlarmState,
    AlarmType,
    DeadLetterReason,
    DeviceStatus,
    Severity,
    Source,
)

DEFAULTS = {
    "CLEAR_AFTER": 3,  # consecutive normal reports that clear an active alarm
    "ESCALATE_CRITICAL_MINUTES": 10,  # unacknowledged critical alarm -> town office
    "ESCALATE_COUNTY_MINUTES": 60,  # still unacknowledged -> county bureau
    "MAX_MESSAGE_BYTES": 64 * 1024,
    "MAX_BATCH_READINGS": 1000,
    "MAX_EXTRA_METRICS": 32,
    "MAX_TS_AGE_DAYS": 30,
    "MAX_TS_FUTURE_SECONDS": 300,
    "DEVICE_CACHE_SECONDS": 5,
    "LAST_SEEN_RESOLUTION_SECONDS": 10,
    # Alarms follow a device's readings in ts order; a reading more than this far behind the device's
    # newest reading is stored but changes no alarm (ADR 0016, safeserve/iot/ingest/alarm_order.py).
    "ALARM_LATENESS_SECONDS": 600,
    # Retention (safeserve.iot.maintenance): raw readings, hourly rollups, dead letters.
    "RAW_RETENTION_DAYS": 90,
    "ROLLUP_RETENTION_DAYS": 3 * 365,
    "DEADLETTER_RETENTION_DAYS": 30,
    # HTTP door rate limits (safeserve.iot.throttling): accepted requests per device code, and
    # refused requests (bad credentials or payload) per client address. 0 turns a limit off.
    "HTTP_MAX_REQUESTS_PER_MINUTE": 120,
    "HTTP_MAX_REFUSED_PER_MINUTE": 60,
}


def iot_setting(name: str):
    return getattr(settings, "SAFESERVE_IOT", {}).get(name, DEFAULTS[name])


def ms_to_dt(ms: int | None):
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def dt_to_ms(dt) -> int:
    return int(dt.timestamp() * 1000)


def offline_after(intervals: int, interval_s: int) -> timedelta:
    """How long after ``last_seen_at`` a device counts as offline.

    ``last_seen_at`` is written at most every LAST_SEEN_RESOLUTION_SECONDS, so the last report may be
    up to that much newer than it: the allowance keeps a device from being declared offline before
    ``intervals`` × ``interval_s`` have passed since its last report (and a device reporting on
    schedule from ever being declared offline).
    """
    return timedelta(seconds=intervals * interval_s + iot_setting("LAST_SEEN_RESOLUTION_SECONDS"))


def agency_enterprise_ids(user):
    """Subquery: enterprises whose devices and alarms an agency user may see — those it serves
    under a service contract in force today (safeserve.services)."""
    from safeserve.services.queries import enterprises_in_force_for_agency

    return enterprises_in_force_for_agency(user.agency_id)


def enterprise_scope_q(user, action, prefix: str = "enterprise"):
    """Who reaches a row hanging on an enterprise: county, its town, the enterprise, its agency."""
    if user.role == Role.COUNTY:
        return ALL
    if user.role == Role.TOWN:
        return models.Q(**{f"{prefix}__town_id": user.town_id})
    if user.role == Role.ENTERPRISE:
        return models.Q(**{f"{prefix}_id": user.enterprise_id})
    if user.role == Role.AGENCY:
        return models.Q(**{f"{prefix}_id__in": agency_enterprise_ids(user)})
    return None


class DeviceProfile(ScopedModel):
    """Alarm thresholds shared by many devices (defaults from DOMAIN.md; every one is a setting)."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    residual_ma = models.FloatField(_("剩余电流报警值（mA）"), default=300, validators=[MinValueValidator(1)])
    temperature_c = models.FloatField(_("线缆温度报警值（°C）"), default=70)
    over_voltage_v = models.FloatField(_("过电压报警值（V，大于）"), default=242)
    under_voltage_v = models.FloatField(_("欠电压报警值（V，小于）"), default=187)
    over_current_factor = models.FloatField(
        _("过电流倍数"), default=1.0, validators=[MinValueValidator(0.1)], help_text=_("电流大于额定电流×该倍数时报警")
    )
    arc_alarm = models.BooleanField(_("电弧故障报警"), default=True)
    offline_intervals = models.PositiveSmallIntegerField(
        _("离线判定（上报周期数）"), default=3, validators=[MinValueValidator(1)]
    )
    clear_after = models.PositiveSmallIntegerField(
        _("连续正常次数后清除"), null=True, blank=True, help_text=_("留空则使用系统设置")
    )
    is_default = models.BooleanField(_("默认配置"), default=False)

    class Meta:
        verbose_name = _("设备配置")
        verbose_name_plural = _("设备配置")
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="iot_one_default_profile"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("iot:deviceprofile_detail", args=[self.pk])

    @property
    def effective_clear_after(self) -> int:
        return self.clear_after or iot_setting("CLEAR_AFTER")

    def clean(self):
        if self.under_voltage_v >= self.over_voltage_v:
            raise ValidationError({"under_voltage_v": _("欠电压报警值必须小于过电压报警值")})

    @classmethod
    def scope_q(cls, user, action):
        if user.role == Role.COUNTY:
            return ALL
        return ALL if action == "view" else None


code_validator = RegexValidator(r"^[A-Za-z0-9_.-]{3,64}$", _("编码只能包含字母、数字、点、下划线和连字符（3–64位）"))


class Device(ScopedModel):
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("生产经营单位"), on_delete=models.PROTECT, related_name="iot_devices"
    )
    code = models.CharField(_("设备编码"), max_length=64, unique=True, validators=[code_validator])
    name = models.CharField(_("设备名称"), max_length=100)
    place = models.CharField(_("安装位置"), max_length=100)
    circuit = models.CharField(_("回路名称"), max_length=100)
    device_model = models.CharField(_("型号"), max_length=100, blank=True)
    rated_current_a = models.FloatField(_("额定电流（A）"), validators=[MinValueValidator(0.1)])
    interval_s = models.PositiveIntegerField(_("上报周期（秒）"), default=60, validators=[MinValueValidator(1)])
    profile = models.ForeignKey(
        DeviceProfile, verbose_name=_("设备配置"), on_delete=models.PROTECT, related_name="devices"
    )
    residual_ma = models.FloatField(_("剩余电流报警值（mA）"), null=True, blank=True, help_text=_("留空则使用设备配置"))
    temperature_c = models.FloatField(
        _("线缆温度报警值（°C）"), null=True, blank=True, help_text=_("留空则使用设备配置")
    )
    over_voltage_v = models.FloatField(_("过电压报警值（V）"), null=True, blank=True, help_text=_("留空则使用设备配置"))
    under_voltage_v = models.FloatField(
        _("欠电压报警值（V）"), null=True, blank=True, help_text=_("留空则使用设备配置")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    audit_redacted_fields = ("secret_hash",)  # the history shows that it changed, not what it is
    secret_rotated_at = models.DateTimeField(_("密钥更新时间"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("最后上报"), null=True, blank=True, editable=False, db_index=True)

    class Meta:
        verbose_name = _("监测设备")
        verbose_name_plural = _("监测设备")
        ordering = ["enterprise__name", "code"]
        indexes = [models.Index(fields=["enterprise", "code"])]

    def __str__(self):
        return f"{self.code} {self.name}"

    def get_absolute_url(self):
        return reverse("iot:device_detail", args=[self.pk])

    def thresholds(self) -> dict:
        p = self.profile
        return {
            "residual_ma": self.residual_ma if self.residual_ma is not None else p.residual_ma,
            "temperature_c": self.temperature_c if self.temperature_c is not None else p.temperature_c,
            "over_voltage_v": self.over_voltage_v if self.over_voltage_v is not None else p.over_voltage_v,
            "under_voltage_v": self.under_voltage_v if self.under_voltage_v is not None else p.under_voltage_v,
            "over_current_a": self.rated_current_a * p.over_current_factor,
            "arc": p.arc_alarm,
            "clear_after": p.effective_clear_after,
            "offline_after_s": p.offline_intervals * self.interval_s,
        }

    def status(self, now=None, alarming: bool | None = None) -> str:
        """Live status; ``alarming`` may be passed in (annotated) to save a query per row."""
        if not self.is_active:
            return DeviceStatus.DISABLED
        if self.last_seen_at is None:
            return DeviceStatus.NEVER
        now = now or timezone.now()
        if now - self.last_seen_at > offline_after(self.profile.offline_intervals, self.interval_s):
            return DeviceStatus.OFFLINE
        if alarming is None:
            alarming = self.alarms.filter(active=True).exclude(type=AlarmType.OFFLINE).exists()
        return DeviceStatus.ALARMING if alarming else DeviceStatus.ONLINE

    @property
    def live_status(self) -> str:
        n = getattr(self, "n_active", None)
        return self.status(alarming=None if n is None else n > 0)

    def get_live_status_display(self):
        return DeviceStatus(self.live_status).label

    @classmethod
    def scope_q(cls, user, action):
        return enterprise_scope_q(user, action)


class Reading(models.Model):
    """One report of one device: the standard metrics as columns, anything else in ``extra``.

    The primary key is (device, ts): a redelivered message inserts nothing (ON CONFLICT DO NOTHING).
    ``ts`` is epoch milliseconds (8 bytes, no timezone arithmetic in the hot path).
    """

    pk = models.CompositePrimaryKey("device", "ts")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", db_index=False)
    ts = models.BigIntegerField(_("时间戳（毫秒）"))
    residual_ma = models.FloatField(null=True)
    t1_c = models.FloatField(null=True)
    t2_c = models.FloatField(null=True)
    t3_c = models.FloatField(null=True)
    t4_c = models.FloatField(null=True)
    ua_v = models.FloatField(null=True)
    ub_v = models.FloatField(null=True)
    uc_v = models.FloatField(null=True)
    ia_a = models.FloatField(null=True)
    ib_a = models.FloatField(null=True)
    ic_a = models.FloatField(null=True)
    arc = models.SmallIntegerField(null=True)
    extra = models.JSONField(null=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")

    def __str__(self):
        return f"{self.device_id}@{self.ts}"

    @classmethod
    def scope_q(cls, user, action):
        return enterprise_scope_q(user, action, prefix="device__enterprise")


class ReadingHour(models.Model):
    """Hourly rollup for long-range charts: per metric the mean and the maximum (and the minimum of voltages)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", db_index=False)
    hour = models.IntegerField(_("小时（纪元小时）"))
    n = models.IntegerField(_("条数"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("监测数据（小时）")
        verbose_name_plural = _("监测数据（小时）")
        constraints = [models.UniqueConstraint(fields=["device", "hour"], name="iot_rollup_once_per_hour")]

    def __str__(self):
        return f"{self.device_id}@{self.hour}h"

    @classmethod
    def scope_q(cls, user, action):
        return enterprise_scope_q(user, action, prefix="device__enterprise")


ROLLUP_FIELDS = []
for _m in METRIC_NAMES:
    for _agg in ("avg", "max") + (("min",) if _m.startswith("u") else ()):
        ReadingHour.add_to_class(f"{_m}_{_agg}", models.FloatField(null=True))
        ROLLUP_FIELDS.append((f"{_m}_{_agg}", _m, _agg))


class DeadLetter(ScopedModel):
    """A message the pipeline refused, kept with the reason so an admin can see what devices send."""

    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    device_code = models.CharField(_("设备编码"), max_length=64, blank=True, db_index=True)
    reason = models.CharField(_("原因"), max_length=20, choices=DeadLetterReason.choices, db_index=True)
    detail = models.CharField(_("说明"), max_length=500, blank=True)
    payload = models.TextField(_("报文（截断）"), blank=True)

    class Meta:
        verbose_name = _("死信")
        verbose_name_plural = _("死信")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.device_code or '-'} {self.get_reason_display()}"

    def get_absolute_url(self):
        return reverse("iot:deadletter_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, user, action):
        return ALL if user.role == Role.COUNTY else None


class Alarm(ScopedModel):
    device = models.ForeignKey(Device, verbose_name=_("设备"), on_delete=models.CASCADE, related_name="alarms")
    enterprise = models.ForeignKey(
        "registry.Enterprise", verbose_name=_("生产经营单位"), on_delete=models.PROTECT, related_name="iot_alarms"
    )
    type = models.CharField(_("报警类型"), max_length=20, choices=AlarmType.choices)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    state = models.CharField(_("状态"), max_length=20, choices=AlarmState.choices, default=AlarmState.ACTIVE_UNACK)
    active = models.BooleanField(_("活动"), default=True)
    threshold = models.FloatField(_("阈值"), null=True, blank=True)
    first_value = models.FloatField(_("首次值"), null=True, blank=True)
    last_value = models.FloatField(_("最近值"), null=True, blank=True)
    peak_value = models.FloatField(_("峰值"), null=True, blank=True)
    count = models.PositiveIntegerField(_("次数"), default=1)
    normal_streak = models.PositiveIntegerField(_("连续正常次数"), default=0)
    started_ts = models.BigIntegerField(_("首次时间戳"))
    last_ts = models.BigIntegerField(_("最近时间戳"))
    raised_at = models.DateTimeField(_("报警时间"), default=timezone.now, db_index=True)
    cleared_at = models.DateTimeField(_("清除时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处置人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("指派时间"), null=True, blank=True)
    measures = models.TextField(_("处置措施"), blank=True)
    result = models.TextField(_("处置结果"), blank=True)
    hazard = models.ForeignKey(
        "hazards.Hazard",
        verbose_name=_("转为隐患"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="iot_alarms",
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("关闭人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ack_seconds = models.PositiveIntegerField(_("确认用时（秒）"), null=True, blank=True)
    close_seconds = models.PositiveIntegerField(_("关闭用时（秒）"), null=True, blank=True)
    escalation_step = models.PositiveSmallIntegerField(_("升级级次"), default=0)

    class Meta:
        verbose_name = _("报警")
        verbose_name_plural = _("报警")
        ordering = ["-raised_at", "-id"]
        constraints = [
            # Exactly one active alarm per (device, type): concurrent workers cannot duplicate one.
            models.UniqueConstraint(
                fields=["device", "type"], condition=models.Q(active=True), name="iot_one_active_alarm"
            ),
            models.CheckConstraint(
                condition=models.Q(active=True, state__in=ACTIVE_STATES)
                | models.Q(active=False) & ~models.Q(state__in=ACTIVE_STATES),
                name="iot_alarm_active_matches_state",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "active", "severity"]),
            models.Index(fields=["active", "severity", "acknowledged_at"]),
        ]

    def __str__(self):
        return f"{self.get_type_display()} · {self.device.code if 'device' in self._state.fields_cache else self.device_id}"

    def get_absolute_url(self):
        return reverse("iot:alarm_page", args=[self.pk])

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @classmethod
    def scope_q(cls, user, action):
        return enterprise_scope_q(user, action)


class DeviceAlarmState(models.Model):
    """Where the ts-ordered alarm evaluation of one device stands (ADR 0016); also its lock row.

    ``watermark``: the newest reading ts evaluated. ``checkpoint``: a ts at which the device had no
    open episode; readings after it are replayed in ts order when a late one arrives, readings at or
    before it no longer change alarms. ``quiet_from``/``quiet_to``: the latest stretch of ts without
    an open episode (``quiet_to`` null: still quiet at the watermark). ``breach_ts``: the newest
    breaching reading stored, marked in the same transaction as the reading, so that a concurrent
    worker knows the device needs evaluating.
    """

    device = models.OneToOneField(Device, on_delete=models.CASCADE, primary_key=True, related_name="+")
    watermark = models.BigIntegerField(null=True)
    checkpoint = models.BigIntegerField(default=0)
    quiet_from = models.BigIntegerField(default=0)
    quiet_to = models.BigIntegerField(null=True)
    breach_ts = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("报警判定进度")
        verbose_name_plural = _("报警判定进度")

    def __str__(self):
        return f"{self.device_id}@{self.watermark}"
