"""Response headers every page carries: the Content-Security-Policy (ADR 0010)."""

from django.conf import settings


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
