from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "safeserve.experts"
    label = "experts"
    verbose_name = _("专家库与专家抽取")

    def ready(self):
        from safeserve.core import context_processors, home, hooks
        from safeserve.registry.models import Expert

        from . import queries

        context_processors.EXTRA_NAV.extend(
            [
                ("experts:job_list", _("专家任务"), "experts.view_invitation", _("监督管理")),
                ("experts:expertrequest_list", _("专家抽取"), "experts.view_expertrequest", _("监督管理")),
                ("experts:expertprofile_list", _("专家库"), "experts.view_expertprofile", _("监督管理")),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        hooks.register_autocomplete("expert", Expert, ("name__contains",))
