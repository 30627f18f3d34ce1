"""The written listing decision (列入严重失信主体名单决定书) as a PDF rendered by WeasyPrint, once, when
the decision is made; the stored bytes are what every later download serves."""

from django.template.loader import render_to_string
from django.utils import translation


def decision_number(*, issuer: str, year: int, seq: int) -> str:
    return f"{issuer}失信决〔{year}〕{seq}号"


def render_decision_pdf(*, listing, number: str, issuer: str, decided_on, expires_on) -> bytes:
    """A legal document: Chinese whatever the reader's UI language."""
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(
            "credit/decision.html",
            {
                "listing": listing,
                "number": number,
                "issuer": issuer,
                "decided_on": decided_on,
                "expires_on": expires_on,
            },
        )
        return HTML(string=html).write_pdf()
