"""core.fasturl: the same URL as ``reverse`` and Django's ``{% url %}``, for every route of SafeServe."""

import pytest
from django.template import Context, Engine, Template
from django.urls import URLPattern, URLResolver, get_resolver, reverse, set_script_prefix

from safeserve.core import fasturl
from safeserve.core.fasturl import reverse_ints


def routes(resolver=None, ns=""):
    """(view name, number of arguments) of every named route."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from routes(p, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}", len(p.pattern.converters)


ALL = sorted(set(routes()))


def test_there_are_routes_with_integer_arguments():
    assert sum(1 for _, n in ALL if n) > 100


@pytest.mark.parametrize("prefix", ["/", "/safeserve/"])
def test_every_route_reverses_the_same_for_many_integers(prefix):
    set_script_prefix(prefix)
    fasturl._shape.cache_clear()
    try:
        checked = 0
        for name, n in ALL:
            if not n:
                continue
            for args in ([1] * n, [42 + i for i in range(n)], [2026] * n, [123456789] * n):
                try:
                    expected = reverse(name, args=args)
                except Exception:  # a route that refuses these integers must refuse on the fast path too
                    with pytest.raises(Exception):  # noqa: B017
                        reverse_ints(name, *args)
                    continue
                assert reverse_ints(name, *args) == expected, (name, args)
                checked += 1
        assert checked > 300
        fast = [name for name, n in ALL if n and fasturl._shape(name, n, None, prefix, None) is not None]
        assert len(fast) > 100  # the fast path is taken, not only correct when it falls back
    finally:
        set_script_prefix("/")


def test_a_converter_that_rewrites_integers_is_not_taken_on_the_fast_path():
    from django.urls import path, register_converter

    class Padded:
        regex = "[0-9]+"

        def to_python(self, value):
            return int(value)

        def to_url(self, value):
            return f"{value:04d}"

    register_converter(Padded, "padded4")
    urlconf = type("U", (), {"urlpatterns": [path("p/<padded4:n>/", lambda r, n: None, name="padded")]})
    assert fasturl._shape("padded", 1, urlconf, "/", None) is None
    assert reverse("padded", args=[7], urlconf=urlconf) == "/p/0007/"


def test_the_url_tag_writes_what_django_s_writes():
    ours = Template(
        "{% url 'registry:enterprise_detail' a %}|{% url 'hazards:hazard_detail' b %}|"
        "{% url 'registry:enterprise_detail' s %}|{% url 'home' %}|{% url 'no-such-route' a as x %}[{{ x }}]"
    )
    django = Engine(builtins=[]).from_string(ours.source)  # Django's own tags only
    assert {type(n).__name__ for n in ours.nodelist} >= {"FastURLNode"}
    assert "FastURLNode" not in {type(n).__name__ for n in django.nodelist}
    ctx = {"a": 5, "b": 77, "s": "12"}
    assert ours.render(Context(ctx)) == django.render(Context(ctx))
    assert ours.render(Context(ctx)).startswith("/registry/enterprises/5/")
