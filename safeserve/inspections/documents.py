"""现场检查记录 as a PDF rendered by WeasyPrint (as hazards/documents.py), always in Chinese."""

from django.template.loader import render_to_string
from django.utils import translation


def render_record_pdf(inspection) -> bytes:
    from weasyprint import HTML

    with translation.override("zh-hans"):
        html = render_to_string(
            "inspections/record_pdf.html",
            {"i": inspection, "hazards": list(inspection.hazards.order_by("pk"))},
        )
        return HTML(string=html).write_pdf()
