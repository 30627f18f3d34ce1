"""The assessment report (考核结果通报) as a PDF rendered by WeasyPrint, always in Chinese."""

from django.template.loader import render_to_string
from django.utils import translation


def render_report_pdf(*, assessment, sheets, scores_by_sheet, count: int) -> bytes:
    from weasyprint import HTML

    from .queries import figure_text

    for sheet in sheets:
        sheet.report_scores = scores_by_sheet.get(sheet.pk, [])
        for sc in sheet.report_scores:
            sc.figure = figure_text(sc)
    with translation.override("zh-hans"):
        html = render_to_string(
            "assessment/report.html",
            {"assessment": assessment, "sheets": sheets, "scores_by_sheet": scores_by_sheet, "count": count},
        )
        return HTML(string=html).write_pdf()
