from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "safeserve.registry"
    label = "registry"
    verbose_name = _("主体库")

    def ready(self):
        from .actions import register_hooks

        register_hooks()
