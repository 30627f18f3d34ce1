"""Warm a web process before it serves (gunicorn's master, before it forks its workers).

With ``preload_app`` the workers are forked from the master, so whatever the master has loaded they
share from the first request: the compiled templates (Django's cached loader), the translation
catalogues and the URL resolver. Without this each new worker compiled them during its first
requests, all its threads at once; after a restart under 200 requests a second that stalled readers
for up to 3 s (docs/benchmarks.md). Nothing here touches the database.
"""

import logging
import time
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

log = logging.getLogger("safeserve.warmup")


def template_names(engine) -> list[str]:
    """Every template name the engine's directories hold (project and installed apps)."""
    names = set()
    for directory in engine.template_dirs:
        root = Path(directory)
        if root.is_dir():
            names.update(str(p.relative_to(root)) for p in root.rglob("*.html") if p.is_file())
    return sorted(names)


def warm() -> dict:
    t0 = time.perf_counter()
    compiled = 0
    for lang, _ in settings.LANGUAGES:
        with translation.override(lang):  # activating a language loads the catalogue of every app
            translation.get_language()
    resolver = get_resolver()
    resolver.reverse_dict  # noqa: B018 - populates the reverse lookups once, in the master
    for engine in engines.all():
        for name in template_names(engine):
            try:
                engine.get_template(name)
                compiled += 1
            except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                continue  # a partial for another engine, or a file that is not a template
    figures = {"templates": compiled, "seconds": round(time.perf_counter() - t0, 2)}
    log.info("warmed: %(templates)s templates in %(seconds)s s", figures)
    return figures
