"""Each role's home page (工作台): its own numbers, read through the scoping mechanism.

The figures are counts over the whole scope (200,000 hazards at county scale), the most requested
page of every role, and the heaviest: about 30 grouped queries. They are kept per login session for
``SAFESERVE_HOME_CACHE_SECONDS`` (docs/decisions/0047-home-figures-cache.md):

- the page says when its figures were counted and offers 刷新 (``?refresh=1``), which counts again;
- a user's own change (any successful POST/PUT/PATCH/DELETE in the session, see
  ``HomeFreshnessMiddleware``) makes their next home page count again, so a user never sees their own
  write missing;
- others' changes show within the setting's seconds; a new login counts afresh;
- the key holds the session, the user and the language: nothing is ever shared between two sessions,
  so scoping is exactly that of the providers (the cache cannot widen it).
"""

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.utils import timezone, translation
from django.views.generic import TemplateView

# Apps (registry first, then the capability apps) append ``provider(user) -> {"cards": [...],
# "charts": [...], "panels": [...], "notes": [...]}`` in AppConfig.ready(). A card is {"key", "label",
# "value", "url"}: its url lists exactly ``value`` rows (core/tests/test_home_cards.py walks them);
# a panel is rendered by core/_panel.html (see core.hooks.ENTERPRISE_PANELS); a note is a sentence
# telling the role what it can do here.
HOME_PROVIDERS: list = []
PARTS = ("cards", "charts", "panels", "notes")
# The session key holding the count of the session's own writes (part of the cache key).
WRITES_KEY = "_home_writes"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def compute_summary(user) -> dict:
    summary = {part: [] for part in PARTS}
    for provider in HOME_PROVIDERS:
        extra = provider(user)
        for part in PARTS:
            summary[part] += extra.get(part, [])
    return summary


def cache_key(request) -> str | None:
    session_key = request.session.session_key
    if not session_key:
        return None
    writes = request.session.get(WRITES_KEY, 0)
    return f"home:v1:{session_key}:{request.user.pk}:{translation.get_language()}:{writes}"


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        seconds = settings.SAFESERVE_HOME_CACHE_SECONDS
        key = cache_key(self.request) if seconds > 0 else None
        entry = None
        if key and not self.request.GET.get("refresh"):
            entry = cache.get(key)
        if entry is None:
            entry = {"summary": compute_summary(self.request.user), "as_of": timezone.now()}
            if key:
                cache.set(key, entry, seconds)
        ctx["summary"] = entry["summary"]
        ctx["as_of"] = entry["as_of"]
        ctx["home_cache_seconds"] = seconds
        return ctx


class HomeFreshnessMiddleware:
    """After a successful write in a logged-in session, that session's home page counts again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method in UNSAFE
            and response.status_code < 400
            and hasattr(request, "session")
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
        ):
            request.session[WRITES_KEY] = request.session.get(WRITES_KEY, 0) + 1
        return response
