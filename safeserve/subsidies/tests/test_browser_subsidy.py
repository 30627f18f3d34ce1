"""An enterprise applies for a subsidy on a phone (contract, invoice amount and number, invoice
PDF), sees the proposed amount; the town officer approves it at a lower amount and records the
payment. One browser, one test."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.subsidies.models import SubsidyApplication
from safeserve_dev.services_fixtures import pdf
from safeserve_dev.subsidies_fixtures import make_own_contract, make_policy
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_enterprise_applies_on_a_phone_and_the_town_approves(browser, live_server, world):
    policy = make_policy(world, budget="20000.00", share="0.50", cap="5000.00")
    contract = make_own_contract(world, number="HT-BT-001", fee="8000.00")
    phone = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.set_default_timeout(15000)
    browser_login(page, "ent_a", PASSWORD)
    page.goto(policy.get_absolute_url())
    page.get_by_role("link", name="申请补贴").click()
    expect(page.get_by_test_id("apply-policy")).to_contain_text(policy.name)
    page.select_option("#id_contract", str(contract.pk))
    page.fill("#id_invoice_number", "33042601")
    page.fill("#id_invoice_amount", "8000")
    page.set_input_files(
        "#id_invoice", files=[{"name": "发票.pdf", "mimeType": "application/pdf", "buffer": pdf().read()}]
    )
    page.get_by_test_id("apply-submit").click()
    expect(page.get_by_test_id("object-title")).to_contain_text("BT")
    expect(page.locator('[data-field="proposed_amount"]')).to_contain_text("4000")
    expect(page.locator('[data-field="status"]')).to_contain_text("待审核")
    # No horizontal scrolling on the phone.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    app = SubsidyApplication.objects.get()
    phone.close()

    office = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = office.new_page()
    page.set_default_timeout(15000)
    browser_login(page, "town_a", PASSWORD)
    page.goto(app.get_absolute_url())
    page.fill("#id_amount", "3500")
    page.fill("#id_reason", "发票部分内容不属于补贴范围，核减")
    page.get_by_test_id("application-approve").click()
    expect(page.locator('[data-field="status"]')).to_contain_text("已批准")
    expect(page.locator('[data-field="approved_amount"]')).to_contain_text("3500")
    page.fill("#id_voucher_number", "PZ-2026-001")
    page.get_by_test_id("application-paid").click()
    expect(page.locator('[data-field="status"]')).to_contain_text("已拨付")
    app.refresh_from_db()
    assert (app.status, app.approved_amount, app.paid_amount) == ("paid", Decimal("3500.00"), Decimal("3500.00"))
    office.close()
