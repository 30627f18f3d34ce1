from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HazardsConfig(AppConfig):
    name = "safeserve.hazards"
    label = "hazards"
    verbose_name = _("隐患排查治理")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import queries, views

        context_processors.EXTRA_NAV.extend(
            [
                ("hazards:hazard_list", _("隐患"), "hazards.view_hazard", _("隐患治理")),
                ("hazards:statistics", _("隐患统计"), "hazards.view_hazard", _("隐患治理")),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.VISIT_PANELS.append(views.visit_panel)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        for key, label, unit, compute in (
            ("hazards.closure_rate", _("隐患整改率"), "%", queries.indicator_closure_rate),
            ("hazards.major_overdue", _("重大隐患逾期未整改"), _("项"), queries.indicator_major_overdue),
            ("hazards.closure_days", _("隐患平均整改天数"), _("天"), queries.indicator_closure_days),
        ):
            hooks.register_indicator(hooks.IndicatorSource(key, label, unit, ("town", "agency"), compute))
