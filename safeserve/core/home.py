"""Each role's home page (工作台): its own numbers, read through the scoping mechanism."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

# Apps (registry first, then the capability apps) append ``provider(user) -> {"cards": [...],
# "charts": [...], "panels": [...], "notes": [...]}`` in AppConfig.ready(). A card is {"key", "label",
# "value", "url"}: its url lists exactly ``value`` rows (core/tests/test_home_cards.py walks them);
# a panel is rendered by core/_panel.html (see core.hooks.ENTERPRISE_PANELS); a note is a sentence
# telling the role what it can do here.
HOME_PROVIDERS: list = []
PARTS = ("cards", "charts", "panels", "notes")


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["summary"] = {part: [] for part in PARTS}
        for provider in HOME_PROVIDERS:
            extra = provider(self.request.user)
            for part in PARTS:
                ctx["summary"][part] += extra.get(part, [])
        return ctx
