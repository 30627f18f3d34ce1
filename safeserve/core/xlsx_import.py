"""The shared reading half of the all-or-nothing .xlsx imports (行政处罚, 安责险保单, ...).

An import reads the first sheet against its column table ``[(header, key, required), ...]``, checks
every row, and either creates every row or none. Each problem names the row and the column in
Chinese (``RowError``); a problem with the file itself (empty, too large, not an .xlsx, a missing
required column) is one ``RowError`` without a row. The app's own ``validate`` turns the cells
into model data; ``cell_text`` and ``choice_labels`` are what every such validator needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from .excel import from_text_cell
from .identity import normalize_text
from .uploads import check_xlsx


@dataclass(frozen=True)
class RowError:
    row: int | None
    column: str
    reason: str

    def display(self) -> str:
        if self.row is None:
            return self.reason
        return _("第 %(row)d 行，字段「%(column)s」：%(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


class FileError(Exception):
    pass


def header_key(text) -> str:
    return re.sub(r"[\s*()（）]", "", normalize_text(str(text or "")))


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return from_text_cell(normalize_text(str(value)))


def choice_labels(choices) -> dict[str, str]:
    """Chinese label -> stored value, whatever the request's language."""
    with translation.override("zh-hans"):
        return {normalize_text(str(label)): value for value, label in choices}


def is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=")


def open_workbook(path, *, max_bytes: int):
    """The uploaded .xlsx opened read-only (formulas as written), after the size and format checks;
    FileError with a Chinese reason for an empty, oversized, disguised or broken file."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise FileError(_("文件为空"))
    if size > max_bytes:
        raise FileError(_("文件过大，上限为 %(limit)d MB") % {"limit": max_bytes // (1024 * 1024)})
    try:
        check_xlsx(path)
    except ValidationError as exc:
        raise FileError(exc.messages[0]) from None
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=False)
    except Exception:
        raise FileError(_("文件已损坏或不是有效的 .xlsx 文件")) from None


def read_rows(path, columns, *, max_bytes: int, max_rows: int) -> list[tuple[int, list]]:
    """(row number, [the cell of each of ``columns``]) for every non-empty data row of the first sheet."""
    wb = open_workbook(path, max_bytes=max_bytes)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        it = ws.iter_rows(values_only=True)
        header = [header_key(v) for v in next(it, ())][:40]
        index = {key: header.index(header_key(head)) for head, key, _r in columns if header_key(head) in header}
        missing = [head for head, key, required in columns if required and key not in index]
        if missing:
            raise FileError(_("第 1 行表头缺少列：%(cols)s；请使用下载的模板") % {"cols": "、".join(missing)})
        out = []
        for number, values in enumerate(it, start=2):
            picked = [values[index[k]] if k in index and index[k] < len(values) else None for _h, k, _r in columns]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in picked):
                continue
            if len(out) >= max_rows:
                raise FileError(_("数据行数超过上限 %(limit)d 行，请拆分文件后分批导入") % {"limit": max_rows})
            out.append((number, picked))
    except FileError:
        raise
    except Exception:
        raise FileError(_("文件已损坏或不是有效的 .xlsx 文件")) from None
    finally:
        wb.close()
    if not out:
        raise FileError(_("文件中没有数据行"))
    return out
