"""Excel roster import: every validation rule, atomicity, scoping, the commands and the upload pages.

Every test builds a real .xlsx file with openpyxl and runs the real importer on the test database.
"""

import io
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from safeserve.core.models import AuditLog
from safeserve.registry import roster_import as importing
from safeserve.registry.models import Agency, Enterprise, Expert
from safeserve.registry.roster_import import EnterpriseImporter, ImportResult, import_rows
from safeserve_dev.testkit import make_credit_code, make_id_number

ENT_HEADERS = [c.header for c in EnterpriseImporter.columns]


def ent_row(n, **over):
    """One valid enterprise row for town A (罗星街道 / 鑫锋村), keyed by header."""
    row = {
        "统一社会信用代码": make_credit_code(1000 + n),
        "单位名称": f"嘉善测试{n}号五金有限公司",
        "地址": f"罗星街道鑫锋村{n}号",
        "镇（街道）": "罗星街道",
        "村（社区）": "鑫锋村",
        "行业代码": "C33",
        "规模": "小型",
        "从业人数": 20 + n,
        "风险等级": "黄",
        "危化品": "否",
        "重大危险源": "否",
        "村级小微": "是",
        "标准化等级": "三级",
        "法定代表人": "张三",
        "安全管理人员": "李四",
        "安全管理人员电话": "13800000009",
        "经营状态": "在业",
    }
    row.update(over)
    return row


def write_xlsx(path, rows, headers=None):
    """Write header row + rows (dicts keyed by header, or plain lists; None for a blank row)."""
    if headers is None:
        headers = list(rows[0].keys()) if rows and isinstance(rows[0], dict) else ENT_HEADERS
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        if row is None:
            ws.append([])
        elif isinstance(row, dict):
            ws.append([row.get(h) for h in headers])
        else:
            ws.append(list(row))
    wb.save(path)
    return path


def import_audit_count():
    return AuditLog.objects.filter(action="import").count()


def messages(result: ImportResult):
    return [str(e) for e in result.errors]


@pytest.fixture
def county(world):
    return world.user("county")


# ----------------------------------------------------------------------------- the happy path


