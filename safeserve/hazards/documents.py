"""隐患整改通知书 (rectification notice) as a PDF in Chinese, rendered by WeasyPrint."""

from django.template.loader import render_to_string
from django.utils import timezone


def notice_number(enterprise, hazards) -> str:
    first = min(h.pk for h in hazards)
    return f"JSAJ-{timezone.localdate():%Y}-{enterprise.pk:05d}-{first:06d}"


def rectification_notice_pdf(*, enterprise, hazards, issuer: str, issuer_org: str = "", visit=None) -> bytes:
    from weasyprint import HTML

    hazards = list(hazards)
    html = render_to_string(
        "hazards/notice.html",
        {
            "enterprise": enterprise,
            "hazards": hazards,
            "issuer": issuer,
            "issuer_org": issuer_org,
            "visit": visit,
            "number": notice_number(enterprise, hazards) if hazards else "",
            "today": timezone.localdate(),
        },
    )
    return HTML(string=html).write_pdf()
