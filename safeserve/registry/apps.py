from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "safeserve.registry"
    label = "registry"
    verbose_name = _("主体库")

    def ready(self):
        from safeserve.core import context_processors as nav
        from safeserve.core import home

        from . import queries
        from .actions import register_hooks

        register_hooks()
        from safeserve.core.hooks import register_autocomplete

        from .models import Agency, Enterprise

        register_autocomplete("enterprise", Enterprise, ("name__contains", "credit_code__startswith"))
        register_autocomplete("agency", Agency, ("name__contains", "credit_code__startswith"))
        nav.NAV.append(("registry:enterprise_list", _("生产经营单位"), "registry.view_enterprise"))
        nav.NAV_TAIL[:0] = [
            ("registry:agency_list", _("服务机构"), "registry.view_agency", nav.REGISTRY),
            ("registry:agencyqualification_list", _("机构资质"), "registry.view_agencyqualification", nav.REGISTRY),
            ("registry:agencystaff_list", _("机构人员"), "registry.view_agencystaff", nav.REGISTRY),
            ("registry:expert_list", _("专家"), "registry.view_expert", nav.REGISTRY),
            ("registry:insurer_list", _("保险机构"), "registry.view_insurer", nav.REGISTRY),
            ("registry:association_list", _("行业协会"), "registry.view_association", nav.REGISTRY),
            ("registry:town_list", _("镇（街道）"), "registry.change_town", nav.SYSTEM),
            ("registry:village_list", _("村（社区）"), "registry.change_village", nav.SYSTEM),
            ("registry:industry_list", _("行业"), "registry.change_industry", nav.SYSTEM),
        ]
        # The registry's panel comes first on every home page (HOME_PROVIDERS is read in order).
        home.HOME_PROVIDERS.insert(0, queries.registry_summary)
