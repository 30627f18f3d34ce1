from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "safeserve.notifications"
    label = "notifications"
    verbose_name = _("消息通知")

    def ready(self):
        from safeserve.core import context_processors

        from . import queries

        context_processors.NAV_TAIL.append(
            ("notifications:delivery_list", _("消息投递"), "notifications.view_delivery", context_processors.SYSTEM)
        )
        context_processors.SHELL_CONTEXT.append(lambda user: {"unread_count": queries.unread_count(user)})
        from . import tasks  # noqa: F401 - registers the delivery jobs with huey
