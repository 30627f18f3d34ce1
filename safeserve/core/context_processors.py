from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

REGISTRY = _("主体库")
SYSTEM = _("系统设置")

# (route, label, permission[, group]) — an item shows only to users holding the permission;
# items with a group appear in that group's dropdown.
NAV = [
    ("home", _("工作台"), None),
    ("registry:enterprise_list", _("生产经营单位"), "registry.view_enterprise"),
]
NAV_TAIL = [
    ("registry:agency_list", _("服务机构"), "registry.view_agency", REGISTRY),
    ("registry:agencyqualification_list", _("机构资质"), "registry.view_agencyqualification", REGISTRY),
    ("registry:agencystaff_list", _("机构人员"), "registry.view_agencystaff", REGISTRY),
    ("registry:expert_list", _("专家"), "registry.view_expert", REGISTRY),
    ("registry:insurer_list", _("保险机构"), "registry.view_insurer", REGISTRY),
    ("registry:association_list", _("行业协会"), "registry.view_association", REGISTRY),
    ("registry:town_list", _("镇(街道)"), "registry.change_town", SYSTEM),
    ("registry:village_list", _("村(社区)"), "registry.change_village", SYSTEM),
    ("registry:industry_list", _("行业"), "registry.change_industry", SYSTEM),
    ("accounts:user_list", _("账号"), "accounts.change_user", SYSTEM),
]
EXTRA_NAV: list = []  # capability apps append (route, label, permission[, group]) in AppConfig.ready()


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items, groups = [], {}
    for route, label, perm, *group in NAV + EXTRA_NAV + NAV_TAIL:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(route)
        except NoReverseMatch:
            continue
        active = request.path == url if route == "home" else request.path.startswith(url)
        item = {"url": url, "label": label, "active": active}
        if group:
            if group[0] not in groups:
                groups[group[0]] = {"label": group[0], "children": [], "active": False}
                items.append(groups[group[0]])
            groups[group[0]]["children"].append(item)
            groups[group[0]]["active"] |= active
        else:
            items.append(item)
    scope = None
    if user.role and user.role != "county":
        scope = getattr(user, user.role if user.role != "enterprise" else "enterprise", None)
    from safeserve.notifications.queries import unread_count

    return {"nav_items": items, "scope_label": scope, "unread_count": unread_count(user)}
