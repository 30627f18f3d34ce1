"""gunicorn for `make serve` and production (docs/decisions/0037-serving-stack.md).

Everything comes from the environment so one file serves a laptop and a county server:
  HOST / PORT            where to listen (default 127.0.0.1:8000)
  WEB_CONCURRENCY        worker processes (default: 2 per core, at least 2, at most 8)
  WEB_THREADS            threads per worker (default 4: pages wait on the database more than on the CPU)
  WEB_TIMEOUT            seconds before a stuck worker is replaced (default 60)
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, min(8, 2 * multiprocessing.cpu_count())))))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so a slow leak in a library never becomes an outage.
max_requests = 5000
max_requests_jitter = 500
# Requests are logged by SafeServe itself, one line each with latency and user (safeserve.ops.requestlog).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "warning")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "safeserve-web"
