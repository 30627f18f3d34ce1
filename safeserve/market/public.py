"""Public pages cached whole, and answered from the cache before the session stack (ADR 0039).

``public_page`` marks a view as a public page (one source of truth: the middleware serves only views
carrying the mark) and caches its HTML per language and full path, for requests that come with a
session (a signed-in user goes through every middleware as before).

``PublicPageCacheMiddleware`` sits right after the Content-Security-Policy middleware. A GET or HEAD
of a public page from a reader without a session is answered from a cache of the whole response
(body and the headers the inner middleware and the view set: Content-Type, Content-Language, Vary,
X-Frame-Options, Cache-Control), so sessions, locale, CSRF, authentication, messages and axes do not
run for a newspaper's worth of readers. The middleware outside it still runs on every answer: the
Prometheus request counts, the request log line, the security headers and the CSP header. The whole
responses live in the ``portal`` cache, in each process's memory (a hit from there costs half of one
from Redis; docs/benchmarks.md), backed by the default (shared) cache so that a page another worker has
rendered is not rendered again; the HTML cached by ``public_page`` for signed-in readers stays in the
default cache only.
"""

import threading
import time
import zlib
from functools import lru_cache, wraps

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import cache, caches
from django.http import HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils import translation

FAST = "_public_page_fast"  # set on a request whose whole response the middleware caches


def cache_seconds() -> int:
    return settings.SAFESERVE_MARKET["PORTAL_CACHE_SECONDS"]


def public_page(view):
    """Cache a public page's HTML per language and full path for SAFESERVE_MARKET["PORTAL_CACHE_SECONDS"]."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = cache_seconds()
        whole = getattr(request, FAST, False)  # the middleware caches the whole response instead
        key = f"market:page:{translation.get_language()}:{request.get_full_path()}"
        hit = cache.get(key) if seconds and not whole else None
        if hit is not None:
            response = HttpResponse(hit, content_type="text/html; charset=utf-8")
        else:
            response = view(request, *args, **kwargs)
            if seconds and not whole and response.status_code == 200 and not response.cookies:
                response.render() if hasattr(response, "render") else None
                cache.set(key, response.content, seconds)
        if response.status_code == 200:
            response["Cache-Control"] = f"public, max-age={seconds}"
        return response

    wrapped.public_page = True
    return wrapped


def request_language(request) -> str:
    """The language LocaleMiddleware would activate for this request (URL prefix, cookie, Accept-Language)."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, _ = is_language_prefix_patterns_used(urlconf)
    return translation.get_language_from_request(request, check_path=i18n_patterns_used)


def neutral_cookies_only(request) -> bool:
    """Only cookies a public page never reads: the language choice (in the key) and the CSRF token (a
    page using one sets it again, so it is never cached). A session or pending messages: the whole stack."""
    return all(name in (settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME) for name in request.COOKIES)


def is_public_page(request) -> bool:
    """Whether the path resolves to a view marked by ``public_page``. Resolving walks every URL pattern
    (more than the rest of a cache hit costs), so the answer is remembered per resolver and path."""
    return _resolves_to_public_page(get_resolver(getattr(request, "urlconf", None)), request.path_info)


@lru_cache(maxsize=4096)
def _resolves_to_public_page(resolver, path_info: str) -> bool:
    try:
        return getattr(resolver.resolve(path_info).func, "public_page", False)
    except Resolver404:
        return False


LOCKS = tuple(threading.Lock() for _ in range(64))  # striped by key: one render per page at a time


def _lock_for(key: str) -> threading.Lock:
    return LOCKS[zlib.crc32(key.encode()) % len(LOCKS)]


class PublicPageCacheMiddleware:
    """Two tiers: this process's memory (``portal``), then the shared cache, so a page is rendered about
    once per period for all the workers, not once per worker. An entry is kept in memory twice as long
    as it is fresh. When it has gone stale, the first request renders the page again while the others
    in this process get the stale copy; when there is no copy at all, the others wait for that one
    render (at most ``WAIT`` seconds) instead of each rendering the same page. Without this, the
    directory expiring under 200 requests a second was rendered by every thread at once and stalled
    the process for a second (docs/benchmarks.md)."""

    WAIT = 10

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = cache_seconds()
        if (
            not seconds
            or request.method not in ("GET", "HEAD")
            or not neutral_cookies_only(request)
            or not is_public_page(request)
        ):
            return self.get_response(request)
        request.get_host()  # a Host outside ALLOWED_HOSTS is a 400 here too (CommonMiddleware checks it later)
        key = f"market:response:{request_language(request)}:{request.get_full_path()}"
        pages = caches["portal"]
        hit = pages.get(key)
        if hit is not None and hit[2] > time.time():
            return self._answer(hit)
        lock = _lock_for(key)
        if hit is not None:  # stale: refresh once, serve the stale copy meanwhile
            if not lock.acquire(blocking=False):
                return self._answer(hit)
        elif not lock.acquire(timeout=self.WAIT):
            return self._render(request, key, pages, seconds)
        try:
            hit = pages.get(key)
            if hit is not None and hit[2] > time.time():  # rendered while this request waited
                return self._answer(hit)
            shared = cache.get(key)  # rendered by another process (the shared cache: Redis at scale)
            if shared is not None and shared[2] > time.time():
                pages.set(key, shared, 2 * seconds)
                return self._answer(shared)
            return self._render(request, key, pages, seconds)
        finally:
            lock.release()

    @staticmethod
    def _answer(hit) -> HttpResponse:
        content, headers, _ = hit
        response = HttpResponse(content)
        for name, value in headers:
            response.headers[name] = value
        return response

    def _render(self, request, key, pages, seconds):
        setattr(request, FAST, True)
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and not response.cookies
            and not response.streaming
            and response.get("Cache-Control", "").startswith("public")
        ):
            entry = (response.content, list(response.items()), time.time() + seconds)
            pages.set(key, entry, 2 * seconds)
            cache.set(key, entry, seconds)
        return response
