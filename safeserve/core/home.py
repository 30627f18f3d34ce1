"""Each role's home page (工作台): its own numbers, read through the scoping mechanism."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

# Apps (registry first, then the capability apps) append ``provider(user) -> {"cards": [...], "charts": [...]}`` in AppConfig.ready().
HOME_PROVIDERS: list = []


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["summary"] = {"cards": [], "charts": []}
        for provider in HOME_PROVIDERS:
            extra = provider(self.request.user)
            ctx["summary"]["cards"] += extra.get("cards", [])
            ctx["summary"]["charts"] += extra.get("charts", [])
        return ctx
