"""Onboarding experts from .xlsx: the registry's expert roster importer (row errors, all-or-nothing)
plus this app's rule that every specialty is on the maintained list; the new experts get their pool
profile in the same transaction. Nothing is written when any row is wrong."""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from safeserve.registry.models import Expert
from safeserve.registry.roster_import import ImportFileError, ImportResult, RowError, cell_text, header_key, import_rows

from .actions import ALIASES, ensure_profile
from .models import Specialty

SPLIT = re.compile(r"[、,;/|\s，；]+")
COLUMN = "专业领域"


def _specialty_errors(path) -> list[RowError]:
    from openpyxl import load_workbook

    names = list(Specialty.objects.filter(is_active=True).values_list("name", flat=True))
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None) or ()
        keys = [header_key(cell_text(h)) for h in header]
        if COLUMN not in keys:
            return []  # the roster importer reports the missing required column
        col = keys.index(COLUMN)
        errors = []
        for number, row in enumerate(rows, start=2):
            text = cell_text(row[col] if col < len(row) else None)
            for token in [t for t in SPLIT.split(text) if t]:
                if not any(n in token or any(a in token for a in ALIASES.get(n, ())) for n in names):
                    errors.append(
                        RowError(
                            number,
                            COLUMN,
                            _("“%(t)s”不在专业领域目录中（可选：%(names)s）") % {"t": token, "names": "、".join(names)},
                        )
                    )
        return errors
    finally:
        wb.close()


def import_pool(path, *, actor, filename: str = "") -> ImportResult:
    checked = import_rows("expert", path, actor=actor, dry_run=True, filename=filename)
    if checked.file_error:
        return checked
    try:
        extra = _specialty_errors(path)
    except Exception as exc:  # an unreadable file is reported, never a 500
        raise ImportFileError(str(exc)) from exc
    if checked.errors or extra:
        checked.errors = sorted([*checked.errors, *extra], key=lambda e: (e.row or 0, e.column))
        return checked
    with transaction.atomic():
        before = set(Expert.objects.values_list("pk", flat=True))
        result = import_rows("expert", path, actor=actor, filename=filename)
        if result.ok:
            for expert in Expert.objects.exclude(pk__in=before):
                ensure_profile(expert)
    return result
