from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "safeserve.supervision"
    label = "supervision"
    verbose_name = _("服务机构监管")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import queries, views

        context_processors.EXTRA_NAV.extend(
            [
                ("supervision:agency_files", _("机构档案"), "supervision.view_agencyfile", _("社会化服务")),
                ("supervision:practicenotice_list", _("执业告知"), "supervision.view_practicenotice", _("社会化服务")),
                ("supervision:round_list", _("服务抽查"), "supervision.view_samplinground", _("社会化服务")),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.CREDIT_PROVIDERS["notice"] = queries.agencies_with_valid_notice
        hooks.CREDIT_FACT_SOURCES.append(queries.credit_facts)
        hooks.VISIT_PANELS.append(views.visit_panel)
        for source in queries.INDICATORS:
            hooks.register_indicator(source)
