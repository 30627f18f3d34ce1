from functools import lru_cache

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

REGISTRY = _("主体库")
SYSTEM = _("系统设置")

# (route, label, permission[, group]) — an item shows only to users holding the permission;
# items with a group appear in that group's dropdown. core names no route of an app above it: the
# apps register their entries in AppConfig.ready() (registry: the enterprise list into NAV and its
# directory/system items at the head of NAV_TAIL; capability apps into EXTRA_NAV; accounts and
# notifications append to NAV_TAIL).
NAV = [("home", _("工作台"), None)]
EXTRA_NAV: list = []
NAV_TAIL: list = []
# ``provider(user) -> dict`` merged into the shell's context (e.g. notifications: the unread count).
SHELL_CONTEXT: list = []


@lru_cache(maxsize=1024)
def _url(route, urlconf, root_urlconf, prefix):
    """A menu route's URL (None when it does not resolve): the same for every request with the same
    URLconf and script prefix, so reversed once per process, not ~40 times on every page."""
    try:
        return reverse(route, urlconf=urlconf or root_urlconf)
    except NoReverseMatch:
        return None


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items, groups = [], {}
    where = (get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    # What user.has_perm(perm) answers for each item, from the user's permissions read once (each
    # has_perm asks every backend again; the menu has ~60 items).
    superuser = user.is_active and user.is_superuser
    granted = user.get_all_permissions()
    for route, label, perm, *group in NAV + EXTRA_NAV + NAV_TAIL:
        if perm and not (superuser or perm in granted):
            continue
        url = _url(route, *where)
        if url is None:
            continue
        active = request.path == url if route == "home" else request.path.startswith(url)
        item = {"url": url, "label": label, "active": active}
        if group:
            # Keyed by the label's text, translated once per item: a lazy label used as the key was
            # translated again on every hash and comparison (~300 translations a page).
            key = str(group[0])
            if key not in groups:
                groups[key] = {"label": group[0], "children": [], "active": False}
                items.append(groups[key])
            groups[key]["children"].append(item)
            groups[key]["active"] |= active
        else:
            items.append(item)
    scope = None
    if user.role and user.role != "county":
        scope = getattr(user, user.role if user.role != "enterprise" else "enterprise", None)
    ctx = {"nav_items": items, "scope_label": scope}
    for provider in SHELL_CONTEXT:
        ctx.update(provider(user))
    return ctx
