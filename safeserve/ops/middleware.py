"""django-prometheus' request metrics, tolerant of a malformed Content-Length.

Upstream parses the header with ``int()`` and raises on ``Content-Length: abc``, turning a bad request
(that the view answers with a 400) into a 500. The header is left as it came; only the body-size
metric is skipped for such a request.
"""

from django_prometheus.middleware import PrometheusAfterMiddleware
from django_prometheus.utils import Time


class SafePrometheusAfterMiddleware(PrometheusAfterMiddleware):
    def process_request(self, request):
        try:
            return super().process_request(request)
        except ValueError:
            request.prometheus_after_middleware_event = Time()
            return None
