"""gunicorn for `make serve` and production (docs/decisions/0037-serving-stack.md).

Everything comes from the environment so one file serves a laptop and a county server:
  HOST / PORT            where to listen (default 127.0.0.1:8000)
  WEB_CONCURRENCY        worker processes (default: 2 per core, at least 2, at most 8)
  WEB_THREADS            threads per worker (default 4: pages wait on the database more than on the CPU)
  WEB_TIMEOUT            seconds before a stuck worker is replaced (default 60)
  WEB_KEEPALIVE          seconds an idle keep-alive connection stays open (default 75: longer than a
                         proxy's own idle timeout, nginx's 60 s)
  WEB_MAX_REQUESTS       requests after which a worker is replaced (default 100,000; 0: never)
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, min(8, 2 * multiprocessing.cpu_count())))))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
# Idle keep-alive connections wait in gthread's poller, not in a thread, so a long wait is cheap. It must
# outlast the idle time of whatever reuses the connections: a proxy in front (nginx's upstream keepalive
# closes idle ones at 60 s) or a phone between two pages. With 5 s, a client sending just as gunicorn
# closed an idle connection got no answer at all (status 0 in the load test, about 1 request in 500).
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
# Load SafeServe once in the master and fork the workers from it: a worker that is replaced starts
# at once instead of importing Django again (about 2 s of CPU each, with its caches cold). Nothing
# opens a database connection or a thread at import, so nothing is shared across the fork. The cost:
# `kill -HUP` no longer loads new code; restart the service to deploy (docs/deployment.md).
preload_app = True
# Recycle workers now and then so a slow leak in a library never becomes an outage. Rarely: at 200
# requests a second, 5,000 replaced a worker every 100 s, and each replacement stalled the readers on
# its connections (docs/benchmarks.md).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# Requests are logged by SafeServe itself, one line each with latency and user (safeserve.ops.requestlog).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "warning")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "safeserve-web"


def when_ready(server):
    """The master has loaded SafeServe (preload_app): compile the templates and load the translations
    once, before the workers are forked, so none of them does it during its first requests."""
    from safeserve.ops.warmup import warm

    figures = warm()
    server.log.info("warmed %(templates)s templates in %(seconds)s s", figures)
