"""Excel export: any scoped, filtered queryset to an .xlsx workbook that reads as a report.

A list export is a real spreadsheet (docs/decisions/0023-exports.md): a title block (the list's
title, the filter conditions in words, the period, the export time in Asia/Shanghai), then the
header row, frozen, with an autofilter; numbers and dates are typed cells; column widths follow
the content. The file name is Chinese (RFC 6266 ``filename*``) with an ASCII fallback.

Every cell of every workbook we write passes through ``as_text_cell``: text that a spreadsheet
could take for a formula is written as literal text (ADR 0013).
"""

import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .colours import Tone
from .display import export_value

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(color="595959")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTH_SAMPLE = 200  # rows looked at to size the columns (the rest stream without being held)

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


def display_width(value) -> int:
    """Roughly how many character widths a value takes (a Chinese character counts two)."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class Tinted:
    """A cell value written with a ``core.colours.Tone`` fill (the colour its page badge has)."""

    __slots__ = ("tone", "value")

    def __init__(self, value, tone: Tone):
        self.value, self.tone = value, tone


def _typed(ws, value):
    """A write-only cell: dates get a date format (typed, sortable); a ``Tinted`` value its tone's
    fill and text colour; everything else as it is."""
    if isinstance(value, Tinted):
        cell = WriteOnlyCell(ws, value=as_text_cell(value.value))
        cell.fill = PatternFill("solid", fgColor=value.tone.argb)
        cell.font = Font(color=value.tone.text_argb)
        return cell
    value = as_text_cell(value)
    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value


@dataclass
class Sheet:
    """One worksheet: optional title block lines above a frozen, filterable header row."""

    title: str
    headers: list
    rows: object  # an iterable of lists; consumed once, streaming
    heading: list[str] = field(default_factory=list)  # title block: first line bold, then notes


def write_sheet(ws, headers, rows, heading=()):
    """Write the title block, a styled header row and the data rows to a write-only worksheet.

    The header row is frozen and carries the autofilter; columns are sized from the header and
    the first ``WIDTH_SAMPLE`` rows. Returns the number of data rows written.
    """
    rows = iter(rows)
    sample = []
    for row in rows:
        sample.append(row)
        if len(sample) >= WIDTH_SAMPLE:
            break
    ncols = max(1, len(headers))
    for i, text in enumerate(headers):
        widest = max([display_width(text), *(display_width(r[i]) for r in sample if i < len(r) and r[i] is not None)])
        ws.column_dimensions[get_column_letter(i + 1)].width = max(8, min(50, widest + 2))
    header_row = len(heading) + 1
    ws.freeze_panes = f"A{header_row + 1}"
    last_col = get_column_letter(ncols)
    for n, line in enumerate(heading):
        cell = WriteOnlyCell(ws, value=as_text_cell(str(line)))
        cell.font = TITLE_FONT if n == 0 else NOTE_FONT
        cell.alignment = Alignment(vertical="center")
        ws.append([cell])
        if ncols > 1:
            ws.merged_cells.add(f"A{n + 1}:{last_col}{n + 1}")
    header_cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=as_text_cell(str(text)))
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        header_cells.append(cell)
    ws.append(header_cells)
    count = 0
    for row in sample:
        ws.append([_typed(ws, v) for v in row])
        count += 1
    for row in rows:
        ws.append([_typed(ws, v) for v in row])
        count += 1
    if headers:
        ws.auto_filter.ref = f"A{header_row}:{last_col}{header_row + max(count, 1)}"
    return count


SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("/\\?*[]:" + "".join(map(chr, range(32))), " "))


def sheet_title(text) -> str:
    """A worksheet title Excel accepts: no ``/ \\ ? * [ ] :`` or control characters, at most 31, not blank.

    Titles carry user data (an enterprise's name in the ledger); openpyxl raises on the forbidden
    characters, so an enterprise named ``A/B`` could never download its own ledger.
    """
    title = " ".join(str(text).translate(SHEET_TITLE_FORBIDDEN).split())[:31].strip("' ")
    return title or "Sheet"


FILENAME_FORBIDDEN = str.maketrans(dict.fromkeys('/\\?*[]:"<>|;' + "".join(map(chr, range(32))), "_"))


def content_disposition(filename: str, ascii_fallback: str) -> str:
    """RFC 6266 / RFC 5987: ``filename*=UTF-8''<percent-encoded>`` for the Chinese name, and a plain
    ASCII ``filename=`` for clients that do not read ``filename*``."""
    name = " ".join(str(filename).translate(FILENAME_FORBIDDEN).split()) or "export.xlsx"
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_fallback).strip("-") or "export.xlsx"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def export_stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M")


def workbook_response(filename: str, sheets, *, ascii_name: str | None = None) -> FileResponse:
    """``sheets``: ``Sheet`` objects or (title, headers, rows) tuples; the file streams from a temp file.

    ``filename`` may be Chinese (it is the name users see); ``ascii_name`` is the fallback name
    (default: the file name with every non-ASCII run replaced)."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        if not isinstance(sheet, Sheet):
            sheet = Sheet(*sheet)
        ws = wb.create_sheet(title=sheet_title(sheet.title))
        write_sheet(ws, sheet.headers, sheet.rows, sheet.heading)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(tmp)
    tmp.seek(0)
    stamp = export_stamp()
    resp = FileResponse(tmp, content_type=XLSX)
    resp["Content-Disposition"] = content_disposition(
        f"{filename}-{stamp}.xlsx", f"{ascii_name or filename}-{stamp}.xlsx"
    )
    return resp


def heading_lines(title: str, conditions: list[tuple[str, str]] = (), period: str | None = None) -> list[str]:
    """The title block: the title; the filter conditions in words (镇（街道）：城关镇；状态：整改中);
    the period, when the list has one; the export time in the configured time zone."""
    lines = [str(title)]
    words = "；".join(f"{label}：{value}" for label, value in conditions)
    lines.append(_("筛选条件：%(c)s") % {"c": words or _("全部")})
    if period:
        lines.append(_("统计期间：%(p)s") % {"p": period})
    now = timezone.localtime()
    lines.append(_("导出时间：%(t)s（%(tz)s）") % {"t": now.strftime("%Y-%m-%d %H:%M"), "tz": now.tzinfo})
    return lines


def related_paths(model, names) -> tuple[list[str], list[str]]:
    """(select_related paths, prefetch_related paths) that the columns ``names`` read, so that an
    export of 20,000 rows makes a handful of queries instead of one per row and relation."""
    joins, prefetch = set(), set()
    for name in names:
        current, path = model, []
        for part in name.split("__"):
            try:
                f = current._meta.get_field(part)
            except Exception:
                break
            if not f.is_relation:
                break
            path.append(part)
            if f.many_to_many or f.one_to_many:
                prefetch.add("__".join(path))
                break
            current = f.related_model
        else:
            if path and "__".join(path) not in prefetch:
                joins.add("__".join(path))
            continue
        if path and "__".join(path) not in prefetch:
            joins.add("__".join(path))
    return sorted(joins), sorted(prefetch)


def export_queryset(
    queryset,
    columns,
    user,
    filename: str,
    title: str,
    *,
    conditions: list[tuple[str, str]] = (),
    period: str | None = None,
    ascii_name: str | None = None,
    tones=None,
) -> FileResponse:
    """Export rows exactly as the user sees them on the page (masking included), typed.

    ``tones``: {column name: {raw value: Tone}} — those cells get the badge's colour as their fill."""
    headers = [label for _, label in columns]
    tones = {name: {k: v for k, v in m.items() if isinstance(v, Tone)} for name, m in (tones or {}).items()}
    tones = {name: m for name, m in tones.items() if m}

    def value(obj, name):
        shown = export_value(obj, name, user)
        tone = tones[name].get(getattr(obj, name, None)) if name in tones else None
        return Tinted(shown, tone) if tone else shown

    joins, prefetch = related_paths(queryset.model, [name for name, _ in columns])
    if joins:
        queryset = queryset.select_related(*joins)
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)

    def rows():
        for obj in queryset.iterator(chunk_size=2000):
            yield [value(obj, name) for name, _ in columns]

    sheet = Sheet(title, headers, rows(), heading_lines(title, conditions, period))
    return workbook_response(filename, [sheet], ascii_name=ascii_name)