def test_good_file_imports_every_row_with_audit(world, county, tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", [ent_row(1), ent_row(2, 规模="微型", 风险等级="红", 危化品="是")])
    before = Enterprise.objects.count()

    result = import_rows("enterprise", path, actor=county)

    assert result.errors == []
    assert result.created == 2 and result.total == 2
    assert Enterprise.objects.count() == before + 2
    e2 = Enterprise.objects.get(credit_code=make_credit_code(1002))
    assert (e2.town, e2.village, e2.industry) == (world["town_a"], world["village_a"], world["industry"])
    assert (e2.size_class, e2.risk_level, e2.is_hazchem, e2.is_village_small) == ("micro", "red", True, True)
    assert (e2.employees, e2.standardization_grade, e2.status) == (22, "3", "active")
    entries = AuditLog.objects.filter(action="import", content_type=ContentType.objects.get_for_model(Enterprise))
    assert entries.count() == 2
    entry = entries.get(object_id=str(e2.pk))
    assert entry.actor == county
    assert entry.changes["credit_code"] == [None, make_credit_code(1002)]
    assert "ok.xlsx" in entry.note


def test_dry_run_validates_but_writes_nothing(world, county, tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", [ent_row(1), ent_row(2)])
    before = Enterprise.objects.count()
    result = import_rows("enterprise", path, actor=county, dry_run=True)
    assert result.ok and result.total == 2 and result.created == 0
    assert Enterprise.objects.count() == before
    assert import_audit_count() == 0


def test_full_width_characters_and_stray_whitespace_are_normalised(world, county, tmp_path):
    code = make_credit_code(1001)
    full_width_code = "".join(chr(ord(c) + 0xFEE0) for c in code)  # ９１３３… as typed with a Chinese IME
    row = ent_row(
        1,
        统一社会信用代码=f"  {full_width_code[:9]} {full_width_code[9:]}\u200b ",
        单位名称="  嘉善\u3000全角   五金有限公司 ",
        **{"镇（街道）": " 罗星街道\u3000", "村（社区）": "罗星街道鑫锋村"},
        行业代码="ｃ３３",
        从业人数="１２０",
        安全管理人员电话="１３８ ０００ ００００９",
        风险等级=" 橙（较大风险） ",
    )
    # Headers too: full-width brackets and spaces in the header row still match.
    headers = [h.replace("(", "（").replace(")", "）") + (" " if i % 2 else "") for i, h in enumerate(ENT_HEADERS)]
    path = write_xlsx(tmp_path / "fw.xlsx", [[row[h] for h in ENT_HEADERS]], headers=headers)

    result = import_rows("enterprise", path, actor=county)

    assert result.errors == []
    ent = Enterprise.objects.get(credit_code=code)
    assert ent.name == "嘉善 全角 五金有限公司"
    assert ent.town == world["town_a"] and ent.village == world["village_a"]
    assert (ent.employees, ent.safety_manager_phone, ent.risk_level) == (120, "13800000009", "orange")


def test_numeric_and_boolean_cells_are_read_as_typed(world, county, tmp_path):
    row = ent_row(1, 从业人数=35.0, 安全管理人员电话=13800000009, 重大危险源=True, 标准化等级=None, 规模=None)
    path = write_xlsx(tmp_path / "typed.xlsx", [row])
    result = import_rows("enterprise", path, actor=county)
    assert result.errors == []
    ent = Enterprise.objects.get(credit_code=make_credit_code(1001))
    assert (ent.employees, ent.safety_manager_phone, ent.has_major_hazard_source) == (35, "13800000009", True)
    assert (ent.standardization_grade, ent.size_class) == ("none", "small")  # blanks take the defaults


def test_optional_columns_may_be_left_out_of_the_file(world, county, tmp_path):
    required = ["统一社会信用代码", "单位名称", "地址", "镇（街道）", "行业代码", "法定代表人"]
    path = write_xlsx(tmp_path / "min.xlsx", [{h: ent_row(1)[h] for h in required}])
    result = import_rows("enterprise", path, actor=county)
    assert result.errors == [] and result.created == 1
    assert Enterprise.objects.get(credit_code=make_credit_code(1001)).village is None


# ----------------------------------------------------------------------------- each validation rule


@pytest.mark.parametrize(
    ("over", "column", "reason"),
    [
        ({"统一社会信用代码": make_credit_code(1001)[:17] + "0"}, "统一社会信用代码", "校验位错误"),
        ({"统一社会信用代码": "91330421123"}, "统一社会信用代码", "应为18位"),
        ({"统一社会信用代码": "91330421MA2B3C4DIO"}, "统一社会信用代码", "非法字符"),
        ({"统一社会信用代码": ""}, "统一社会信用代码", "必填项不能为空"),
        ({"单位名称": "   "}, "单位名称", "必填项不能为空"),
        ({"法定代表人": None}, "法定代表人", "必填项不能为空"),
        ({"镇（街道）": "不存在镇"}, "镇（街道）", "未找到该镇（街道）"),
        ({"村（社区）": "不存在村"}, "村（社区）", "未找到该村（社区）"),
        ({"村（社区）": "红菱村"}, "村（社区）", "不属于“罗星街道”"),  # a village of 西塘镇
        ({"村（社区）": "330421002201"}, "村（社区）", "不属于“罗星街道”"),  # the same, by its code
        ({"行业代码": "Z99"}, "行业代码", "未找到该行业"),
        ({"行业代码": "C"}, "行业代码", "行业门类"),
        ({"从业人数": "二十"}, "从业人数", "应为整数"),
        ({"从业人数": "12.5"}, "从业人数", "应为整数"),
        ({"从业人数": -3}, "从业人数", "不能为负数"),
        ({"从业人数": 2_000_000}, "从业人数", "1000000"),
        ({"规模": "巨型"}, "规模", "可选：大型、中型、小型、微型"),
        ({"风险等级": "紫"}, "风险等级", "无效的取值"),
        ({"危化品": "也许"}, "危化品", "应填“是”或“否”"),
        ({"安全管理人员电话": "12345"}, "安全管理人员电话", "有效的手机号"),
        ({"单位名称": "长" * 101}, "单位名称", "100"),
    ],
)
def test_each_rule_reports_row_column_and_reason(world, county, tmp_path, over, column, reason):
    path = write_xlsx(tmp_path / "bad.xlsx", [ent_row(0), ent_row(1, **over)])
    result = import_rows("enterprise", path, actor=county)
    assert [(e.row, e.column) for e in result.errors] == [(3, column)], messages(result)
    assert reason in result.errors[0].reason
    assert str(result.errors[0]) == f"row 3, column {column}: {result.errors[0].reason}"
    assert result.errors[0].display() == f"第3行，「{column}」：{result.errors[0].reason}"
    assert result.created == 0


def test_duplicates_inside_the_file_name_the_first_row(world, county, tmp_path):
    rows = [ent_row(1), ent_row(2), ent_row(3, 统一社会信用代码=make_credit_code(1001))]
    result = import_rows("enterprise", write_xlsx(tmp_path / "dup.xlsx", rows), actor=county)
    assert messages(result) == ["row 4, column 统一社会信用代码: 与第2行重复"]


def test_duplicates_against_the_database_of_any_town(world, tmp_path):
    # town_a cannot see ent_b (西塘镇), but the credit code is taken all the same.
    rows = [ent_row(1, 统一社会信用代码=world["ent_b"].credit_code), ent_row(2)]
    result = import_rows("enterprise", write_xlsx(tmp_path / "dup.xlsx", rows), actor=world.user("town_a"))
    assert messages(result) == ["row 2, column 统一社会信用代码: 系统中已存在该统一社会信用代码的单位"]


def test_every_problem_of_every_row_is_reported_in_order(world, county, tmp_path):
    rows = [
        ent_row(1, 单位名称="", 从业人数="x"),
        ent_row(2),
        ent_row(3, **{"镇（街道）": "火星镇"}),
    ]
    result = import_rows("enterprise", write_xlsx(tmp_path / "bad.xlsx", rows), actor=county)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "单位名称"),
        (2, "从业人数"),
        (4, "镇（街道）"),  # only the town: its village cannot be checked without it
    ]


