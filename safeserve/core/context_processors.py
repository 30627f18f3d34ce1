from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (route, label, permission) — a menu item shows only to users holding the permission.
NAV = [
    ("home", _("工作台"), None),
    ("registry:enterprise_list", _("生产经营单位"), "registry.view_enterprise"),
    ("registry:agency_list", _("服务机构"), "registry.view_agency"),
    ("registry:agencystaff_list", _("机构人员"), "registry.view_agencystaff"),
    ("registry:expert_list", _("专家"), "registry.view_expert"),
    ("registry:insurer_list", _("保险机构"), "registry.view_insurer"),
    ("registry:association_list", _("行业协会"), "registry.view_association"),
    ("registry:town_list", _("镇(街道)"), "registry.change_town"),
    ("registry:industry_list", _("行业"), "registry.change_industry"),
    ("accounts:user_list", _("账号"), "accounts.change_user"),
]
EXTRA_NAV: list = []  # capability apps append (route, label, permission)


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for route, label, perm in NAV + EXTRA_NAV:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(route)
        except NoReverseMatch:
            continue
        active = request.path == url if route == "home" else request.path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    scope = None
    if user.role and user.role != "county":
        scope = getattr(user, user.role if user.role != "enterprise" else "enterprise", None)
    from safeserve.notifications.queries import unread_count

    return {"nav_items": items, "scope_label": scope, "unread_count": unread_count(user)}
