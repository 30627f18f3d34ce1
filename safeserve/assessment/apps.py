from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "safeserve.assessment"
    label = "assessment"
    verbose_name = _("考核")

    def ready(self):
        from safeserve.core import context_processors, hooks

        from . import queries

        # In the 社会化服务 menu (the assessment is of socialized services): no new top-level group.
        context_processors.EXTRA_NAV.extend(
            [
                ("assessment:assessment_list", _("乡镇考核"), "assessment.view_town_assessment", _("社会化服务")),
                # The schemes are the county's to keep; a town reaches its year's scheme from the assessment.
                ("assessment:scheme_list", _("考核方案"), "assessment.add_scheme", _("社会化服务")),
                # The yearly agency grading (年度服务机构考评) is supervision of agencies.
                ("assessment:agency_list", _("机构年度考评"), "assessment.view_assessment", _("监督管理")),
            ]
        )
        hooks.YEARLY_GRADE_PROVIDERS["agency"] = queries.yearly_grades_provider
        hooks.AGENCY_FILE_SECTIONS.append(queries.agency_file_sections)
        from . import tasks  # noqa: F401 - registers the periodic job with huey
