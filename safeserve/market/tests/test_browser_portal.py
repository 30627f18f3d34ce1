"""On a phone (390×844, real Chromium), with no account: a reader opens the portal, goes to the agency
directory, ticks two agencies and compares them side by side."""

import pytest
from django.core.cache import cache, caches
from playwright.sync_api import expect

from safeserve_dev.testkit import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def test_an_anonymous_reader_compares_two_agencies_on_a_phone(browser, live_server):
    cache.clear()
    caches["portal"].clear()
    world = build_world()
    for key in ("agency_a", "agency_b"):
        world[key].service_types = ["consulting"]
        world[key].save()
    a, b = world["agency_a"], world["agency_b"]
    context = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        page.set_default_timeout(15000)
        page.goto("/portal/")
        assert not context.cookies(), "the public portal sets no cookie"
        page.get_by_role("link", name="查看名录").click()
        expect(page.get_by_test_id("directory")).to_contain_text(a.name)
        expect(page.get_by_test_id("directory")).to_contain_text(b.name)
        page.locator(f"#cmp-{a.pk}").check()
        page.locator(f"#cmp-{b.pk}").check()
        page.get_by_role("button", name="比较所选机构").click()
        table = page.get_by_test_id("compare")
        expect(table).to_be_visible()
        headers = table.locator("thead th")
        expect(headers).to_have_count(3)  # the row labels, then one column per agency
        expect(table).to_contain_text(a.name)
        expect(table).to_contain_text(b.name)
        expect(table.locator("tbody tr")).to_have_count(8)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the comparison is {width}px wide on a {PHONE['width']}px phone"
        assert "login" not in page.url and not context.cookies()
        # One agency alone is refused with a plain message, not an error page.
        page.goto(f"/portal/compare/?id={a.pk}&id=x")
        expect(page.locator(".alert-warning")).to_be_visible()
    finally:
        context.close()
