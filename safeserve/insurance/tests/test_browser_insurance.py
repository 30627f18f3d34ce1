"""An insurer imports policies from Excel and makes a prevention plan (desktop); the commissioned agency
records the prevention visit on a phone (390×844, real Chromium); the insurer then sees the visit on the
policy and the insured's file."""

import io

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.insurance import actions, queries
from safeserve.insurance.models import Policy, PreventionPlan
from safeserve.services.models import ServiceVisit
from safeserve_dev.services_fixtures import general_template
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def _xlsx(world) -> bytes:
    from datetime import timedelta

    from django.utils import timezone
    from openpyxl import Workbook

    today = timezone.localdate()
    wb = Workbook()
    ws = wb.active
    ws.append(actions.HEADERS)
    for n, ent in enumerate(("ent_a", "ent_b"), start=1):
        ws.append(
            [
                f"PA-WEB-{n}",
                world[ent].credit_code,
                (today - timedelta(days=20)).isoformat(),
                (today + timedelta(days=344)).isoformat(),
                "10000",
                "10000",
                "800000",
                "5000000",
                "25",
                "20",
                "有效",
                "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_insurer_imports_policies_and_the_agency_records_a_prevention_visit_on_a_phone(
    browser, live_server, world, media_root
):
    general_template()
    desk = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1440, "height": 900})
    page = desk.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "insurer_a", PASSWORD)
        page.goto("/insurance/policies/import/")
        page.set_input_files(
            "#id_file",
            files=[{"name": "保单.xlsx", "mimeType": "application/octet-stream", "buffer": _xlsx(world)}],
        )
        page.get_by_role("button", name="检查并导入").click()
        expect(page.locator("main")).to_contain_text("PA-WEB-1")
        assert set(Policy.objects.values_list("number", flat=True)) == {"PA-WEB-1", "PA-WEB-2"}
        policy = Policy.objects.get(number="PA-WEB-1")

        # The plan: items, frequency, the commissioned agency and its staff, goals.
        page.goto(policy.get_absolute_url())
        page.get_by_role("link", name="制定服务计划").click()
        expect(page.locator("#id_policy")).to_have_value(str(policy.pk))
        page.get_by_label("隐患排查治理").check()
        page.select_option("#id_agency", str(world["agency_a"].pk))
        page.locator(f"input[name=staff][value='{world['staff_a'].pk}']").check()
        page.fill("#id_goals", "隐患排查全覆盖")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("plan-progress")).to_be_visible()
        plan = PreventionPlan.objects.get(policy=policy)
        assert plan.contract is not None and plan.contract.payer_insurer == world["insurer_a"]
    finally:
        desk.close()

    phone = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "agency_a", PASSWORD)
        page.goto(plan.contract.get_absolute_url())
        page.get_by_test_id("record-visit").click()
        expect(page.locator("#id_enterprise")).to_have_value(str(world["ent_a"].pk))
        page.get_by_test_id("all-ok").click()
        page.get_by_test_id("visit-submit").click()
        expect(page.get_by_test_id("object-title")).to_contain_text(world["ent_a"].name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{width}px wide on a phone"
    finally:
        phone.close()

    visit = ServiceVisit.objects.get()
    assert list(queries.policy_visits(policy)) == [visit]
    desk = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1440, "height": 900})
    page = desk.new_page()
    try:
        browser_login(page, "insurer_a", PASSWORD)
        page.goto(policy.get_absolute_url())
        expect(page.get_by_test_id("prevention-visits")).to_contain_text("安达")
    finally:
        desk.close()