def test_row_numbers_are_excel_rows_even_after_blank_rows(world, county, tmp_path):
    rows = [ent_row(1), None, None, ent_row(2, 规模="巨型"), None]
    result = import_rows("enterprise", write_xlsx(tmp_path / "gaps.xlsx", rows), actor=county)
    assert [(e.row, e.column) for e in result.errors] == [(5, "规模")]
    assert result.total == 2


def test_a_long_run_of_formatted_blank_rows_ends_the_data(world, county, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "BLANK_ROWS_END", 5)
    path = write_xlsx(tmp_path / "tail.xlsx", [ent_row(1), *([["", None, " "]] * 4), ent_row(2), *([None] * 8)])
    wb = load_workbook(path)
    wb.active.cell(row=200, column=1, value="far below")  # past the blank run: not data
    wb.save(path)
    result = import_rows("enterprise", path, actor=county, dry_run=True)
    assert result.ok and result.total == 2, messages(result)


def test_missing_and_repeated_header_columns(world, county, tmp_path):
    headers = [h for h in ENT_HEADERS if h != "单位名称"] + ["规模", "备注"]
    rows = [[*(ent_row(1)[h] for h in ENT_HEADERS if h != "单位名称"), "小型", "x"]]
    result = import_rows("enterprise", write_xlsx(tmp_path / "hdr.xlsx", rows, headers=headers), actor=county)
    assert sorted(messages(result)) == sorted(
        ["row 1, column 规模: 列重复出现", "row 1, column 单位名称: 缺少必填列，请使用下载的模板"]
    )
    assert result.ignored_columns == ["备注"]


# ----------------------------------------------------------------------------- atomicity


def test_one_bad_row_means_nothing_is_imported(world, county, tmp_path):
    rows = [ent_row(i) for i in range(1, 50)] + [ent_row(50, 统一社会信用代码="BAD")]
    before = Enterprise.objects.count()
    result = import_rows("enterprise", write_xlsx(tmp_path / "one-bad.xlsx", rows), actor=county)
    assert [e.row for e in result.errors] == [51]
    assert result.created == 0
    assert Enterprise.objects.count() == before
    assert import_audit_count() == 0


