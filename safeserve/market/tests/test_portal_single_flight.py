"""The portal's whole-response cache under many readers (safeserve.market.public): an expired or
missing page is rendered once, not by every thread at once; a stale copy is served while one thread
renders it again; a page another worker rendered (the shared cache) is not rendered again."""

import threading
import time

import pytest
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.test import RequestFactory

from safeserve.market import public
from safeserve.market.public import PublicPageCacheMiddleware, _lock_for

KEY = "market:response:zh-hans:/portal/"


@pytest.fixture(autouse=True)
def fresh_caches(settings):
    settings.SAFESERVE_MARKET = {**settings.SAFESERVE_MARKET, "PORTAL_CACHE_SECONDS": 60}
    caches["portal"].clear()
    cache.clear()
    yield
    caches["portal"].clear()
    cache.clear()


class SlowPage:
    """Stands in for the inner middleware and the view: counts its renders, each taking a while."""

    def __init__(self, seconds=0.3):
        self.renders = 0
        self.seconds = seconds
        self.lock = threading.Lock()

    def __call__(self, request):
        with self.lock:
            self.renders += 1
            n = self.renders
        time.sleep(self.seconds)
        response = HttpResponse(f"render {n}")
        response["Cache-Control"] = "public, max-age=60"
        return response


def readers(middleware, n=8):
    out = [None] * n

    def read(i):
        out[i] = middleware(RequestFactory().get("/portal/", HTTP_ACCEPT_LANGUAGE="zh-hans")).content

    threads = [threading.Thread(target=read, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def test_readers_arriving_together_on_an_empty_cache_wait_for_one_render():
    page = SlowPage()
    answers = readers(PublicPageCacheMiddleware(page))
    assert page.renders == 1
    assert answers == [b"render 1"] * 8


def test_a_stale_page_is_served_while_one_thread_renders_it_again():
    caches["portal"].set(KEY, (b"old", [("Cache-Control", "public, max-age=60")], time.time() - 1), 120)
    page = SlowPage()
    mw = PublicPageCacheMiddleware(page)
    lock = _lock_for(KEY)
    assert lock.acquire(blocking=False)  # another thread is rendering it now
    try:
        answers = readers(mw)
    finally:
        lock.release()
    assert page.renders == 0 and answers == [b"old"] * 8
    # The next reader finds the lock free: it renders, and everyone after it gets the new page.
    assert readers(mw, 1) == [b"render 1"]
    assert readers(mw, 4) == [b"render 1"] * 4 and page.renders == 1


def test_readers_arriving_together_on_a_stale_page_render_it_once():
    caches["portal"].set(KEY, (b"old", [("Cache-Control", "public, max-age=60")], time.time() - 1), 120)
    page = SlowPage()
    answers = readers(PublicPageCacheMiddleware(page))
    assert page.renders == 1
    assert sorted(set(answers)) == [b"old", b"render 1"]


def test_a_page_another_worker_rendered_is_taken_from_the_shared_cache():
    cache.set(KEY, (b"from another worker", [("Cache-Control", "public, max-age=60")], time.time() + 30), 60)
    page = SlowPage(0)
    assert readers(PublicPageCacheMiddleware(page), 2) == [b"from another worker"] * 2
    assert page.renders == 0
    assert caches["portal"].get(KEY)[0] == b"from another worker"


def test_an_expired_copy_in_the_shared_cache_is_not_used():
    cache.set(KEY, (b"expired", [("Cache-Control", "public, max-age=60")], time.time() - 1), 60)
    page = SlowPage(0)
    assert readers(PublicPageCacheMiddleware(page), 1) == [b"render 1"]


def test_a_reader_waits_at_most_wait_seconds_for_someone_else_s_render(monkeypatch):
    monkeypatch.setattr(PublicPageCacheMiddleware, "WAIT", 0.2)
    page = SlowPage(0)
    lock = _lock_for(KEY)
    assert lock.acquire(blocking=False)  # a render that never finishes
    try:
        t0 = time.monotonic()
        assert readers(PublicPageCacheMiddleware(page), 1) == [b"render 1"]
        assert time.monotonic() - t0 < 2
    finally:
        lock.release()
    assert public.LOCKS  # striped locks, a fixed number whatever the number of paths
