from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "safeserve.inspections"
    label = "inspections"
    verbose_name = _("监督检查")

    def ready(self):
        from safeserve.core import context_processors, hooks

        from . import queries

        context_processors.EXTRA_NAV.extend(
            [
                ("inspections:inspectionplan_list", _("检查计划"), "inspections.view_inspectionplan", _("监督管理")),
                ("inspections:inspection_list", _("检查记录"), "inspections.view_inspection", _("监督管理")),
                ("inspections:tasks", _("我的检查任务"), "inspections.add_inspection", _("监督管理")),
                ("inspections:progress", _("计划进度"), "inspections.view_inspectionplan", _("监督管理")),
            ]
        )
        hooks.PUBLIC_SECTIONS.append(queries.public_section)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        hooks.register_indicator(
            hooks.IndicatorSource(
                key="inspections.plan_completion",
                label=_("监督检查计划完成率"),
                unit="%",
                subjects=("town",),
                compute=queries.plan_completion,
            )
        )