def test_a_failure_while_writing_rolls_back_every_batch(world, tmp_path, monkeypatch):
    """If a lookup ever let another town through, the scope check undoes the whole import."""
    from safeserve.registry.models import Town, Village

    class LeakyImporter(EnterpriseImporter):
        def visible(self, model, action="view"):  # a deliberately broken lookup: every town
            return model.objects.all() if model in (Town, Village) else super().visible(model, action)

    monkeypatch.setattr(importing, "BATCH_SIZE", 2)  # several batches are written before the check
    rows = [ent_row(i) for i in range(1, 6)] + [ent_row(6, **{"镇（街道）": "西塘镇", "村（社区）": "红菱村"})]
    path = write_xlsx(tmp_path / "leak.xlsx", rows)
    before = Enterprise.objects.count()
    with pytest.raises(PermissionDenied):
        LeakyImporter(world.user("town_a")).run(path)
    assert Enterprise.objects.count() == before
    assert import_audit_count() == 0


# ----------------------------------------------------------------------------- scoping


def test_town_officer_imports_into_own_town_only(world, tmp_path):
    officer = world.user("town_a")
    other = ent_row(2, **{"镇（街道）": "西塘镇", "村（社区）": "红菱村"})
    result = import_rows("enterprise", write_xlsx(tmp_path / "b.xlsx", [ent_row(1), other]), actor=officer)
    assert [(e.row, e.column) for e in result.errors] == [(3, "镇（街道）")]
    assert "不在您的管辖范围内" in result.errors[0].reason
    # By code it is no different.
    other = ent_row(2, **{"镇（街道）": "330421002", "村（社区）": None})
    result = import_rows("enterprise", write_xlsx(tmp_path / "c.xlsx", [other]), actor=officer)
    assert [(e.row, e.column) for e in result.errors] == [(2, "镇（街道）")]
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1002)).exists()

    result = import_rows("enterprise", write_xlsx(tmp_path / "a.xlsx", [ent_row(1)]), actor=officer)
    assert result.created == 1
    assert Enterprise.objects.get(credit_code=make_credit_code(1001)).town == world["town_a"]


def test_roles_without_the_add_permission_are_refused(world, tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [ent_row(1)])
    for persona in ("ent_a", "agency_a", "expert_a", "norole"):
        with pytest.raises(PermissionDenied):
            import_rows("enterprise", path, actor=world.user(persona))
    with pytest.raises(PermissionDenied):
        import_rows("agency", path, actor=world.user("town_a"))
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1001)).exists()


