"""Excel roster import (主体库批量导入): enterprises, service agencies and experts.

One framework validates every row of an .xlsx file before anything is written:

- the file must be a readable .xlsx (not .xls, not corrupt, not empty, not over the size limit);
- row 1 holds the Chinese column headers (the template's, or the list page export's);
- every cell is normalised (full-width to half-width, stray whitespace) and parsed by its column:
  required values, numbers, 是/否, Chinese choice labels, towns/villages/industries looked up by
  name or code among those the importing user may see (a town officer imports into their own town
  only), the model's own field validators (credit code check character, phone, lengths);
- duplicates inside the file and against the database are reported;
- formula cells: a number, date or 是/否 a formula has already computed (the cached value Excel
  saves) is taken; a formula without a cached value, or one that computes text, is a row error
  (text from a formula may be an injection, and an uncomputed formula would silently read as blank).

Each problem is a ``RowError`` (Excel row number, column header, reason). If there is any problem,
nothing is imported. A good file is written in one transaction with ``bulk_create`` in batches,
with one ``AuditLog`` row (action "import") per created record. All lookups are prefetched into
dicts (a fixed number of queries per thousand rows, never one per row).

``import_rows(kind, path, actor=..., dry_run=...)`` is the entry point for the management
commands, the upload page and the benchmark.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from safeserve.core.audit import AuditAction, audit_entry, diff, snapshot
from safeserve.core.excel import from_text_cell
from safeserve.core.fieldperms import writable_fields_for
from safeserve.core.identity import credit_code_check_char, id_number_check_char, normalize_code, normalize_text
from safeserve.core.models import AuditLog
from safeserve.core.uploads import check_xlsx

from .choices import EnterpriseStatus, ExpertPool, RiskLevel, ServiceType, SizeClass, StandardizationGrade
from .models import Agency, Enterprise, Expert, Industry, Town, Village

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
BATCH_SIZE = 500
LOOKUP_CHUNK = 500
PREVIEW_ROWS = 20
PROGRESS_EVERY = 5000
MAX_HEADER_COLUMNS = 100
BLANK_ROWS_END = 1000  # this many blank rows in a row end the data

_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_LIST_SPLIT = re.compile(r"[、,;/|\s]+")


def max_bytes() -> int:
    return int(getattr(settings, "SAFESERVE", {}).get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "SAFESERVE", {}).get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem: Excel row number (the header is row 1; None for the whole file), column, reason."""

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row is None:
            return self.reason
        return f"row {self.row}, column {self.column}: {self.reason}"

    def display(self) -> str:
        """The same problem in the UI's words: 第N行,「列名」:原因."""
        if self.row is None:
            return self.reason
        return _("第%(row)d行，「%(column)s」：%(reason)s") % {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
        }


@dataclass
class ImportResult:
    kind: str
    dry_run: bool = False
    total: int = 0  # data rows read (blank rows skipped)
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # recognised columns, in file order
    preview: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, normalised cells)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors if e.row}

    @property
    def file_error(self) -> bool:
        return any(e.row is None for e in self.errors)


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong format, corrupt, empty, too large)."""


# ----------------------------------------------------------------------------- reading the file


def cell_text(value) -> str:
    """A cell as normalised text: numbers without '.0', dates as ISO, full-width folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return from_text_cell(normalize_text(_ZERO_WIDTH.sub("", str(value))))


def header_key(text: str) -> str:
    """Headers match ignoring full-width forms, spaces and a required-marker asterisk."""
    return re.sub(r"[\s*]", "", cell_text(text))


@dataclass(frozen=True)
class FormulaCell:
    """A formula cell the importer refuses; ``reason`` becomes the row error of its column."""

    formula: str
    reason: str


def _is_formula(value) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    return (isinstance(value, str) and value.startswith("=")) or isinstance(value, ArrayFormula | DataTableFormula)


def _formula_text(formula) -> str:
    return str(getattr(formula, "text", None) or formula)  # array formulas are objects


def _formula_value(formula, cached):
    """What a formula cell imports as: its cached number/date/boolean, or a refusal."""
    if cached is None:
        return FormulaCell(_formula_text(formula), _("该单元格是未计算结果的公式，请将其复制并“粘贴为数值”后再导入"))
    if isinstance(cached, str):
        if isinstance(formula, str) and cached == formula:
            return cached  # a text cell that merely starts with "=": text, not a formula
        return FormulaCell(_formula_text(formula), _("不接受由公式计算出的文本，请将其复制并“粘贴为数值”后再导入"))
    return cached


