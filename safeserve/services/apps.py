from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "safeserve.services"
    label = "services"
    verbose_name = _("委托服务")

    def ready(self):
        from safeserve.core import actions as core_actions
        from safeserve.core import context_processors, home, hooks

        from . import actions, queries
        from .models import ChecklistItem, enterprise_agency_staff_ids, served_enterprise_ids

        context_processors.EXTRA_NAV.extend(
            [
                ("services:servicecontract_list", _("服务合同"), "services.view_servicecontract", _("社会化服务")),
                ("services:visit_list", _("服务记录"), "services.view_servicevisit", _("社会化服务")),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        from .models import ServiceContract

        hooks.register_autocomplete(
            "contract", ServiceContract, ("number__contains", "agency__name__contains"), order=("-id",)
        )
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        hooks.register_coverage_channel(
            "service_contract", _("有效服务合同"), queries.covered_by_contract, whole_register=True
        )
        hooks.register_indicator(
            hooks.IndicatorSource(
                "services.visits_on_time",
                _("合同上门服务按时完成率"),
                "%",
                ("town", "agency"),
                queries.indicator_visits_on_time,
            )
        )
        # The yearly agency grading (assessment, docs/decisions/0043): ratings and timeliness.
        hooks.register_indicator(
            hooks.IndicatorSource(
                "services.agency_rating", _("企业服务评价平均分"), "分", ("agency",), queries.indicator_agency_rating
            )
        )
        hooks.register_indicator(
            hooks.IndicatorSource(
                "services.visits_confirmed_on_time",
                _("服务记录及时录入并经企业确认率"),
                "%",
                ("agency",),
                queries.indicator_visits_confirmed_on_time,
            )
        )
        hooks.register_relation("agency_enterprises", served_enterprise_ids)
        hooks.register_relation("enterprise_agency_staff", enterprise_agency_staff_ids)
        # An item answered on a signed visit keeps its wording (services.actions.prepare_checklist_item).
        core_actions.WRITE_HOOKS[ChecklistItem] = actions.prepare_checklist_item