def test_validation_makes_the_same_number_of_queries_for_5_or_300_rows(world, county, tmp_path):
    warm_up = write_xlsx(tmp_path / "warm.xlsx", [ent_row(0)])
    import_rows("enterprise", warm_up, actor=county, dry_run=True)  # permission and content-type caches
    counts = []
    for n in (5, 300):
        path = write_xlsx(tmp_path / f"{n}.xlsx", [ent_row(i) for i in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            result = import_rows("enterprise", path, actor=county, dry_run=True)
        assert result.ok and result.total == n
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts


# ----------------------------------------------------------------------------- files


def test_files_that_are_not_readable_xlsx_are_rejected(world, county, tmp_path, settings):
    cases = {
        "empty.xlsx": (b"", "文件为空"),
        "text.xlsx": ("统一社会信用代码，单位名称\n".encode(), "不是有效的 .xlsx 文件"),
        "old.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "不支持旧版 .xls"),
        "corrupt.xlsx": (b"PK\x03\x04" + b"garbage" * 100, "文件已损坏"),
    }
    for name, (content, reason) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        result = import_rows("enterprise", path, actor=county)
        assert result.file_error and len(result.errors) == 1, name
        assert reason in str(result.errors[0]), (name, result.errors)

    header_only = write_xlsx(tmp_path / "header-only.xlsx", [])
    assert "没有数据行" in str(import_rows("enterprise", header_only, actor=county).errors[0])
    blank = tmp_path / "blank.xlsx"
    Workbook().save(blank)
    assert "第1行应为表头" in str(import_rows("enterprise", blank, actor=county).errors[0])

    path = write_xlsx(tmp_path / "ok.xlsx", [ent_row(i) for i in range(5)])
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_MAX_BYTES": 1000}
    assert "文件过大" in str(import_rows("enterprise", path, actor=county).errors[0])
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_MAX_BYTES": 10**7, "IMPORT_MAX_ROWS": 4}
    assert "超过上限 4 行" in str(import_rows("enterprise", path, actor=county).errors[0])
    assert Enterprise.objects.filter(credit_code__startswith="913304210000010").count() == 0


# ----------------------------------------------------------------------------- agencies and experts


def agency_row(n, **over):
    row = {
        "统一社会信用代码": make_credit_code(2000 + n),
        "机构名称": f"嘉善测试{n}号安全咨询有限公司",
        "地址": "罗星街道某路1号",
        "服务类型": "安全咨询、安全评价",
        "本地机构": "引进",
        "联系人": "王五",
        "联系电话": "0573-84123456",
        "在册": "是",
    }
    row.update(over)
    return row


def test_agency_import_and_its_rules(world, county, tmp_path):
    good = write_xlsx(
        tmp_path / "ag.xlsx", [agency_row(1), agency_row(2, 服务类型="检测检验，职业卫生", 本地机构="是")]
    )
    result = import_rows("agency", good, actor=county)
    assert result.errors == [] and result.created == 2
    a1 = Agency.objects.get(credit_code=make_credit_code(2001))
    assert (a1.service_types, a1.is_local, a1.contact_phone) == (["consulting", "evaluation"], False, "0573-84123456")
    assert Agency.objects.get(credit_code=make_credit_code(2002)).service_types == ["testing", "occupational"]
    assert AuditLog.objects.filter(action="import", content_type=ContentType.objects.get_for_model(Agency)).count() == 2

    bad = write_xlsx(
        tmp_path / "ag-bad.xlsx",
        [
            agency_row(3, 服务类型="算命"),
            agency_row(4, 统一社会信用代码=world["agency_a"].credit_code),
            agency_row(5, 服务类型=""),
        ],
    )
    result = import_rows("agency", bad, actor=county)
    assert [(e.row, e.column) for e in result.errors] == [(2, "服务类型"), (3, "统一社会信用代码"), (4, "服务类型")]
    assert "“算命”" in result.errors[0].reason
    assert result.errors[1].reason == "系统中已存在该统一社会信用代码的机构"


def expert_row(n, **over):
    row = {
        "姓名": f"测试专家{n}",
        "身份证号": make_id_number(500 + n),
        "职称": "高级工程师",
        "专业领域": "机械安全",
        "专家库": "市级",
        "工作单位": "某公司",
        "任职企业信用代码": "",
        "任职机构信用代码": "",
        "手机号": "13600000099",
        "电子邮箱": "x@example.com",
        "在库": "是",
    }
    row.update(over)
    return row


def test_expert_import_and_its_rules(world, county, tmp_path):
    rows = [
        expert_row(1, 任职企业信用代码=world["ent_a"].credit_code.lower(), 专家库="省"),
        expert_row(2, 身份证号="", 任职机构信用代码=world["agency_a"].credit_code),
    ]
    result = import_rows("expert", write_xlsx(tmp_path / "ex.xlsx", rows), actor=county)
    assert result.errors == [] and result.created == 2
    e1 = Expert.objects.get(name="测试专家1")
    assert (e1.employer_enterprise, e1.pool, e1.id_number) == (world["ent_a"], "province", make_id_number(501))
    assert Expert.objects.get(name="测试专家2").employer_agency == world["agency_a"]

    rows = [
        expert_row(3, 身份证号="330421198001010000"),
        expert_row(4, 身份证号=world["expert_a"].id_number),
        expert_row(5, 任职企业信用代码=make_credit_code(99999)),
        expert_row(6, 电子邮箱="not-an-email", 专业领域=""),
        expert_row(7, 身份证号=make_id_number(508)),
        expert_row(8, 身份证号=make_id_number(508)),
    ]
    result = import_rows("expert", write_xlsx(tmp_path / "ex-bad.xlsx", rows), actor=county)
    assert [(e.row, e.column) for e in result.errors] == [
        (2, "身份证号"),
        (3, "身份证号"),
        (4, "任职企业信用代码"),
        (5, "专业领域"),
        (5, "电子邮箱"),
        (7, "身份证号"),
    ], messages(result)
    assert "校验位错误" in result.errors[0].reason
    assert result.errors[1].reason == "系统中已存在该身份证号的专家"
    assert result.errors[5].reason == "与第6行重复"


# ----------------------------------------------------------------------------- management commands


def test_command_imports_and_prints_a_summary(world, tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", [ent_row(1), ent_row(2)])
    out = io.StringIO()
    call_command("import_enterprises", str(path), "--user", "county", stdout=out)
    assert "2 rows imported" in out.getvalue()
    assert Enterprise.objects.filter(credit_code__in=[make_credit_code(1001), make_credit_code(1002)]).count() == 2
    assert AuditLog.objects.filter(action="import", actor=world.user("county")).count() == 2


def test_command_dry_run_imports_nothing(world, tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", [ent_row(1), ent_row(2)])
    out = io.StringIO()
    call_command("import_enterprises", str(path), "--dry-run", stdout=out)
    assert "dry run: 2 rows would be imported" in out.getvalue()
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1001)).exists()


def test_command_exits_non_zero_and_prints_each_problem(world, tmp_path):
    rows = [ent_row(1), ent_row(2, 规模="巨型"), ent_row(3, 统一社会信用代码=world["ent_a"].credit_code)]
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    stderr = io.StringIO()
    with pytest.raises(CommandError) as exc_info:
        call_command("import_enterprises", str(path), stderr=stderr)
    assert exc_info.value.returncode == 1  # what manage.py exits with
    err = stderr.getvalue() + str(exc_info.value)
    lines = err.splitlines()
    # The README's words, the same line the upload page shows: 第N行,「列名」:原因
    assert "第3行，「规模」：无效的取值“巨型”，可选：大型、中型、小型、微型" in lines
    assert "第4行，「统一社会信用代码」：系统中已存在该统一社会信用代码的单位" in lines
    assert "2 problem(s) in 3 rows; nothing was imported" in err
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1001)).exists()


