from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditConfig(AppConfig):
    name = "safeserve.credit"
    label = "credit"
    verbose_name = _("信用监管")

    def ready(self):
        from safeserve.core import context_processors, hooks

        from . import facts, queries, tasks  # noqa: F401 - tasks registers the periodic jobs

        group = _("监督管理")
        context_processors.EXTRA_NAV.extend(
            [
                ("credit:creditgrade_list", _("信用等级"), "credit.view_creditgrade", group),
                ("credit:listing_list", _("严重失信主体名单"), "credit.view_listing", group),
                ("credit:accident_list", _("生产安全事故"), "credit.view_accident", group),
                ("credit:penalty_list", _("行政处罚"), "credit.view_penalty", group),
                ("credit:commitment_list", _("安全承诺"), "credit.view_commitment", group),
                ("credit:ruletable_list", _("信用评级规则"), "credit.view_ruletable", group),
            ]
        )
        hooks.CREDIT_FACT_SOURCES.append(facts.credit_fact_source)
        hooks.CREDIT_PROVIDERS["grades"] = queries.grades_provider
        hooks.CREDIT_PROVIDERS["listed"] = queries.listed_provider
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        hooks.PUBLIC_SECTIONS.append(queries.public_section)
        hooks.LISTING_PROVIDERS["propose"] = queries.propose_provider
        hooks.LISTING_PROVIDERS["of_source"] = queries.of_source_provider
        hooks.ACCIDENT_PROVIDERS["of_enterprises"] = queries.accidents_provider
        hooks.ACCIDENT_PROVIDERS["one"] = queries.accident_provider
