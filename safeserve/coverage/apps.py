from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoverageConfig(AppConfig):
    name = "safeserve.coverage"
    label = "coverage"
    verbose_name = _("覆盖率")

    def ready(self):
        from safeserve.core import context_processors

        from . import indicators

        context_processors.EXTRA_NAV.extend(
            [
                ("coverage:overview", _("覆盖率"), "coverage.view_coverage", _("社会化服务")),
                ("coverage:work_list", _("未参与企业清单"), "coverage.view_coverage", _("社会化服务")),
                ("coverage:coveragetarget_list", _("覆盖率目标"), "coverage.view_coveragetarget", _("社会化服务")),
            ]
        )
        indicators.register()
        from . import tasks  # noqa: F401 - registers the periodic job with huey
