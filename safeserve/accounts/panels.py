"""The enterprise page's 企业账号 panel (core.hooks.ENTERPRISE_PANELS): its accounts, and the way to
its safety manager's (a confirmation page, then one click)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from .actions import provision_rule, safety_manager_username
from .models import User


def account_state(user) -> str:
    if user.last_login:
        return _("已启用")
    if not user.has_usable_password():
        return _("待设置密码")
    return _("未登录")


def enterprise_accounts_panel(request, enterprise) -> list[dict]:
    viewer = request.user
    rule = provision_rule(viewer)
    if not rule or not rule.enterprises().filter(pk=enterprise.pk).exists():
        return []
    accounts = list(User.objects.filter(enterprise=enterprise).order_by("username")[:20])
    may_view = viewer.has_perm("accounts.view_user")
    manager = next((u for u in accounts if u.username == safety_manager_username(enterprise)), None)
    offer = manager is None or (manager.last_login is None and not manager.has_usable_password())
    return [
        {
            "key": "accounts",
            "title": _("企业账号"),
            "figures": [{"key": "total", "label": _("账号数"), "value": len(accounts), "url": None}],
            "items": [
                {
                    "text": f"{u.username} · {u.full_name}" if u.full_name else u.username,
                    "url": u.get_absolute_url() if may_view else None,
                    "meta": account_state(u),
                }
                for u in accounts
            ],
            "url": reverse("accounts:safety_manager_account", args=[enterprise.pk]) if offer else None,
            "more": _("重新生成安全管理员邀请链接") if manager else _("一键开通安全管理员账号"),
        }
    ]
