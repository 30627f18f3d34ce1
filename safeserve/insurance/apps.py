from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuranceConfig(AppConfig):
    name = "safeserve.insurance"
    label = "insurance"
    verbose_name = _("安责险")

    def ready(self):
        from safeserve.core import context_processors, home, hooks

        from . import chain, queries

        group = _("社会化服务")
        context_processors.EXTRA_NAV.extend(
            [
                ("insurance:policy_list", _("安责险保单"), "insurance.view_policy", group),
                ("insurance:uninsured", _("应保未保企业"), "insurance.view_uninsured", group),
                ("insurance:ledger", _("安责险事故预防监管"), "insurance.view_ledger", group),
            ]
        )
        home.HOME_PROVIDERS.append(queries.home_summary)
        hooks.register_coverage_channel("insurance", _("安责险"), queries.covered_enterprises)
        hooks.ENTERPRISE_PANELS.append(queries.enterprise_panels)
        hooks.register_relation("insured_enterprises", queries.insured_enterprise_ids)
        # ---- appointments (AQ 9010 advance confirmation)
        home.HOME_PROVIDERS.append(queries.appointments_home)
        context_processors.EXTRA_NAV.append(
            ("insurance:appointment_list", _("事故预防服务预约"), "insurance.view_appointment", group)
        )
        # ---- expert prevention visits: the expert records them on a phone; verify_records and the
        # backup manifest cover their chain.
        context_processors.EXTRA_NAV.append(
            ("insurance:preventionvisit_list", _("专家事故预防服务"), "insurance.view_preventionvisit", group)
        )
        home.HOME_PROVIDERS.append(queries.expert_visits_home)
        hooks.register_chain(
            "prevention_visit",
            hooks.RecordChain(label=_("专家事故预防服务记录"), verify=chain.verify_all, checksums=chain.checksums),
        )
