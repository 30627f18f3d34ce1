"""gunicorn's master warms SafeServe before forking its workers (deploy/gunicorn.conf.py, when_ready)."""

import runpy
from pathlib import Path

from django.template import engines

from safeserve.ops.warmup import template_names, warm

ROOT = Path(__file__).resolve().parents[3]


def test_warm_compiles_every_template_into_the_cached_loader():
    engine = engines["django"]
    names = template_names(engine)
    assert "market/portal.html" in names and "base.html" in names
    figures = warm()
    assert figures["templates"] >= len(names) - 5  # a handful of files may not be templates of this engine
    loader = engine.engine.template_loaders[0]
    assert type(loader).__name__ == "Loader" and loader.__module__.endswith("cached")
    cached = set(loader.get_template_cache)
    assert {"market/portal.html", "market/directory.html", "base.html"} <= cached


def test_the_gunicorn_config_preloads_and_warms():
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert conf["preload_app"] is True
    assert conf["max_requests"] >= 50_000 and conf["max_requests_jitter"] > 0
    assert callable(conf["when_ready"])


def test_idle_connections_outlast_a_proxy_and_a_pause_between_pages(monkeypatch):
    """With keepalive 5 s, a client sending just as gunicorn closed an idle connection got no answer
    (status 0 in the load test). The wait must outlast nginx's upstream idle timeout (60 s)."""
    monkeypatch.delenv("WEB_KEEPALIVE", raising=False)
    conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    assert conf["keepalive"] > 60
    monkeypatch.setenv("WEB_KEEPALIVE", "30")
    assert runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))["keepalive"] == 30
