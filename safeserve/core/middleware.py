"""Response headers every page carries (the Content-Security-Policy, ADR 0010) and friendly error pages."""

from django.conf import settings
from django.http import HttpResponse


def csp_header_value(policy: dict) -> str:
    return "; ".join(" ".join([directive, *sources]) for directive, sources in policy.items())


class ContentSecurityPolicyMiddleware:
    """Adds ``settings.SAFESERVE_CSP`` to every response that has not set its own policy.

    With ``SAFESERVE_CSP_REPORT_ONLY`` the browser only reports violations (for trying a stricter policy).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = csp_header_value(settings.SAFESERVE_CSP)
        self.header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "SAFESERVE_CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and self.header not in response:
            response[self.header] = self.value
        return response


# Django's technical 404/500 pages (DEBUG) all carry this tag; friendly pages never do.
TECHNICAL_PAGE_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'
FRIENDLY_TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html", 500: "500.html"}


class FriendlyErrorPagesMiddleware:
    """Django's technical error pages never reach a user, even when DEBUG is on (``make run``).

    With DEBUG off Django already renders our 400/403/404/500 templates. With DEBUG on (the demo)
    it would answer a missing record or an exception with its yellow technical page, listing URL
    patterns, settings and source: this replaces such a page with the same friendly one (same
    status code; the traceback still goes to the console log). A developer who wants Django's pages
    sets ``SAFESERVE_DEBUG_ERROR_PAGES=1``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.active = settings.DEBUG and not getattr(settings, "SAFESERVE_DEBUG_ERROR_PAGES", False)

    def __call__(self, request):
        response = self.get_response(request)
        if not self.active or response.status_code < 400 or response.streaming:
            return response
        if TECHNICAL_PAGE_MARK not in response.content[:2000]:
            return response
        from django.template import loader

        status = response.status_code
        name = FRIENDLY_TEMPLATES.get(status, "500.html" if status >= 500 else "400.html")
        # 403/404 use the full shell (a signed-in user keeps the menu); 400/500 render without a request.
        content = loader.render_to_string(name, request=request if status in (403, 404) else None)
        friendly = HttpResponse(content, status=status)
        return friendly
