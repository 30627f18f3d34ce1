"""A county officer uploads a roster with one bad row, sees that row's problem, and nothing is imported."""

import pytest
from openpyxl import Workbook

from conftest import browser_login
from safeserve.registry.models import Enterprise
from safeserve.registry.roster_import import EnterpriseImporter
from safeserve_dev.testkit import PASSWORD, make_credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def roster(path):
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in EnterpriseImporter.columns])
    good = [
        "罗星街道",
        "鑫锋村",
        "C33",
        "小型",
        20,
        "蓝",
        "否",
        "否",
        "否",
        "未定级",
        "张三",
        "李四",
        "13800000009",
        "在业",
    ]
    ws.append([make_credit_code(3001), "嘉善浏览器一号有限公司", "罗星街道1号", *good])
    ws.append([make_credit_code(3002), "嘉善浏览器二号有限公司", "罗星街道2号", *good])
    bad_code = make_credit_code(3003)[:17] + ("0" if make_credit_code(3003)[17] != "0" else "1")
    ws.append([bad_code, "嘉善浏览器三号有限公司", "罗星街道3号", *good])
    wb.save(path)
    return path


def test_county_officer_sees_the_bad_row_and_nothing_is_imported(page, world, tmp_path, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_UPLOAD_DIR": str(tmp_path / "uploads")}
    before = Enterprise.objects.count()
    browser_login(page, "county", PASSWORD)

    page.goto("/registry/enterprises/")
    page.get_by_role("link", name="批量导入").click()
    page.wait_for_url("**/registry/enterprises/import/")
    page.set_input_files("input[type=file]", str(roster(tmp_path / "名册.xlsx")))
    page.get_by_role("button", name="上传并预览").click()

    errors = page.get_by_test_id("import-errors")
    errors.wait_for()
    assert errors.inner_text().strip() == "第4行，「统一社会信用代码」：统一社会信用代码校验位错误"
    assert "发现 1 个问题，未导入任何数据" in page.get_by_test_id("import-errors-summary").inner_text()
    assert page.get_by_test_id("confirm-import").count() == 0
    assert "嘉善浏览器一号有限公司" in page.get_by_test_id("preview-table").inner_text()
    marked = page.locator("[data-testid=preview-table] tr.table-danger")
    assert marked.count() == 1 and "嘉善浏览器三号有限公司" in marked.inner_text()
    assert Enterprise.objects.count() == before
