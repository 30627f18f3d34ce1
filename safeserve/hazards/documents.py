"""Rectification documents (整改文书) as PDFs rendered by WeasyPrint, always in Chinese.

Rendering happens once, when a document is issued (``actions.hazard_issue_notice``); the stored
bytes are what every later download serves (docs/decisions/0022-issued-documents.md)."""

from django.template.loader import render_to_string
from django.utils import translation

from .choices import NoticeKind

TITLES = {
    NoticeKind.ORDER: "责令限期整改通知书",
    NoticeKind.ADVICE: "隐患整改建议书",
    NoticeKind.SELF_PLAN: "自查隐患整改计划",
}
# The word in the document number after the issuer's name: 县应急管理局责改〔2026〕1号.
NUMBER_WORDS = {NoticeKind.ORDER: "责改", NoticeKind.ADVICE: "隐患告知", NoticeKind.SELF_PLAN: "自查整改"}


def notice_number(*, kind: str, issuer_org: str, year: int, seq: int) -> str:
    return f"{issuer_org}{NUMBER_WORDS[kind]}〔{year}〕{seq}号"


def render_notice_pdf(
    *, kind: str, number: str, enterprise, hazards, issuer_name: str, issuer_org: str, issued_on, visit=None
) -> bytes:
    """The PDF of one document. A legal document: Chinese whatever the reader's UI language."""
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(
            "hazards/notice.html",
            {
                "kind": kind,
                "title": TITLES[kind],
                "enterprise": enterprise,
                "hazards": list(hazards),
                "issuer": issuer_name,
                "issuer_org": issuer_org,
                "visit": visit,
                "number": number,
                "issued_on": issued_on,
            },
        )
        return HTML(string=html).write_pdf()