def test_manage_py_exits_non_zero_for_an_unreadable_file(tmp_path):
    """The real process and its exit status (a file-level problem needs no database)."""
    bad = tmp_path / "roster.xlsx"
    bad.write_text("统一社会信用代码，单位名称")
    env = {**os.environ, "SAFESERVE_VAR_DIR": str(tmp_path / "var"), "DJANGO_DEBUG": "1"}
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_enterprises", str(bad), "--skip-checks"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "不是有效的 .xlsx 文件" in proc.stderr
    assert "nothing was imported" in proc.stderr


def test_command_as_a_town_officer_cannot_import_into_another_town(world, tmp_path):
    path = write_xlsx(tmp_path / "b.xlsx", [ent_row(1, **{"镇（街道）": "西塘镇", "村（社区）": "红菱村"})])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_enterprises", str(path), "--user", "town_a", stderr=err)
    assert err.getvalue().startswith("第2行，「镇（街道）」：未找到该镇（街道）“西塘镇”，或不在您的管辖范围内")
    with pytest.raises(CommandError, match="没有导入"):
        call_command("import_agencies", str(path), "--user", "town_a")
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_enterprises", str(path), "--user", "nobody")


def test_command_reports_unreadable_files_and_progress(world, tmp_path, monkeypatch):
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a spreadsheet")
    err = io.StringIO()
    with pytest.raises(CommandError, match="cannot be imported"):
        call_command("import_enterprises", str(bad), stderr=err)
    assert "不是有效的 .xlsx 文件" in err.getvalue()

    monkeypatch.setattr(importing, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(importing, "BATCH_SIZE", 2)
    out = io.StringIO()
    call_command(
        "import_agencies", str(write_xlsx(tmp_path / "ag.xlsx", [agency_row(i) for i in range(5)])), stdout=out
    )
    lines = out.getvalue().splitlines()
    assert "validated 2/5 rows" in lines and "validated 4/5 rows" in lines
    assert "imported 2/5 rows" in lines and "imported 5/5 rows" in lines
    assert "5 rows imported" in lines[-1]


def test_exported_list_can_be_read_back(world, client_for, tmp_path):
    """The list page's export uses the same headers: re-importing it finds only the duplicates."""
    resp = client_for("county").get(reverse("registry:enterprise_export"))
    assert resp.status_code == 200
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"".join(resp.streaming_content))
    result = import_rows("enterprise", path, actor=world.user("county"), dry_run=True)
    assert {(e.column, e.reason) for e in result.errors} == {
        ("统一社会信用代码", "系统中已存在该统一社会信用代码的单位")
    }
    assert len(result.errors) == Enterprise.objects.count()


