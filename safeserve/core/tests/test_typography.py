"""Chinese typography on every page: no Django "---------" in a select (forms say 请选择, filters 全部)."""

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver

from safeserve.core.forms import EmptyChoiceLabelMixin

SKIP_PREFIXES = ("api/", "admin/", "i18n/", "accounts/logout/")


def parameterless_routes(patterns=None, prefix=""):
    """Every named page route without URL arguments (lists, add forms, dashboards)."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from parameterless_routes(p.url_patterns, route)
        elif isinstance(p, URLPattern) and "<" not in route and not route.startswith(SKIP_PREFIXES):
            yield "/" + route.lstrip("^").rstrip("$")


def test_every_project_form_labels_its_empty_choice():
    """Every form class of the project goes through a base that relabels the empty choice."""
    import safeserve.urls  # noqa: F401  (imports every app's views, hence forms)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    from django.contrib.auth.forms import AuthenticationForm

    ours = {
        c for c in subclasses(forms.BaseForm) if c.__module__.startswith("safeserve.") and ".tests" not in c.__module__
    }
    assert len(ours) > 20
    strays = [c for c in ours if not issubclass(c, EmptyChoiceLabelMixin | AuthenticationForm)]
    assert strays == []


@pytest.mark.parametrize("persona", ["county", "agency_a"])
def test_no_dashes_in_any_select(client_for, persona):
    client = client_for(persona)
    seen = 0
    for url in parameterless_routes():
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        seen += 1
        assert "---------" not in response.content.decode(), url
    assert seen > 10
