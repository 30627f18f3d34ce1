from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TipoffsConfig(AppConfig):
    name = "safeserve.tipoffs"
    label = "tipoffs"
    verbose_name = _("举报")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import queries

        context_processors.EXTRA_NAV.extend(
            [
                ("tipoffs:tipoff_list", _("举报"), "tipoffs.view_tipoff", _("监督管理")),
                ("tipoffs:handlers", _("举报受理人员"), "tipoffs.handle_tipoff", _("监督管理")),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.CREDIT_FACT_SOURCES.append(queries.credit_facts)
        hooks.register_indicator(
            hooks.IndicatorSource(
                key="tipoffs.handled_on_time",
                label=queries.INDICATOR_LABEL,
                unit="%",
                subjects=("town",),
                compute=queries.handled_on_time,
            )
        )
        hooks.register_indicator(
            hooks.IndicatorSource(
                key="tipoffs.agency_verified_reports",
                label=queries.AGENCY_REPORTS_LABEL,
                unit="件",
                subjects=("agency",),
                compute=queries.agency_verified_reports,
            )
        )
        hooks.PUBLIC_SECTIONS.append(queries.public_section)
