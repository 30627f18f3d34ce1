"""A town officer objects to an indicator of its sheet (note and a PDF), and the county officer rules
on it with a reason and a corrected score; the town sees the ruling and its new total. Real Chromium."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.assessment import actions
from safeserve.assessment.models import Objection, Score
from safeserve_dev.assessment_fixtures import make_scheme
from safeserve_dev.services_fixtures import pdf
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_town_objects_and_county_rules(browser, live_server, world, media_root, tmp_path):
    county = world.user("county")
    a = actions.assessment_open(
        actor=county, scheme=make_scheme(county, year=timezone.localdate().year), cut_off=timezone.localdate()
    )
    sheet = a.sheets.get(subject_id=world["town_a"].pk)
    score = Score.objects.get(sheet=sheet, indicator__order=4)  # 合同上门服务按时完成率 (no data: full marks)
    scan = tmp_path / "台账.pdf"
    scan.write_bytes(pdf().read())

    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "town_a", PASSWORD)
        page.goto(a.get_absolute_url())
        expect(page.get_by_test_id("own-rank")).to_contain_text("罗星街道")
        expect(page.locator("main")).not_to_contain_text("西塘镇")  # another town's score is not shown
        page.get_by_test_id("own-rank").get_by_role("link", name="罗星街道").click()
        row = page.get_by_test_id("object-4")
        row.locator("summary").click()
        row.get_by_label("异议说明").fill("第三季度服务记录已补录，请复核")
        row.get_by_label("附件（PDF 或照片，最多 5 个）").set_input_files(str(scan))
        row.get_by_test_id("object-submit").click()
        expect(page.locator(".alert-success")).to_contain_text("异议已提交")
        objection = Objection.objects.get(score=score)
        expect(page.get_by_test_id(f"objection-{objection.pk}")).to_contain_text("待裁定")
        context.clear_cookies()

        browser_login(page, "county", PASSWORD)
        page.goto(sheet.get_absolute_url())
        box = page.get_by_test_id(f"objection-{objection.pk}")
        expect(box).to_contain_text("第三季度服务记录已补录")
        expect(box.get_by_role("link", name="台账.pdf")).to_be_visible()
        box.get_by_label("裁定", exact=True).select_option("upheld")
        box.get_by_label("调整后得分（异议成立时可填）").fill("8")
        box.get_by_label("裁定理由").fill("补录记录属实，但第三季度仍有一家未按时服务")
        box.get_by_test_id("rule-submit").click()
        expect(page.locator(".alert-success")).to_contain_text("异议已裁定")
        context.clear_cookies()

        browser_login(page, "town_a", PASSWORD)
        page.goto(sheet.get_absolute_url())
        box = page.get_by_test_id(f"objection-{objection.pk}")
        expect(box.get_by_test_id("objection-state")).to_have_text("异议成立")
        expect(box).to_contain_text("补录记录属实")
        expect(page.get_by_test_id("score-4").get_by_test_id("score-final")).to_contain_text("8.00")
    finally:
        context.close()
    score.refresh_from_db()
    assert (score.adjusted, score.adjust_reason) == (Decimal("8.00"), "补录记录属实，但第三季度仍有一家未按时服务")
    assert actions.verify_assessment(a) == []
