from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "safeserve.training"
    label = "training"
    verbose_name = _("安全培训")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import queries

        group = _("协会与培训")
        context_processors.EXTRA_NAV.extend(
            [
                ("training:my_status", _("培训达标情况"), "training.view_attendance", group),
                ("training:course_list", _("培训课程"), "training.view_course", group),
                ("training:trainingsession_list", _("培训班次"), "training.view_trainingsession", group),
                ("training:attendance_list", _("培训记录"), "training.view_attendance", group),
                ("training:certificate_list", _("培训证书"), "training.view_certificate", group),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
