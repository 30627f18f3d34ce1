from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "safeserve.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self):
        from safeserve.core import context_processors

        # In the 社会化服务 menu (the assessment is of socialized services): no new top-level group.
        context_processors.EXTRA_NAV.extend(
            [
                ("assessment:assessment_list", _("乡镇考核"), "assessment.view_assessment", _("社会化服务")),
                # The schemes are the county's to keep; a town reaches its year's scheme from the assessment.
                ("assessment:scheme_list", _("考核方案"), "assessment.add_scheme", _("社会化服务")),
            ]
        )
        from . import tasks  # noqa: F401 - registers the periodic job with huey
