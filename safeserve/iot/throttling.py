"""Rate limits of the HTTP telemetry door, counted in Django's cache.

Two budgets, both per minute (sliding window):

- **accepted requests per device code** (``HTTP_MAX_REQUESTS_PER_MINUTE``): only requests the
  pipeline accepted (status 200) count, so nobody can use up a device's budget by sending its code
  with a wrong secret;
- **refused requests per client address** (``HTTP_MAX_REFUSED_PER_MINUTE``): unknown code, wrong
  secret, disabled device, malformed or oversized payload. Each refusal costs a database lookup and
  a dead-letter row; over the budget the address gets 429 before the pipeline runs, whatever code
  it sends.

A request over either budget is answered 429 before its body is read; it reaches neither the
pipeline nor the dead-letter list. The check and the count are separate cache operations, so
concurrent requests can overshoot a budget by at most the number of requests in flight.

The counters live in the ``default`` cache. The default cache is per process (locmem): with
several web processes each one counts on its own, so a client gets up to N times the budget. Set
``SAFESERVE_CACHE_URL`` (Redis) to share them; ``incr`` is atomic there. If the cache fails, the
door stays open (logged): telemetry matters more than the limit.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .models import iot_setting

log = logging.getLogger(__name__)
WINDOW = 60  # seconds


class SlidingWindow:
    """A counter per key over a sliding window, estimated from two fixed windows (current and previous).

    estimate(t) = previous × (share of the previous window still inside [t − window, t]) + current.
    Two cache keys per identity, one atomic ``incr`` per counted request, no per-request list.
    """

    def __init__(self, name: str, limit: int, window: int = WINDOW):
        self.name, self.limit, self.window = name, limit, window

    def _key(self, ident: str, index: int) -> str:
        digest = hashlib.blake2b(ident.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
        return f"iot:rl:{self.name}:{digest}:{index}"

    def keys(self, ident: str, now: float) -> tuple[str, str]:
        index = int(now // self.window)
        return self._key(ident, index - 1), self._key(ident, index)

    def wait(self, counts: dict, ident: str, now: float) -> int:
        """Seconds until one more request fits (0: it fits now), from the counts read in ``counts``."""
        if not self.limit or self.limit <= 0:
            return 0
        prev_key, cur_key = self.keys(ident, now)
        prev, cur = counts.get(prev_key, 0), counts.get(cur_key, 0)
        start = (now // self.window) * self.window
        share = 1 - (now - start) / self.window  # of the previous window still counted
        if prev * share + cur + 1 <= self.limit:
            return 0
        room = self.limit - 1 - cur
        if room >= 0 and prev > 0:
            # Later in this window the previous window's weight falls to ``room``.
            at = start + self.window * (1 - room / prev)
        else:
            # Only in the next window, as this window's count fades.
            at = start + self.window * (2 - (self.limit - 1) / cur)
        return max(1, math.ceil(round(at - now, 6)))

    def hit(self, ident: str, now: float) -> None:
        if not self.limit or self.limit <= 0:
            return
        key = self.keys(ident, now)[1]
        timeout = 2 * self.window + 5
        cache.add(key, 0, timeout)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout)


class TelemetryThrottle:
    """The two budgets of ``POST /api/v1/telemetry``: ``wait()`` before the pipeline, ``record()`` after."""

    def __init__(self):
        self.device = SlidingWindow("dev", iot_setting("HTTP_MAX_REQUESTS_PER_MINUTE"))
        self.refused = SlidingWindow("ip", iot_setting("HTTP_MAX_REFUSED_PER_MINUTE"))

    @staticmethod
    def client_ident(request) -> str:
        """The client address as DRF's throttles see it (``NUM_PROXIES`` decides about X-Forwarded-For)."""
        return BaseThrottle().get_ident(request) or ""

    def wait(self, *, code: str, ip: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        keys = [*self.refused.keys(ip, now)]
        if code:
            keys += self.device.keys(code, now)
        try:
            counts = cache.get_many(keys)
        except Exception:
            log.warning("iot throttle: cache unavailable, not limiting", exc_info=True)
            return 0
        waits = [self.refused.wait(counts, ip, now)]
        if code:
            waits.append(self.device.wait(counts, code, now))
        return max(waits)

    def record(self, *, code: str, ip: str, accepted: bool, now: float | None = None) -> None:
        now = time.time() if now is None else now
        try:
            if accepted:
                self.device.hit(code, now)
            else:
                self.refused.hit(ip, now)
        except Exception:
            log.warning("iot throttle: cache unavailable, request not counted", exc_info=True)