def _resolve_formulas(path, data, formulas: set[tuple[int, int]]):
    """Second pass, only for files with formulas: replace each formula by its cached value or a refusal."""
    from openpyxl import load_workbook

    wanted = {n for n, _i in formulas}
    cached_rows = {}
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        last = max(wanted)
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            if number in wanted:
                cached_rows[number] = values
            if number >= last:
                break
    finally:
        wb.close()
    resolved = []
    for number, values in data:
        if number in wanted:
            cached = cached_rows.get(number, ())
            values = tuple(
                _formula_value(v, cached[i] if i < len(cached) else None) if (number, i) in formulas else v
                for i, v in enumerate(values)
            )
        resolved.append((number, values))
    return resolved


TITLE_BLOCK_ROWS = 6  # a list export's title block (title, conditions, period, export time) is shorter


def _filled(values) -> int:
    return sum(1 for v in values if v is not None and not (isinstance(v, str) and not v.strip()))


def title_block_length(head) -> int:
    """How many rows of a list export's title block (core.excel.heading_lines: one text cell per
    row) stand above the header row; 0 for a template or any other sheet whose row 1 is the header."""
    n = 0
    while n < len(head) and n < TITLE_BLOCK_ROWS and _filled(head[n]) == 1:
        n += 1
    return n if 0 < n < len(head) and _filled(head[n]) > 1 else 0