# ----------------------------------------------------------------------------- upload pages


@pytest.fixture
def upload_dir(settings, tmp_path):
    path = tmp_path / "uploads"
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_UPLOAD_DIR": str(path)}
    return path


def upload(client, url, path):
    with open(path, "rb") as fh:
        return client.post(url, {"action": "upload", "file": fh})


def test_import_pages_need_login_and_the_add_permission(world, client_for):
    urls = {
        "enterprise": reverse("registry:enterprise_import"),
        "agency": reverse("registry:agency_import"),
        "expert": reverse("registry:expert_import"),
    }
    allowed = {"county": {"enterprise", "agency", "expert"}, "town_a": {"enterprise"}, "town_b": {"enterprise"}}
    for persona in ("anon", "county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "norole"):
        client = client_for(persona)
        for kind, url in urls.items():
            for target in (url, reverse("registry:import_template", args=[kind])):
                resp = client.get(target)
                if persona == "anon":
                    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]
                else:
                    want = 200 if kind in allowed.get(persona, ()) else 403
                    assert resp.status_code == want, (persona, target, resp.status_code)
    assert client_for("county").get(reverse("registry:import_template", args=["insurer"])).status_code == 404


def test_upload_preview_then_confirm_imports(world, client_for, tmp_path, upload_dir):
    client = client_for("town_a")
    url = reverse("registry:enterprise_import")
    path = write_xlsx(tmp_path / "名册.xlsx", [ent_row(1), ent_row(2)])

    resp = upload(client, url, path)
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "共 2 行数据" in page and "全部 2 行校验通过" in page
    assert "嘉善测试2号五金有限公司" in page  # the preview table
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1001)).exists()
    token = resp.context["token"]
    assert list(upload_dir.iterdir()) == [upload_dir / f"{token}.xlsx"]

    # Another user cannot confirm this upload, even knowing the token.
    other = client_for("county").post(url, {"action": "confirm", "token": token})
    assert other.status_code == 302
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1001)).exists()

    resp = client.post(url, {"action": "confirm", "token": token}, follow=True)
    assert resp.redirect_chain[-1][0] == reverse("registry:enterprise_list")
    assert "已从 名册.xlsx 导入 2 条" in resp.content.decode()
    assert Enterprise.objects.filter(credit_code__in=[make_credit_code(1001), make_credit_code(1002)]).count() == 2
    assert AuditLog.objects.filter(action="import", actor=world.user("town_a")).count() == 2
    assert list(upload_dir.iterdir()) == []  # the file is gone once imported

    # The token is spent: a second confirm imports nothing more.
    resp = client.post(url, {"action": "confirm", "token": token})
    assert resp.status_code == 302
    assert import_audit_count() == 2


def test_upload_with_errors_lists_them_and_offers_an_xlsx(world, client_for, tmp_path, upload_dir):
    client = client_for("town_a")
    url = reverse("registry:enterprise_import")
    rows = [ent_row(1), ent_row(2, **{"镇（街道）": "西塘镇", "村（社区）": None}), ent_row(3, 从业人数="很多")]
    resp = upload(client, url, write_xlsx(tmp_path / "bad.xlsx", rows))
    page = resp.content.decode()
    assert "发现 2 个问题，未导入任何数据" in page
    assert "第3行，「镇（街道）」：未找到该镇（街道）“西塘镇”，或不在您的管辖范围内" in page
    assert "第4行，「从业人数」：应为整数，当前为“很多”" in page
    assert 'data-testid="confirm-import"' not in page
    assert resp.context["bad_rows"] == {3, 4}
    assert page.count('class="table-danger"') == 2  # the bad rows are marked in the preview table
    token = resp.context["token"]

    download = client.get(url, {"errors": token})
    assert download.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows == [
        ("行号", "列名", "原因"),
        (3, "镇（街道）", "未找到该镇（街道）“西塘镇”，或不在您的管辖范围内"),
        (4, "从业人数", "应为整数，当前为“很多”"),
    ]
    # Nothing to confirm, and neither another user nor a made-up token gets the problems.
    assert client.post(url, {"action": "confirm", "token": token}).status_code == 302
    assert client_for("county").get(url, {"errors": token}).status_code == 404
    assert client.get(url, {"errors": "x" * 32}).status_code == 404
    assert client.get(url, {"errors": "../../etc/passwd"}).status_code == 404
    assert client.get(url, {"errors": "问题清单"}).status_code == 404
    assert not Enterprise.objects.filter(credit_code=make_credit_code(1001)).exists()
    assert json.loads((upload_dir / f"{token}.errors.json").read_text())[0][0] == 3


