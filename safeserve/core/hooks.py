"""Extension points that apps higher in the layers fill in their ``AppConfig.ready()``.

core, accounts and registry never import a capability app (the import contract in pyproject.toml
holds that). Where a lower layer needs an answer only a higher app knows, it asks here, and the app
that knows registers the answer. Every hook fails closed: with no provider, a relation is empty.

Navigation and home panels live beside the shell (``core.context_processors.NAV``/``EXTRA_NAV``/
``NAV_TAIL``/``SHELL_CONTEXT``, ``core.home.HOME_PROVIDERS``); writes have ``core.actions.WRITE_HOOKS``.
"""

from collections.abc import Callable

# ---------------------------------------------------------------- scope relations
# name -> provider(*args) returning a values() subquery of ids (or any iterable of ids).
#   "agency_enterprises": provider(agency_id) — the enterprises an agency serves (services registers it).
#   "enterprise_agency_staff": provider(enterprise_id) — the agency staff an enterprise may see
#       (those on its contracts or present at its visits; services registers it).
SCOPE_RELATIONS: dict[str, Callable] = {}


def register_relation(name: str, provider: Callable) -> None:
    SCOPE_RELATIONS[name] = provider


def related_ids(name: str, *args):
    """The ids the relation ``name`` gives for ``args``; nothing at all when no app provides it."""
    provider = SCOPE_RELATIONS.get(name)
    return provider(*args) if provider is not None else []


# ---------------------------------------------------------------- panels
# ENTERPRISE_PANELS: provider(request, enterprise) -> list of panels for the enterprise's 360° page
# (一企一档, the registry's enterprise detail page), each read through ``visible_to(request.user)``
# and so limited to what the viewer may see of that enterprise. A panel is a dict rendered by
# core/_panel.html: {"key", "title", "figures": [{"key", "label", "value", "url"}],
# "items": [{"text", "url", "meta", "badge"}], "url": the full filtered list, "more": its label}.
# A provider returns [] when the viewer may not see its kind of record at all.
ENTERPRISE_PANELS: list[Callable] = []
# VISIT_PANELS: provider(request, visit) -> {"title", "template", "context"} (e.g. the visit's hazards).
VISIT_PANELS: list[Callable] = []

# ---------------------------------------------------------------- extension points for coming capabilities
# Coverage channels: how a duty reaches an enterprise (a service contract, an insurance policy, an
# association membership, a device). name -> provider(enterprise_ids) returning the covered ids.
COVERAGE_CHANNELS: dict[str, Callable] = {}
# Indicator sources: named figures for dashboards and evaluations (e.g. "hazards.open_major").
# name -> provider(user, **filters) returning a number or a mapping of numbers, read through visible_to.
INDICATOR_SOURCES: dict[str, Callable] = {}

# ---------------------------------------------------------------- autocomplete
# kind -> AutocompleteKind: the records a filter or form chooses by name (``/autocomplete/<kind>/``),
# always read through ``model.objects.visible_to(user)``. Registered by the app that owns the model.


class AutocompleteKind:
    def __init__(self, model, search: tuple[str, ...], order: tuple[str, ...] = ("name", "id"), label=str):
        self.model, self.search, self.order, self.label = model, search, order, label


AUTOCOMPLETE: dict[str, AutocompleteKind] = {}


def register_autocomplete(kind: str, model, search: tuple[str, ...], order=("name", "id"), label=str) -> None:
    AUTOCOMPLETE[kind] = AutocompleteKind(model, search, order, label)
