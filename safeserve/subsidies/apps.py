from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "safeserve.subsidies"
    label = "subsidies"
    verbose_name = _("服务补贴")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import queries

        context_processors.EXTRA_NAV.extend(
            [
                ("subsidies:overview", _("服务补贴"), "subsidies.view_subsidyoverview", _("社会化服务")),
                (
                    "subsidies:subsidyapplication_list",
                    _("补贴申请"),
                    "subsidies.view_subsidyapplication",
                    _("社会化服务"),
                ),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
