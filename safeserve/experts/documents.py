"""The expert opinion (专家意见书) as a PDF rendered by WeasyPrint, always in Chinese, once, when the
expert submits it; the stored bytes are what every later download serves (as hazards/documents.py)."""

from django.template.loader import render_to_string
from django.utils import timezone, translation


def render_opinion_pdf(*, job, findings) -> bytes:
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(
            "experts/opinion.html",
            {
                "job": job,
                "request": job.request,
                "enterprises": list(job.request.enterprises.all()),
                "findings": findings,
                "signed_on": timezone.localdate(job.finished_at),
            },
        )
        return HTML(string=html).write_pdf()
