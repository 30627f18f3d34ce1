from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


def check_retention(app_configs=None, **kwargs):
    """Raw readings must outlive the oldest ``ts`` the pipeline accepts (see iot.maintenance)."""
    from .models import iot_setting

    raw, max_age = iot_setting("RAW_RETENTION_DAYS"), iot_setting("MAX_TS_AGE_DAYS")
    if raw <= max_age:
        return [
            checks.Error(
                f"SAFESERVE_IOT RAW_RETENTION_DAYS ({raw}) must exceed MAX_TS_AGE_DAYS ({max_age})",
                hint="A late reading would land in an hour already purged and its rollup would be recomputed "
                "from that reading alone. Raise SAFESERVE_IOT_RAW_RETENTION_DAYS.",
                id="iot.E001",
            )
        ]
    return []


class IotConfig(AppConfig):
    name = "safeserve.iot"
    label = "iot"
    verbose_name = _("智慧用电")

    def ready(self):
        checks.register(check_retention)
        from safeserve.core.context_processors import EXTRA_NAV

        EXTRA_NAV.extend(
            [
                ("iot:overview", _("设备总览"), "iot.view_device", _("智慧用电")),
                ("iot:alarm_list", _("用电报警"), "iot.view_alarm", _("智慧用电")),
                ("iot:deadletter_list", _("异常报文（死信）"), "iot.view_deadletter", _("智慧用电")),
            ]
        )
        from safeserve.core import home, hooks

        from . import queries

        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        hooks.register_coverage_channel(
            "iot_device", _("智慧用电设备在线"), queries.covered_by_device, whole_register=True
        )
        hooks.register_indicator(
            hooks.IndicatorSource(
                "iot.alarms_handled", _("用电报警按时处置率"), "%", ("town",), queries.indicator_alarms_handled
            )
        )
        from . import tasks  # noqa: F401 - registers the periodic jobs with huey
