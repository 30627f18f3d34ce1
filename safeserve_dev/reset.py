"""Clearing an app's demo rows before `seed_demo --reset` clears the register they point at."""

from django.apps import apps
from django.db import transaction


def reset_app(label: str, stdout=None, keep: tuple[str, ...] = ()) -> int:
    """Delete every row of the app's models, children first (models are declared parents first).
    ``keep``: model names whose rows are configuration, not demo data (e.g. a rule table)."""
    removed = 0
    with transaction.atomic():
        for model in reversed(list(apps.get_app_config(label).get_models())):
            if model._meta.model_name in keep:
                continue
            n, _ = model._default_manager.all().delete()
            removed += n
    if stdout is not None and removed:
        stdout.write(f"  {apps.get_app_config(label).verbose_name}：清除 {removed} 条")
    return removed
