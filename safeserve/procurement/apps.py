from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcurementConfig(AppConfig):
    name = "safeserve.procurement"
    label = "procurement"
    verbose_name = _("政府购买服务")

    def ready(self):
        from safeserve.core import context_processors, hooks

        from . import queries

        group = _("社会化服务")
        context_processors.EXTRA_NAV.extend(
            [
                ("procurement:project_list", _("政府购买服务"), "procurement.view_project", group),
                ("procurement:budget", _("购买服务预算执行"), "procurement.add_project", group),
            ]
        )
        hooks.PUBLIC_SECTIONS.append(queries.public_section)
