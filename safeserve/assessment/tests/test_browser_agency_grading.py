"""The county creates this year's agency grading scheme from the default, opens the grading from the
监督管理 menu's page and reads the ranking (table with grades and chart); agency A's staff see only
their own rank and sheet. Real Chromium."""

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.assessment.models import Assessment
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_county_opens_the_agency_grading_and_an_agency_sees_its_own(browser, live_server, world, media_root):
    name_a, name_b = world["agency_a"].name, world["agency_b"].name
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "county", PASSWORD)
        page.goto("/assessment/agencies/")
        page.get_by_test_id("agency-scheme-default").click()
        expect(page.locator(".alert-success")).to_contain_text("默认方案")
        expect(page.locator("main")).to_contain_text("弄虚作假、租借资质（一票否决）")
        page.goto("/assessment/agencies/")
        page.get_by_test_id("assessment-open").click()
        page.get_by_test_id("open-submit").click()
        expect(page.locator(".alert-success")).to_contain_text("已通知各服务机构")
        ranking = page.get_by_test_id("ranking")
        expect(ranking).to_contain_text(name_a)
        expect(ranking).to_contain_text(name_b)
        expect(ranking.get_by_test_id("grade").first).not_to_be_empty()
        expect(page.locator("[data-chart=ranking] canvas")).to_be_visible()
        grading = Assessment.objects.get(subject="agency")
        context.clear_cookies()

        browser_login(page, "agency_a", PASSWORD)
        page.goto(grading.get_absolute_url())
        expect(page.get_by_test_id("own-rank")).to_contain_text(name_a)
        expect(page.locator("main")).not_to_contain_text(name_b)
        page.get_by_test_id("own-rank").get_by_role("link", name=name_a).click()
        expect(page.get_by_test_id("sheet-total")).to_contain_text("等次")
        expect(page.locator("nav.ss-nav")).to_contain_text("机构年度考评")
        expect(page.locator("nav.ss-nav")).not_to_contain_text("乡镇考核")
    finally:
        context.close()
