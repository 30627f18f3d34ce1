from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "safeserve.accounts"
    label = "accounts"
    verbose_name = _("账号与角色")

    def ready(self):
        from safeserve.core import context_processors as nav

        nav.NAV_TAIL.append(("accounts:user_list", _("账号"), "accounts.change_user", nav.SYSTEM))
