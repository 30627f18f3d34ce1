from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "safeserve.accounts"
    label = "accounts"
    verbose_name = _("账号与角色")

    def ready(self):
        from safeserve.core import context_processors as nav
        from safeserve.core import hooks

        from .panels import enterprise_accounts_panel

        nav.NAV_TAIL.append(("accounts:user_list", _("账号"), "accounts.change_user", nav.SYSTEM))
        nav.NAV_TAIL.append(("accounts:user_import", _("批量开通账号"), "accounts.provision_user", nav.SYSTEM))
        hooks.ENTERPRISE_PANELS.append(enterprise_accounts_panel)
