from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssociationsConfig(AppConfig):
    name = "safeserve.associations"
    label = "associations"
    verbose_name = _("互查互帮")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import queries

        group = _("协会与培训")
        context_processors.EXTRA_NAV.extend(
            [
                ("associations:dashboard", _("协会看板"), "associations.add_membership", group),
                ("associations:membership_list", _("会员"), "associations.view_membership", group),
                ("associations:campaign_list", _("互查活动"), "associations.view_campaign", group),
                ("associations:inspection_list", _("互查记录"), "associations.view_mutualinspection", group),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
