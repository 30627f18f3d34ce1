"""Excel export: any scoped, filtered queryset to a streamed .xlsx workbook.

Every cell of every workbook we write passes through ``as_text_cell``: text that a spreadsheet
could take for a formula is written as literal text (ADR 0013).
"""

import re
import tempfile

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from .display import display_value

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")

# OWASP CSV/formula injection: a text starting with one of these may be read as a formula by
# Excel or LibreOffice (also after "save as CSV" or an edit of the cell). Full-width forms too:
# some spreadsheet versions normalise them on input.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def as_text_cell(value):
    """A cell value that no spreadsheet evaluates: numbers, dates and booleans stay typed; a text
    that could start a formula gets a leading apostrophe and is written as a string cell, so it
    shows as literal text ("'=HYPERLINK(...)") everywhere. A signed plain number ("-5.0") is left
    alone: it cannot call anything."""
    if not isinstance(value, str) or not value.startswith(FORMULA_TRIGGERS):
        return value
    if PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def from_text_cell(text: str) -> str:
    """The inverse of ``as_text_cell`` for imports: an exported list re-imports as it was."""
    if text.startswith("'") and as_text_cell(text[1:]) == text:
        return text[1:]
    return text


def write_sheet(ws, headers, rows):
    """Append a styled header row and the data rows to a write-only worksheet."""
    from openpyxl.cell import WriteOnlyCell

    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=as_text_cell(str(text)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    ws.append(header_cells)
    for width_col, text in enumerate(headers, start=1):
        ws.column_dimensions[_col_letter(width_col)].width = max(12, min(40, len(str(text)) * 2 + 4))
    for row in rows:
        ws.append([as_text_cell(value) for value in row])


def _col_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)


SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("/\\?*[]:" + "".join(map(chr, range(32))), " "))


def sheet_title(text) -> str:
    """A worksheet title Excel accepts: no ``/ \\ ? * [ ] :`` or control characters, at most 31, not blank.

    Titles carry user data (an enterprise's name in the ledger); openpyxl raises on the forbidden
    characters, so an enterprise named ``A/B`` could never download its own ledger.
    """
    title = " ".join(str(text).translate(SHEET_TITLE_FORBIDDEN).split())[:31].strip("' ")
    return title or "Sheet"


def workbook_response(filename: str, sheets) -> FileResponse:
    """``sheets`` is an iterable of (title, headers, rows); the file streams from a temp file."""
    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=sheet_title(title))
        write_sheet(ws, headers, rows)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(tmp)
    tmp.seek(0)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=f"{filename}-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_queryset(queryset, columns, user, filename: str, title: str) -> FileResponse:
    """Export rows exactly as the user sees them on the page, masking included."""
    headers = [label for _, label in columns]

    def rows():
        for obj in queryset.iterator(chunk_size=2000):
            yield [display_value(obj, name, user) for name, _ in columns]

    return workbook_response(filename, [(title, headers, rows())])
