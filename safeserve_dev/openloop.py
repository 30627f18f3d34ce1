"""An open-loop HTTP load generator for anonymous pages (`python -m safeserve_dev.portal_bench`).

Why not only locust: locust is closed-loop (a simulated user waits for its answer before it asks
again), so a slow server is offered fewer requests and the waiting it causes is never counted
("coordinated omission"); and on this 2-core machine, locust with 200 users added 40–80 ms to the
median of a server that answers in 1 ms (docs/benchmarks.md). Here each of READERS kept-alive
connections asks for pages at the moments of a Poisson process (RATE / READERS a second each), and
a request's latency is measured from the moment it was *due*, so queueing in front of a busy server
or a busy connection counts in full. One asyncio loop, raw HTTP/1.1: a few per cent of one core.
"""

import asyncio
import random
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=dict)  # page -> ms, from the due moment
    failures: dict[str, int] = field(default_factory=dict)  # page -> non-200 answers or broken connections
    reconnects: int = 0
    elapsed: float = 0.0
    late_starts: int = 0  # requests that left later than due because their connection was still busy

    def count(self, page: str) -> int:
        return len(self.latencies.get(page, ())) + self.failures.get(page, 0)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return (status, keep the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            close = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, not close


async def _reader(base, pick, rate_each, until, result, rng):
    parts = urlsplit(base)
    host, port = parts.hostname, parts.port or 80
    conn = None
    due = time.monotonic() + rng.expovariate(rate_each)
    while due < until:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.001:
            result.late_starts += 1
        page, path = pick(rng)
        request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: safeserve-openloop\r\n\r\n".encode()
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: one fresh try
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                    if attempt == 2:
                        result.reconnects += 1
                r, w = conn
                w.write(request)
                status, keep = await _read_response(r)
                break
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                if conn is not None:
                    conn[1].close()
                conn = None
                status, keep = None, False
        ms = (time.monotonic() - due) * 1000
        if status == 200:
            result.latencies.setdefault(page, []).append(ms)
        else:
            result.failures[page] = result.failures.get(page, 0) + 1
        if not keep and conn is not None:
            conn[1].close()
            conn = None
        due += rng.expovariate(rate_each)
    if conn is not None:
        conn[1].close()


def run(base: str, pick, *, rate: float, readers: int, duration: float, seed: int = 1) -> Result:
    """Offer RATE requests a second for DURATION seconds over READERS connections; ``pick(rng)``
    returns (page name, path) for each request."""
    result = Result()

    async def main():
        until = time.monotonic() + duration
        master = random.Random(seed)
        rngs = [random.Random(master.random()) for _ in range(readers)]
        t0 = time.monotonic()
        await asyncio.gather(*(_reader(base, pick, rate / readers, until, result, rngs[i]) for i in range(readers)))
        result.elapsed = time.monotonic() - t0

    # In a thread of its own: the caller's thread may already run an event loop (a test process that
    # drives a browser through Playwright's sync API does).
    failure = []

    def loop():
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller
            failure.append(exc)

    worker = threading.Thread(target=loop, name="openloop")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result
