"""Chinese typography on every page: full-width punctuation in Chinese text (镇（街道）), no Django
"---------" in a select (forms say 请选择, filters 全部)."""

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


def test_chinese_text_takes_full_width_punctuation():
    """Templates, Chinese string literals (choices, messages) and the catalogue's msgids follow the
    rule of safeserve_dev/typography.py; `python -m safeserve_dev.typography` fixes them."""
    from safeserve_dev import typography as t

    half = "镇(街道)安监办:数值 %(v)s(阈值 %(th)s),首次"  # typography: keep
    assert t.fix_text(half) == "镇（街道）安监办：数值 %(v)s（阈值 %(th)s），首次"
    latin = "12:30 导出Excel a,b 1,000个 %(n)s 条"
    assert t.fix_text(latin) == latin
    assert [str(p.relative_to(t.ROOT)) for p in t.files_needing_fix()] == []
