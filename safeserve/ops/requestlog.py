"""One log line per request: method, path, status, latency, user id (and JSON when asked).

``SAFESERVE_REQUEST_LOG`` turns it on (on by default when DEBUG is off); ``SAFESERVE_LOG_JSON=1``
formats every log record as one JSON object per line for a log shipper. Query strings are not
logged (they may carry search terms about people); user ids, not names.
"""

import json
import logging
import time

log = logging.getLogger("safeserve.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        t0 = time.perf_counter()
        response = self.get_response(request)
        ms = (time.perf_counter() - t0) * 1000
        user = getattr(request, "user", None)
        uid = user.pk if user is not None and user.is_authenticated else None
        log.info(
            "%s %s %s %.1fms user=%s",
            request.method,
            request.path,
            response.status_code,
            ms,
            uid if uid is not None else "-",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "latency_ms": round(ms, 1),
                "user_id": uid,
            },
        )
        return response


class JsonFormatter(logging.Formatter):
    FIELDS = ("method", "path", "status", "latency_ms", "user_id")

    def format(self, record):
        body = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            if hasattr(record, name):
                body[name] = getattr(record, name)
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)
