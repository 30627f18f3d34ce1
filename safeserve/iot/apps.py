from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IotConfig(AppConfig):
    name = "safeserve.iot"
    label = "iot"
    verbose_name = _("智慧用电")

    def ready(self):
        from safeserve.core.context_processors import EXTRA_NAV

        EXTRA_NAV.extend(
            [
                ("iot:overview", _("设备总览"), "iot.view_device", _("智慧用电")),
                ("iot:alarm_list", _("用电报警"), "iot.view_alarm", _("智慧用电")),
                ("iot:deadletter_list", _("异常报文(死信)"), "iot.view_deadletter", _("智慧用电")),
            ]
        )
        from . import tasks  # noqa: F401 - registers the periodic jobs with huey
