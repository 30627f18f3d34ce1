"""Site-wide response headers (CSP, nosniff) and no static media, in every mode (issue 8 items 1 and 11)."""

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import clear_url_caches, get_resolver, reverse

from safeserve.core.middleware import csp_header_value

SOURCE = Path(settings.BASE_DIR) / "safeserve"


def test_the_policy_forbids_inline_script_plugins_and_framing():
    policy = settings.SAFESERVE_CSP
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"] and "'unsafe-eval'" not in " ".join(policy["script-src"])
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    assert settings.SECURE_CONTENT_TYPE_NOSNIFF is True


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("county", "/"),
        ("anon", "/accounts/login/"),
        ("county", "/registry/enterprises/"),
        ("county", "/registry/enterprises/export.xlsx"),
        ("county", "/api/v1/registry/towns/"),
    ],
)
def test_every_response_carries_the_policy_and_nosniff(client_for, persona, url):
    resp = client_for(persona).get(url)
    assert resp.status_code == 200, url
    assert resp["Content-Security-Policy"] == csp_header_value(settings.SAFESERVE_CSP)
    assert resp["X-Content-Type-Options"] == "nosniff"


def test_api_docs_page_loads_its_script_from_a_url(client_for):
    resp = client_for("county").get("/api/docs/")
    html = resp.content.decode()
    assert resp.status_code == 200 and "<style>" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script = re.search(r'<script src="([^"]*script[^"]*)"', html).group(1).replace("&amp;", "&")
    js = client_for("county").get(script)
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


INLINE_SCRIPT = re.compile(r'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>', re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def test_no_template_has_inline_script_or_event_handlers():
    """The CSP refuses them: behaviour lives in safeserve/static/js, data in data-* or json_script."""
    found = []
    for path in SOURCE.rglob("templates/**/*.html"):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            for m in pattern.finditer(text):
                found.append(f"{path.relative_to(SOURCE)}: {m.group(0)[:60]}")
    assert found == []


def test_pages_render_without_inline_script(client_for, world):
    for url in ("/", "/registry/enterprises/", reverse("password_change")):
        html = client_for("county").get(url).content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert '"includeIndicatorStyles": false' in html


@pytest.fixture
def reload_urls(settings):
    """Rebuild the URLconf under the given DEBUG (urls.py reads it at import), and restore it after."""
    import safeserve.urls

    def load(debug):
        settings.DEBUG = debug
        importlib.reload(safeserve.urls)
        clear_url_caches()
        return get_resolver()

    yield load
    settings.DEBUG = False
    importlib.reload(safeserve.urls)
    clear_url_caches()


@pytest.mark.parametrize("debug", [True, False])
def test_media_is_never_served_statically(world, client_for, settings, tmp_path, reload_urls, debug):
    from safeserve.hazards import actions
    from safeserve_dev.services_fixtures import png

    settings.MEDIA_ROOT = tmp_path / "media"
    hazard = actions.hazard_report(
        actor=world.user("town_a"),
        enterprise=world["ent_a"],
        location="配电房",
        description="线缆裸露",
        responsible_person="李四",
        photos=[png()],
    )
    stored = hazard.photos.get().file
    assert (settings.MEDIA_ROOT / stored.name).exists()
    resolver = reload_urls(debug)
    assert not [p for p in resolver.url_patterns if "media" in str(p.pattern)]
    for persona in ("anon", "town_b", "county"):
        resp = client_for(persona).get(f"/{settings.MEDIA_URL}{stored.name}")
        assert resp.status_code == 404, (debug, persona, resp.status_code)
    # The scoped view still serves it to those who may see the hazard.
    assert client_for("town_a").get(reverse("hazards:hazard_photo", args=[hazard.photos.get().pk])).status_code == 200
