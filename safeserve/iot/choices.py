from django.db import models
from django.utils.translation import gettext_lazy as _


class AlarmType(models.TextChoices):
    RESIDUAL = "residual", _("剩余电流超限")
    TEMPERATURE = "temperature", _("线缆温度超限")
    OVER_VOLTAGE = "over_voltage", _("过电压")
    UNDER_VOLTAGE = "under_voltage", _("欠电压")
    OVER_CURRENT = "over_current", _("过电流")
    ARC = "arc", _("电弧故障")
    OFFLINE = "offline", _("设备离线")


class Severity(models.TextChoices):
    CRITICAL = "critical", _("紧急")
    MAJOR = "major", _("重要")
    MINOR = "minor", _("次要")
    WARNING = "warning", _("警告")


SEVERITY_ORDER = [Severity.CRITICAL, Severity.MAJOR, Severity.MINOR, Severity.WARNING]

# Severity of each alarm type (ThingsBoard style: one type per condition, one severity per type).
DEFAULT_SEVERITY = {
    AlarmType.ARC: Severity.CRITICAL,
    AlarmType.TEMPERATURE: Severity.CRITICAL,
    AlarmType.RESIDUAL: Severity.MAJOR,
    AlarmType.OVER_CURRENT: Severity.MAJOR,
    AlarmType.OVER_VOLTAGE: Severity.MINOR,
    AlarmType.UNDER_VOLTAGE: Severity.MINOR,
    AlarmType.OFFLINE: Severity.WARNING,
}


class AlarmState(models.TextChoices):
    ACTIVE_UNACK = "active_unack", _("活动未确认")
    ACTIVE_ACK = "active_ack", _("活动已确认")
    CLEARED_UNACK = "cleared_unack", _("已清除未确认")
    CLEARED_ACK = "cleared_ack", _("已清除已确认")


ACTIVE_STATES = (AlarmState.ACTIVE_UNACK, AlarmState.ACTIVE_ACK)


class DeviceStatus(models.TextChoices):
    ONLINE = "online", _("在线")
    OFFLINE = "offline", _("离线")
    ALARMING = "alarming", _("报警中")
    NEVER = "never", _("未上线")
    DISABLED = "disabled", _("已停用")


class DeadLetterReason(models.TextChoices):
    BAD_JSON = "bad_json", _("JSON格式错误")
    BAD_SHAPE = "bad_shape", _("报文结构错误")
    UNKNOWN_DEVICE = "unknown_device", _("未知设备")
    BAD_SECRET = "bad_secret", _("设备密钥错误")
    DISABLED = "disabled", _("设备已停用")
    NOT_FINITE = "not_finite", _("数值非有限数（NaN/Inf）")
    ABSURD_VALUE = "absurd_value", _("数值超出物理范围")
    OVERSIZED = "oversized", _("报文过大")
    BAD_TS = "bad_ts", _("时间戳无效")
    BAD_TOPIC = "bad_topic", _("MQTT主题无效")
    MEDIA_TYPE = "media_type", _("内容类型不支持")
    INTERNAL = "internal", _("内部处理错误")


class Source(models.TextChoices):
    HTTP = "http", _("HTTP")
    MQTT = "mqtt", _("MQTT")
    OTHER = "other", _("其他")


# Standard metrics: name -> (label, unit, plausible physical range). Anything outside is absurd.
METRICS = {
    "residual_ma": (_("剩余电流"), "mA", (0.0, 10000.0)),
    "t1_c": (_("温度1"), "°C", (-50.0, 300.0)),
    "t2_c": (_("温度2"), "°C", (-50.0, 300.0)),
    "t3_c": (_("温度3"), "°C", (-50.0, 300.0)),
    "t4_c": (_("温度4"), "°C", (-50.0, 300.0)),
    "ua_v": (_("A相电压"), "V", (0.0, 1000.0)),
    "ub_v": (_("B相电压"), "V", (0.0, 1000.0)),
    "uc_v": (_("C相电压"), "V", (0.0, 1000.0)),
    "ia_a": (_("A相电流"), "A", (0.0, 10000.0)),
    "ib_a": (_("B相电流"), "A", (0.0, 10000.0)),
    "ic_a": (_("C相电流"), "A", (0.0, 10000.0)),
    "arc": (_("电弧故障"), "", (0.0, 1.0)),
}
METRIC_NAMES = tuple(METRICS)
TEMPS = ("t1_c", "t2_c", "t3_c", "t4_c")
VOLTS = ("ua_v", "ub_v", "uc_v")
AMPS = ("ia_a", "ib_a", "ic_a")