def read_sheet(path) -> tuple[list[str], list[tuple[int, tuple]]]:
    """(header texts, [(excel row number, raw values)]) of the first worksheet; blank rows skipped."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(_("无法读取文件：%(err)s") % {"err": exc.strerror or exc}) from None
    if size == 0:
        raise ImportFileError(_("文件为空"))
    if size > max_bytes():
        raise ImportFileError(
            _("文件过大（%(size).1f MB），上限为 %(limit)d MB")
            % {"size": size / 1024 / 1024, "limit": max_bytes() // (1024 * 1024)}
        )
    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后上传"))
    if not magic.startswith(b"PK\x03\x04"):
        raise ImportFileError(_("不是有效的 .xlsx 文件，请使用下载的模板填写后上传"))
    try:
        check_xlsx(path)  # a real workbook zip, bounded when unpacked (no zip bombs)
    except ValidationError as exc:
        raise ImportFileError(exc.messages[0]) from None

    from openpyxl import load_workbook

    try:
        # Formulas as formulas (not their cached values): a formula without a cached value would
        # otherwise read as an empty cell. Cached values are fetched in a second pass if needed.
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:
        raise ImportFileError(_("文件已损坏或不是有效的 .xlsx 文件")) from None
    limit = max_rows()
    formulas: set[tuple[int, int]] = set()
    try:
        if not wb.worksheets:
            raise ImportFileError(_("文件中没有工作表"))
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # some generators write a wrong <dimension>; read what is there
        rows = ws.iter_rows(values_only=True)
        try:
            head = list(itertools.islice(rows, TITLE_BLOCK_ROWS + 1))
            skip = title_block_length(head)
            first = head[skip] if len(head) > skip else None
            rows = itertools.chain(head[skip + 1 :], rows)
            header = [cell_text(v) for v in (first or ())[:MAX_HEADER_COLUMNS]]
            while header and not header[-1]:
                header.pop()
            width = len(header)
            data = []
            blank_run = 0
            for number, values in enumerate(rows, start=skip + 2):
                values = values[:width]
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    blank_run += 1
                    if blank_run >= BLANK_ROWS_END:
                        break  # formatted but empty rows down to the sheet's end: the data is over
                    continue
                blank_run = 0
                if len(data) >= limit:
                    raise ImportFileError(_("数据行数超过上限 %(limit)d 行，请拆分文件后分批导入") % {"limit": limit})
                data.append((number, values))
                formulas.update((number, i) for i, v in enumerate(values) if _is_formula(v))
        except ImportFileError:
            raise
        except Exception:
            raise ImportFileError(_("文件已损坏或不是有效的 .xlsx 文件")) from None
    finally:
        wb.close()
    if not header:
        raise ImportFileError(_("第1行应为表头，当前为空；请使用下载的模板"))
    if not data:
        raise ImportFileError(_("文件中没有数据行"))
    if formulas:
        try:
            data = _resolve_formulas(path, data, formulas)
        except Exception:
            raise ImportFileError(_("文件已损坏或不是有效的 .xlsx 文件")) from None
    return header, data


# ----------------------------------------------------------------------------- columns


@dataclass
class Col:
    """One column of a roster: its Chinese header, the model field it fills and how to parse it."""

    header: str
    field: str
    kind: str = "text"  # text, code, phone, email, int, bool, choice, multichoice, ref
    required: bool = False
    aliases: tuple[str, ...] = ()
    choices: type[models.TextChoices] | None = None
    extra_choices: dict[str, str] = field(default_factory=dict)  # alias -> value
    true_words: tuple[str, ...] = ()
    false_words: tuple[str, ...] = ()
    note: str = ""  # shown on the template's second sheet

    def header_keys(self) -> set[str]:
        return {header_key(self.header), *(header_key(a) for a in self.aliases)}


TRUE_WORDS = ("是", "Y", "YES", "TRUE", "1", "√", "有")
FALSE_WORDS = ("否", "N", "NO", "FALSE", "0", "×", "无")


def choice_aliases(col: Col) -> dict[str, str]:
    """Accepted spellings of each choice: value, Chinese label, label before its bracket, current label."""
    table: dict[str, str] = {}

    def add(alias, value):
        key = normalize_code(alias)
        if key:
            table.setdefault(key, value)

    for lang in ("zh-hans", None):
        with translation.override(lang) if lang else nullcontext():
            for value, label in col.choices.choices:
                label = normalize_text(str(label))
                add(label, value)
                add(label.split("(")[0], value)
    for value in col.choices.values:
        add(value, value)
    for alias, value in col.extra_choices.items():
        add(alias, value)
    return table


def choice_labels(col: Col) -> list[str]:
    with translation.override("zh-hans"):
        return [str(label) for _v, label in col.choices.choices]  # as users see them (full-width)


# ----------------------------------------------------------------------------- importer framework


class RowProblems:
    """Collects the problems of one row, keyed by column, first reason per column."""

    def __init__(self, row: int):
        self.row = row
        self.by_column: dict[str, str] = {}

    def add(self, column: str, reason) -> None:
        self.by_column.setdefault(column, str(reason))

    def __bool__(self):
        return bool(self.by_column)


class Importer:
    """Validates the rows of one roster kind and creates its records. Subclasses declare columns."""

    kind: str = ""
    model: type[models.Model]
    columns: list[Col] = []
    unique_column: str | None = None  # the field that must not repeat in the file or the database
    whole_row_column: str = ""  # where a problem without a column is reported

    def __init__(self, actor):
        self.actor = actor
        self.col_by_field = {c.field: c for c in self.columns}
        self._choice_tables = {c.field: choice_aliases(c) for c in self.columns if c.choices}

    # -- scoping of lookups
    def visible(self, model, action="view"):
        """Rows the actor may use; a system import (no actor) sees everything."""
        if self.actor is None:
            return model.objects.all()
        return model.objects.visible_to(self.actor, action)

    def check_permission(self):
        if self.actor is None:
            return
        opts = self.model._meta
        if not self.actor.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
            raise PermissionDenied(_("您没有导入%(name)s的权限") % {"name": opts.verbose_name_plural})

    # -- hooks
    def prefetch(self, rows: list[dict[str, str]]) -> None:
        """Load every lookup the rows need into dicts (a few queries, whatever the row count)."""

    def resolve(self, col: Col, text: str, row: dict[str, str], values: dict):
        raise NotImplementedError(col.field)

    def unique_key(self, values: dict):
        return values.get(self.unique_column) if self.unique_column else None

    def existing_keys(self, keys: list) -> set:
        """Which unique keys already exist in the database (every row, whoever may see it: the
        constraint is global, and the answer only says that the key is taken)."""
        found = set()
        for i in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[i : i + LOOKUP_CHUNK]
            found |= set(
                self.model.objects.filter(**{f"{self.unique_column}__in": chunk}).values_list(
                    self.unique_column, flat=True
                )
            )
        return found

    def duplicate_in_db_reason(self) -> str:
        return _("系统中已存在该记录")

    def duplicate_in_file_reason(self, first_row: int) -> str:
        return _("与第%(row)d行重复") % {"row": first_row}

    def example_row(self) -> dict[str, str]:
        return {}

    def allowed_values(self) -> list[tuple[str, str, str]]:
        """(column, allowed value, note) rows for the template's second sheet."""
        rows = []
        for col in self.columns:
            if col.choices:
                rows += [(col.header, label, "") for label in choice_labels(col)]
            elif col.kind == "bool":
                rows += [(col.header, _("是"), ""), (col.header, _("否"), "")]
        return rows

    # -- parsing
    def parse(self, col: Col, text: str, row: dict[str, str], values: dict, problems: RowProblems):
        """Set ``values[col.field]`` from the cell text, or record a problem."""
        if not text:
            if col.required:
                problems.add(col.header, _("必填项不能为空"))
            elif col.kind == "ref":
                values[col.field] = None
            return
        try:
            values[col.field] = self.convert(col, text, row, values)
        except ValidationError as exc:
            problems.add(col.header, exc.messages[0])

    def convert(self, col: Col, text: str, row, values):
        kind = col.kind
        if kind in ("code", "phone"):
            return normalize_code(text)
        if kind == "email":
            return text.replace(" ", "")
        if kind == "int":
            cleaned = text.replace(",", "").replace(" ", "")
            if not re.fullmatch(r"[+-]?\d+", cleaned):
                raise ValidationError(_("应为整数，当前为“%(value)s”") % {"value": text})
            number = int(cleaned)
            if number < 0:
                raise ValidationError(_("不能为负数"))
            return number
        if kind == "bool":
            key = normalize_code(text)
            if key in (*TRUE_WORDS, *col.true_words):
                return True
            if key in (*FALSE_WORDS, *col.false_words):
                return False
            raise ValidationError(_("应填“是”或“否”，当前为“%(value)s”") % {"value": text})
        if kind == "choice":
            value = self._choice_tables[col.field].get(normalize_code(text))
            if value is None:
                raise ValidationError(self._choice_error(col, text))
            return value
        if kind == "multichoice":
            table = self._choice_tables[col.field]
            picked = []
            for part in _LIST_SPLIT.split(text):
                if not part:
                    continue
                value = table.get(normalize_code(part))
                if value is None:
                    raise ValidationError(self._choice_error(col, part))
                if value not in picked:
                    picked.append(value)
            return picked
        if kind == "ref":
            return self.resolve(col, text, row, values)
        return text

    def _choice_error(self, col, text):
        return _("无效的取值“%(value)s”，可选：%(allowed)s") % {
            "value": text,
            "allowed": "、".join(choice_labels(col)),
        }

    def build(self, row: dict[str, str], problems: RowProblems):
        """Parse a row into an unsaved model instance; run the model's own validation without queries."""
        values: dict = {}
        for col in self.columns:
            if col.field in row:
                self.parse(col, row[col.field], row, values, problems)
        bad_fields = self._bad_fields(problems)
        instance = self.model(**{k: v for k, v in values.items() if k not in bad_fields})
        # Field validators (check characters, phone format, lengths, choices). Foreign keys are
        # excluded because Django checks them with one query each; they were resolved from dicts.
        checked = {c.field for c in self.columns if c.kind != "ref" and c.field in values} - bad_fields
        exclude = {f.name for f in self.model._meta.fields} - checked
        try:
            instance.clean_fields(exclude=exclude)
        except ValidationError as exc:
            self._add_validation_error(exc, problems)
        if not problems:
            try:
                instance.clean()
            except ValidationError as exc:
                self._add_validation_error(exc, problems)
        return instance, values

    def _add_validation_error(self, exc: ValidationError, problems: RowProblems):
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                col = self.col_by_field.get(name)
                problems.add(col.header if col else self.whole_row_column, messages[0])
        else:
            problems.add(self.whole_row_column, exc.messages[0])

    # -- the run
    def run(self, path, *, dry_run=False, progress: Callable[[str, int, int], None] | None = None, note=""):
        result = ImportResult(kind=self.kind, dry_run=dry_run)
        self.check_permission()
        try:
            header, data = read_sheet(path)
        except ImportFileError as exc:
            result.errors.append(RowError(None, "", str(exc)))
            return result
        index = self.map_headers(header, result)
        result.total = len(data)
        if result.errors:
            return result

        rows = []
        refused: dict[int, dict[str, str]] = {}  # row number -> {field: reason} for formula cells
        for number, raw in data:
            cells = {f: raw[i] if i < len(raw) else None for f, i in index.items()}
            for f, value in cells.items():
                if isinstance(value, FormulaCell):
                    refused.setdefault(number, {})[f] = value.reason
                    cells[f] = value.formula
            rows.append((number, {f: cell_text(v) for f, v in cells.items()}))
        ordered = sorted(index.items(), key=lambda item: item[1])
        result.headers = [self.col_by_field[f].header for f, _i in ordered]
        result.preview = [(n, [row[f] for f, _i in ordered]) for n, row in rows[:PREVIEW_ROWS]]

        self.prefetch([row for _n, row in rows])
        instances = []
        seen: dict = {}  # unique key -> first row number
        for done, (number, row) in enumerate(rows, start=1):
            problems = RowProblems(number)
            for f, reason in refused.get(number, {}).items():
                problems.add(self.col_by_field[f].header, reason)
            instance, values = self.build(row, problems)
            key = self.unique_key(values) if self.unique_column not in self._bad_fields(problems) else None
            if key:
                if key in seen:
                    problems.add(self.col_by_field[self.unique_column].header, self.duplicate_in_file_reason(seen[key]))
                else:
                    seen[key] = number
            self._collect(problems, result)
            instances.append(instance)
            if progress and done % PROGRESS_EVERY == 0:
                progress("validate", done, len(rows))
        if seen:
            column = self.col_by_field[self.unique_column].header
            for key in self.existing_keys(list(seen)):
                result.errors.append(RowError(seen[key], column, self.duplicate_in_db_reason()))
        if result.errors:
            order = {c.header: i for i, c in enumerate(self.columns)}
            result.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, len(order))))
            return result
        if not dry_run:
            result.created = self.save(instances, progress=progress, note=note)
        return result

    def _bad_fields(self, problems):
        return {c.field for c in self.columns if c.header in problems.by_column}

    def _collect(self, problems: RowProblems, result: ImportResult):
        for column, reason in problems.by_column.items():
            result.errors.append(RowError(problems.row, column, reason))

    def map_headers(self, header: list[str], result: ImportResult) -> dict[str, int]:
        lookup = {}
        for col in self.columns:
            for key in col.header_keys():
                lookup[key] = col
        index: dict[str, int] = {}
        for i, text in enumerate(header):
            if not text:
                continue
            col = lookup.get(header_key(text))
            if col is None:
                result.ignored_columns.append(text)
                continue
            if col.field in index:
                result.errors.append(RowError(1, col.header, _("列重复出现")))
                continue
            index[col.field] = i
        for col in self.columns:
            if col.required and col.field not in index:
                result.errors.append(RowError(1, col.header, _("缺少必填列，请使用下载的模板")))
        if self.actor is not None:  # the writable-field rule (core.fieldperms) holds for imports too
            allowed = writable_fields_for(self.actor, self.model)
            for name in index:
                if name not in allowed:
                    result.errors.append(RowError(1, self.col_by_field[name].header, _("您无权填写该列")))
        return index

    @transaction.atomic
    def save(self, instances, *, progress=None, note="") -> int:
        total = len(instances)
        created = []
        for start in range(0, total, BATCH_SIZE):
            batch = self.model.objects.bulk_create(instances[start : start + BATCH_SIZE])
            before = len(created)
            created += batch
            if progress and (before // PROGRESS_EVERY != len(created) // PROGRESS_EVERY or len(created) == total):
                progress("save", len(created), total)
        self.check_scope(created)
        entries = [
            audit_entry(
                actor=self.actor,
                action=AuditAction.IMPORT,
                instance=obj,
                changes=diff({}, snapshot(obj)),
                note=note,
            )
            for obj in created
        ]
        AuditLog.objects.bulk_create(entries, batch_size=BATCH_SIZE)
        return len(created)

    def check_scope(self, created) -> None:
        """Every created row must be inside the actor's scope, or the whole import is undone."""
        if self.actor is None:
            return
        pks = [obj.pk for obj in created]
        if any(pk is None for pk in pks):  # pragma: no cover - databases without RETURNING
            raise PermissionDenied(_("无法确认导入记录的数据权限范围"))
        visible = 0
        rows = self.model.objects.visible_to(self.actor, "add")
        for i in range(0, len(pks), LOOKUP_CHUNK):
            visible += rows.filter(pk__in=pks[i : i + LOOKUP_CHUNK]).count()
        if visible != len(pks):
            raise PermissionDenied(_("导入的记录超出您的数据权限范围"))


def _chunks(values: Iterable, size=LOOKUP_CHUNK):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def example_credit_code(body17: str = "91330421MA2B3C4D5") -> str:
    return body17 + credit_code_check_char(body17)


# ----------------------------------------------------------------------------- enterprises


class EnterpriseImporter(Importer):
    kind = "enterprise"
    model = Enterprise
    unique_column = "credit_code"
    whole_row_column = "统一社会信用代码"
    columns = [
        Col("统一社会信用代码", "credit_code", "code", required=True, note=_lazy("18位，校验位须正确")),
        Col("单位名称", "name", required=True),
        Col("地址", "address", required=True),
        Col("镇（街道）", "town", "ref", required=True, note=_lazy("镇（街道）名称或区划代码")),
        Col("村（社区）", "village", "ref", note=_lazy("须属于所填镇（街道）")),
        Col(
            "行业代码", "industry", "ref", required=True, aliases=("行业",), note=_lazy("国民经济行业大类代码，如 C33")
        ),
        Col(
            "规模",
            "size_class",
            "choice",
            choices=SizeClass,
            extra_choices={"大": "large", "中": "medium", "小": "small", "微": "micro"},
        ),
        Col("从业人数", "employees", "int", note=_lazy("非负整数")),
        Col(
            "风险等级",
            "risk_level",
            "choice",
            choices=RiskLevel,
            extra_choices={"红色": "red", "橙色": "orange", "黄色": "yellow", "蓝色": "blue"},
        ),
        Col("危化品", "is_hazchem", "bool", aliases=("危险化学品生产经营储存", "危险化学品")),
        Col("重大危险源", "has_major_hazard_source", "bool"),
        Col("村级小微", "is_village_small", "bool", aliases=("村级小微企业",)),
        Col(
            "标准化等级",
            "standardization_grade",
            "choice",
            choices=StandardizationGrade,
            extra_choices={"无": "none", "未达标": "none"},
        ),
        Col("法定代表人", "legal_representative", required=True),
        Col("安全管理人员", "safety_manager"),
        Col("安全管理人员电话", "safety_manager_phone", "phone"),
        Col("经营状态", "status", "choice", choices=EnterpriseStatus),
    ]

    def prefetch(self, rows):
        towns = list(self.visible(Town).only("id", "code", "name"))
        self.towns = {normalize_code(t.name): t for t in towns} | {normalize_code(t.code): t for t in towns}
        self.town_names = [t.name for t in towns]
        self.villages_by_town: dict[int, dict[str, Village]] = {}
        self.villages_by_code: dict[str, Village] = {}
        for v in self.visible(Village).only("id", "code", "name", "town_id"):
            self.villages_by_town.setdefault(v.town_id, {})[normalize_code(v.name)] = v
            self.villages_by_code[normalize_code(v.code)] = v
        self.industries = {}
        for ind in self.visible(Industry).only("id", "code", "name", "level"):
            self.industries[normalize_code(ind.code)] = ind
            self.industries.setdefault(normalize_code(ind.name), ind)

    def resolve(self, col, text, row, values):
        key = normalize_code(text)
        if col.field == "town":
            town = self.towns.get(key)
            if town is None:
                raise ValidationError(_("未找到该镇（街道）“%(value)s”，或不在您的管辖范围内") % {"value": text})
            return town
        if col.field == "village":
            return self._village(text, key, values.get("town"))
        if col.field == "industry":
            ind = self.industries.get(key) or self.industries.get(normalize_code(text.split(" ")[0]))
            if ind is None:
                raise ValidationError(_("未找到该行业“%(value)s”，请填写行业大类代码，如 C33") % {"value": text})
            if ind.level != "division":
                raise ValidationError(_("“%(value)s”是行业门类，请填写行业大类代码，如 C33") % {"value": text})
            return ind
        raise NotImplementedError(col.field)

    def _village(self, text, key, town):
        if town is None:
            # The town cell is missing or wrong and already reported; the village cannot be checked.
            return None
        in_town = self.villages_by_town.get(town.id, {})
        village = in_town.get(key) or in_town.get(key.removeprefix(normalize_code(town.name)))
        if village is None:
            village = self.villages_by_code.get(key)
            if village is not None and village.town_id != town.id:
                raise ValidationError(_("该村（社区）不属于“%(town)s”") % {"town": town.name})
        if village is None:
            elsewhere = any(key in vs for tid, vs in self.villages_by_town.items() if tid != town.id)
            if elsewhere:
                raise ValidationError(_("该村（社区）不属于“%(town)s”") % {"town": town.name})
            raise ValidationError(_("未找到该村（社区）“%(value)s”(%(town)s)") % {"value": text, "town": town.name})
        return village

    def duplicate_in_db_reason(self):
        return _("系统中已存在该统一社会信用代码的单位")

    def example_row(self):
        town = self.visible(Town).order_by("sort_order", "code").first()
        village = self.visible(Village).filter(town=town).order_by("code").first() if town else None
        industry = self.visible(Industry).filter(level="division").order_by("code").first()
        return {
            "credit_code": example_credit_code(),
            "name": "嘉善示例五金制品有限公司",
            "address": f"{town.name if town else ''}{village.name if village else ''}1号",
            "town": town.name if town else "",
            "village": village.name if village else "",
            "industry": industry.code if industry else "C33",
            "size_class": "小型",
            "employees": "35",
            "risk_level": "黄",
            "is_hazchem": "否",
            "has_major_hazard_source": "否",
            "is_village_small": "是",
            "standardization_grade": "三级",
            "legal_representative": "张三",
            "safety_manager": "李四",
            "safety_manager_phone": "13800000000",
            "status": "在业",
        }

    def allowed_values(self):
        rows = [(self.col_by_field["town"].header, t.name, t.code) for t in self.visible(Town)]
        rows += [
            (self.col_by_field["village"].header, v.name, v.town.name)
            for v in self.visible(Village).select_related("town").order_by("town__sort_order", "code")
        ]
        rows += [
            (self.col_by_field["industry"].header, i.code, i.name)
            for i in self.visible(Industry).filter(level="division").order_by("code")
        ]
        return rows + super().allowed_values()


# ----------------------------------------------------------------------------- agencies


class AgencyImporter(Importer):
    kind = "agency"
    model = Agency
    unique_column = "credit_code"
    whole_row_column = "统一社会信用代码"
    columns = [
        Col("统一社会信用代码", "credit_code", "code", required=True, note=_lazy("18位，校验位须正确")),
        Col("机构名称", "name", required=True),
        Col("地址", "address"),
        Col(
            "服务类型", "service_types", "multichoice", required=True, choices=ServiceType, note=_lazy("多项用“、”分隔")
        ),
        Col(
            "本地机构",
            "is_local",
            "bool",
            aliases=("本地/引进",),
            true_words=("本地",),
            false_words=("引进", "引进机构"),
            note=_lazy("是=本地机构，否=引进机构"),
        ),
        Col("联系人", "contact_person"),
        Col("联系电话", "contact_phone", "phone"),
        Col("在册", "is_active", "bool"),
    ]

    def duplicate_in_db_reason(self):
        return _("系统中已存在该统一社会信用代码的机构")

    def example_row(self):
        return {
            "credit_code": example_credit_code("91330421MA2C7D8E9"),
            "name": "嘉善示例安全技术服务有限公司",
            "address": "罗星街道示例路8号",
            "service_types": "安全咨询、安全教育培训",
            "is_local": "是",
            "contact_person": "王五",
            "contact_phone": "13900000000",
            "is_active": "是",
        }


# ----------------------------------------------------------------------------- experts


class ExpertImporter(Importer):
    kind = "expert"
    model = Expert
    unique_column = "id_number"
    whole_row_column = "姓名"
    columns = [
        Col("姓名", "name", required=True),
        Col("身份证号", "id_number", "code", note=_lazy("18位，校验位须正确；同一身份证号只能导入一次")),
        Col("职称", "title"),
        Col("专业领域", "specialties", required=True),
        Col(
            "专家库",
            "pool",
            "choice",
            choices=ExpertPool,
            extra_choices={"省": "province", "市": "city", "县": "county"},
        ),
        Col("工作单位", "employer"),
        Col(
            "任职企业信用代码",
            "employer_enterprise",
            "ref",
            aliases=("任职企业",),
            note=_lazy("本系统中已登记企业的信用代码"),
        ),
        Col(
            "任职机构信用代码",
            "employer_agency",
            "ref",
            aliases=("任职机构",),
            note=_lazy("本系统中已登记服务机构的信用代码"),
        ),
        Col("手机号", "phone", "phone"),
        Col("电子邮箱", "email", "email"),
        Col("在库", "is_active", "bool"),
    ]

    def prefetch(self, rows):
        ent_codes = {normalize_code(r.get("employer_enterprise", "")) for r in rows} - {""}
        ag_codes = {normalize_code(r.get("employer_agency", "")) for r in rows} - {""}
        self.enterprises = {}
        for chunk in _chunks(ent_codes):
            for e in self.visible(Enterprise).filter(credit_code__in=chunk).only("id", "credit_code", "name"):
                self.enterprises[e.credit_code] = e
        self.agencies = {}
        for chunk in _chunks(ag_codes):
            for a in self.visible(Agency).filter(credit_code__in=chunk).only("id", "credit_code", "name"):
                self.agencies[a.credit_code] = a

    def resolve(self, col, text, row, values):
        key = normalize_code(text)
        table = self.enterprises if col.field == "employer_enterprise" else self.agencies
        found = table.get(key)
        if found is None:
            raise ValidationError(_("未找到统一社会信用代码为“%(value)s”的单位") % {"value": text})
        return found

    def unique_key(self, values):
        return values.get("id_number") or None

    def duplicate_in_db_reason(self):
        return _("系统中已存在该身份证号的专家")

    def example_row(self):
        body = "33042119800101001"
        return {
            "name": "孙示例",
            "id_number": body + id_number_check_char(body),
            "title": "高级工程师",
            "specialties": "机械安全、电气安全",
            "pool": "县级",
            "employer": "嘉善县某机械有限公司",
            "employer_enterprise": "",
            "employer_agency": "",
            "phone": "13600000000",
            "email": "expert@example.com",
            "is_active": "是",
        }


IMPORTERS: dict[str, type[Importer]] = {
    "enterprise": EnterpriseImporter,
    "agency": AgencyImporter,
    "expert": ExpertImporter,
}


def get_importer(kind: str, actor) -> Importer:
    try:
        return IMPORTERS[kind](actor)
    except KeyError:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {sorted(IMPORTERS)}") from None


def import_rows(
    kind: str, path, *, actor, dry_run: bool = False, progress=None, filename: str | None = None
) -> ImportResult:
    """Validate every row of ``path``; if all are good (and not ``dry_run``) import them atomically.

    ``actor`` is the importing user (lookups and the result are limited to their scope), or None
    for a system import. Raises ``PermissionDenied`` if the actor may not add this kind of record.
    ``progress(stage, done, total)`` is called every few thousand rows; ``filename`` (the name the
    user uploaded) goes into the audit note.
    """
    importer = get_importer(kind, actor)
    note = _("Excel 批量导入:%(name)s") % {"name": filename or os.path.basename(str(path))}
    return importer.run(path, dry_run=dry_run, progress=progress, note=note)


def template_sheets(kind: str, actor):
    """The sheets of the downloadable template: headers + example row, then the allowed values."""
    importer = get_importer(kind, actor)
    example = importer.example_row()
    headers = [c.header for c in importer.columns]
    first = (_("导入模板"), headers, [[example.get(c.field, "") for c in importer.columns]])
    notes = [
        (c.header, _("必填") if c.required else _("选填"), str(c.note))
        for c in importer.columns
        if c.required or c.note
    ]
    allowed = (_("可选值"), [_("列名"), _("可选值"), _("说明")], [*importer.allowed_values(), *notes])
    return [first, allowed]


# ----------------------------------------------------------------------------- management commands


class ImportCommand(BaseCommand):
    """``manage.py import_<kind>s FILE.xlsx [--dry-run] [--user USERNAME]``."""

    kind = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx roster (row 1: column headers, as in the template)")
        parser.add_argument("--dry-run", action="store_true", help="validate every row, import nothing")
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="import as this user: lookups and permissions are theirs (default: a system import)",
        )

    def handle(self, *args, file, dry_run, user, **options):
        from django.contrib.auth import get_user_model

        actor = None
        if user:
            try:
                actor = get_user_model().objects.get(username=user, is_active=True)
            except get_user_model().DoesNotExist:
                raise CommandError(f"no active user {user!r}") from None

        def progress(stage, done, total):
            verb = "validated" if stage == "validate" else "imported"
            self.stdout.write(f"{verb} {done}/{total} rows")

        try:
            result = import_rows(self.kind, file, actor=actor, dry_run=dry_run, progress=progress)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        if result.errors:
            for error in result.errors:
                self.stderr.write(error.display())  # 第N行,「列名」:原因 — the words the upload page uses
            if result.file_error:
                raise CommandError("the file cannot be imported; nothing was imported")
            raise CommandError(f"{len(result.errors)} problem(s) in {result.total} rows; nothing was imported")
        if result.ignored_columns:
            self.stdout.write("ignored columns: " + ", ".join(result.ignored_columns))
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"dry run: {result.total} rows would be imported"))
        else:
            self.stdout.write(self.style.SUCCESS(f"{result.created} rows imported"))
