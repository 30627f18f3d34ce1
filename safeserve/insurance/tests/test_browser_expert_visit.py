"""The plan's expert on a phone (390×844, real Chromium): picks the checklist, answers every item (one
problem with its note), taps “记录当前位置”, saves; the record keeps the position, the problem became a
hazard of the insured, and its 隐患整改建议书 number shows on the record."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.insurance.models import PreventionPlan, PreventionVisit
from safeserve_dev.insurance_fixtures import extend_world, make_policy
from safeserve_dev.services_fixtures import general_template
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def test_the_expert_records_a_visit_with_its_position_on_a_phone(browser, live_server, world, media_root):
    extend_world(world)
    start = timezone.localdate() - timedelta(days=30)
    policy = make_policy(world, number="PA-X-PHONE", start=start, end=start + timedelta(days=364))
    plan = PreventionPlan.objects.create(
        policy=policy, items=["hazard"], visits_per_year=4, expert=world["expert_a"], goals="专家服务"
    )
    template = general_template()
    items = list(template.items.order_by("pk"))
    context = browser.new_context(
        locale="zh-CN",
        base_url=live_server.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        permissions=["geolocation"],
        geolocation={"latitude": 30.8412, "longitude": 120.9267},
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "expert_a", PASSWORD)
        page.goto(reverse("insurance:preventionvisit_add") + f"?plan={plan.pk}")
        page.locator("#id_pick_template").select_option(str(template.pk))
        page.get_by_role("button", name="下一步").click()
        form = page.get_by_test_id("expert-visit-form")
        expect(form).to_be_visible()
        rows = form.locator("[data-item]")
        expect(rows).to_have_count(len(items))
        for n in range(len(items)):
            row = rows.nth(n)
            if n == 0:
                row.locator("input[value=problem]").check()
                row.locator("input[type=text]").fill("灭火器压力不足")
            else:
                row.locator("input[value=ok]").check()
        page.get_by_test_id("locate").click()
        expect(page.get_by_test_id("location-status")).to_contain_text("30.841200")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{width}px wide on a {PHONE['width']}px phone"
        page.get_by_test_id("save").click()
        expect(page.get_by_test_id("visit-notice")).to_be_visible()
    finally:
        context.close()
    visit = PreventionVisit.objects.get(plan=plan)
    assert (str(visit.latitude), str(visit.longitude)) == ("30.841200", "120.926700")
    assert visit.hazards.count() == 1 and visit.notice is not None
