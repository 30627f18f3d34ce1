"""In a real browser: bulk creation shows each password once; the safety manager sets a password through
the invite link and signs in (issue 11 §4)."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve_dev.testfiles import xlsx_bytes
from safeserve_dev.testkit import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ("用户名*", "姓名*", "手机号*", "角色*", "所属镇（街道）", "所属单位", "电子邮箱")


def test_bulk_creation_and_the_invite_link_in_a_browser(world, page, browser, tmp_path):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    browser_login(page, "county", PASSWORD)

    # Bulk: upload, preview, confirm; the password is on the result page and nowhere after it.
    sheet = tmp_path / "账号.xlsx"
    sheet.write_bytes(
        xlsx_bytes([HEADER, ("jia_wang", "王安全", "13911112222", "企业用户", "", "嘉善甲五金有限公司", "")])
    )
    page.goto("/accounts/users/import/")
    page.set_input_files("#id_file", str(sheet))
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_test_id("import-ok")).to_be_visible()
    page.get_by_test_id("confirm-import").click()
    password = page.get_by_test_id("initial-password").inner_text()
    assert len(password) == 14
    page.goto("/accounts/users/import/")
    assert password not in page.content()

    # One click: the safety manager's invite link, opened elsewhere, sets the password.
    page.goto(f"/accounts/enterprises/{world['ent_b'].pk}/safety-manager/")
    page.get_by_test_id("safety-manager-account").click()
    link = page.get_by_test_id("invite-link").input_value()
    other = browser.new_context(locale="zh-CN").new_page()
    other.goto(link)
    new = "Anquan-2026-Xitang"
    other.fill("#id_new_password1", new)
    other.fill("#id_new_password2", new)
    other.get_by_test_id("set-password").click()
    expect(other.locator(".alert-success, .alert-info").first).to_contain_text("密码已设置")
    other.fill("#id_username", f"qy{world['ent_b'].credit_code}".lower())
    other.fill("#id_password", new)
    other.click("button[type=submit]")
    other.wait_for_url(lambda url: "/accounts/" not in url)
    other.context.close()
    assert errors == []
