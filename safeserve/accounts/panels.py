"""The enterprise page's 企业账号 panel: its accounts, and one click for its safety manager's."""

from django.utils.translation import gettext as _

from .actions import provision_rule, safety_manager_username
from .models import User


def enterprise_accounts_panel(request, enterprise) -> list[dict]:
    rule = provision_rule(request.user)
    if not rule or not rule.enterprises().filter(pk=enterprise.pk).exists():
        return []
    accounts = list(User.objects.filter(enterprise=enterprise).order_by("username"))
    manager = next((u for u in accounts if u.username == safety_manager_username(enterprise)), None)
    return [
        {
            "title": _("企业账号"),
            "template": "accounts/_enterprise_accounts_panel.html",
            "context": {
                "enterprise": enterprise,
                "accounts": accounts,
                "manager": manager,
                "manager_pending": manager is not None
                and manager.last_login is None
                and not manager.has_usable_password(),
            },
        }
    ]