def test_upload_rejects_wrong_files_with_a_clear_message(world, client_for, tmp_path, upload_dir, settings):
    client = client_for("county")
    url = reverse("registry:enterprise_import")
    csv = tmp_path / "roster.csv"
    csv.write_text("a,b")
    assert "只能上传 .xlsx" in upload(client, url, csv).content.decode()
    fake = tmp_path / "roster.xlsx"
    fake.write_text("a,b")
    assert "不是有效的 .xlsx 文件" in upload(client, url, fake).content.decode()
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert "文件为空" in upload(client, url, empty).content.decode()
    assert "请选择要上传" in client.post(url, {"action": "upload"}).content.decode()
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_MAX_BYTES": 1000}
    big = write_xlsx(tmp_path / "big.xlsx", [ent_row(i) for i in range(30)])
    assert "文件过大" in upload(client, url, big).content.decode()
    assert list(upload_dir.iterdir()) == []


def test_a_long_error_list_is_cut_on_the_page_but_complete_in_the_download(world, client_for, tmp_path, upload_dir):
    client = client_for("county")
    url = reverse("registry:enterprise_import")
    resp = upload(client, url, write_xlsx(tmp_path / "bad.xlsx", [ent_row(i, 规模="巨型") for i in range(510)]))
    page = resp.content.decode()
    assert "发现 510 个问题" in page and "另有 10 个问题未显示" in page
    assert "第501行，「规模」" in page and "第502行，「规模」" not in page
    download = client.get(url, {"errors": resp.context["token"]})
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert sum(1 for _ in wb.worksheets[0].iter_rows()) == 511


def test_confirm_revalidates_against_the_current_database(world, client_for, tmp_path, upload_dir):
    client = client_for("county")
    url = reverse("registry:enterprise_import")
    resp = upload(client, url, write_xlsx(tmp_path / "ok.xlsx", [ent_row(1)]))
    token = resp.context["token"]
    # Meanwhile the same enterprise is registered by hand.
    import_rows("enterprise", write_xlsx(tmp_path / "same.xlsx", [ent_row(1)]), actor=world.user("town_a"))
    resp = client.post(url, {"action": "confirm", "token": token})
    assert resp.status_code == 200
    assert "第2行，「统一社会信用代码」：系统中已存在该统一社会信用代码的单位" in resp.content.decode()
    assert Enterprise.objects.filter(credit_code=make_credit_code(1001)).count() == 1


def test_template_download_opens_with_headers_example_and_allowed_values(world, client_for, tmp_path):
    resp = client_for("town_a").get(reverse("registry:import_template", args=["enterprise"]))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    sheet, allowed = wb.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ENT_HEADERS
    values = list(allowed.iter_rows(values_only=True))
    assert ("镇（街道）", "罗星街道", "330421001") in values
    assert not any(v[1] == "西塘镇" for v in values)  # another town is not offered to town A
    assert ("村（社区）", "鑫锋村", "罗星街道") in values
    assert ("行业代码", "C33", "金属制品业") in values
    assert ("风险等级", "红（重大风险）", None) in values

    # The example row itself imports cleanly for this officer.
    path = tmp_path / "template.xlsx"
    wb.save(path)
    result = import_rows("enterprise", path, actor=world.user("town_a"), dry_run=True)
    assert result.ok and result.total == 1, messages(result)

    for kind in ("agency", "expert"):
        resp = client_for("county").get(reverse("registry:import_template", args=[kind]))
        path = tmp_path / f"{kind}.xlsx"
        path.write_bytes(b"".join(resp.streaming_content))
        result = import_rows(kind, path, actor=world.user("county"), dry_run=True)
        assert result.ok and result.total == 1, (kind, messages(result))
