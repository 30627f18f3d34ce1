"""On a phone (390×844, real Chromium): an enterprise posts a need, two agencies quote, the
enterprise compares the quotes side by side and accepts one, and both sides confirm the contract."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.market.models import Need, Quote
from safeserve.services.models import ServiceContract
from safeserve_dev.market_fixtures import second_consulting_agency
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def _phone(browser, live_server, username):
    context = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda d: d.accept())
    browser_login(page, username, PASSWORD)
    return context, page


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: {width}px wide on a {PHONE['width']}px phone"


def test_enterprise_posts_two_agencies_quote_enterprise_accepts_both_confirm(browser, live_server, world):
    second_consulting_agency(world)
    today = timezone.localdate()
    ent, ent_page = _phone(browser, live_server, "ent_a")
    contexts = [ent]
    try:
        ent_page.goto("/market/needs/add/")
        _fits(ent_page)
        expect(ent_page.get_by_test_id("register-facts")).to_contain_text(world["ent_a"].industry.name)  # read-only
        ent_page.check("input[name=service_types][value=consulting]")
        ent_page.fill("#id_scope", "隐患排查每年4次，协助标准化创建")
        ent_page.fill("#id_visits_per_year", "4")
        ent_page.fill("#id_start_date", (today + timedelta(days=10)).isoformat())
        ent_page.fill("#id_end_date", (today + timedelta(days=375)).isoformat())
        ent_page.fill("#id_budget_max", "15000")
        ent_page.get_by_test_id("need-submit").click()
        expect(ent_page.get_by_test_id("need-status")).to_have_text("征集报价中")
        need = Need.objects.get()
        _fits(ent_page)

        for username, price, staff in (("agency_a", "12000", "staff_a"), ("agency_c", "9800", "staff_c")):
            ctx, page = _phone(browser, live_server, username)
            contexts.append(ctx)
            page.goto(f"/market/needs/{need.pk}/")
            expect(page.get_by_test_id("need-enterprise")).to_contain_text("企业未公开名称")
            assert world["ent_a"].name not in page.content()
            page.fill("#id_price", price)
            page.check(f"input[name=staff][value='{world[staff].pk}']")
            page.fill("#id_plan", "每季度上门排查一次，出具整改建议")
            page.fill("#id_valid_until", (today + timedelta(days=30)).isoformat())
            _fits(page)
            page.get_by_test_id("quote-submit").click()
            expect(page.get_by_test_id("quote-status")).to_have_text("已报价")
        assert Quote.objects.count() == 2

        ent_page.goto(f"/market/needs/{need.pk}/compare/")
        table = ent_page.get_by_test_id("compare-table")
        expect(table.locator("thead th")).to_have_count(3)
        expect(table).to_contain_text("9800")
        expect(table).to_contain_text("12000")
        _fits(ent_page)
        ent_page.get_by_test_id(f"accept-{world['agency_c'].pk}").click()
        expect(ent_page.get_by_test_id("contract-status")).to_have_text("草稿")
        assert ServiceContract.objects.count() == 1
        ent_page.get_by_test_id("confirm").click()
        expect(ent_page.get_by_test_id("contract-box")).to_contain_text("待确认")  # the agency's side

        agency_page = contexts[2].pages[0]
        agency_page.goto(ent_page.url)
        expect(agency_page.get_by_test_id("need-enterprise")).to_contain_text(world["ent_a"].name)
        agency_page.get_by_test_id("confirm").click()
        expect(agency_page.get_by_test_id("contract-status")).to_have_text("履行中")
        _fits(agency_page)
        contract = ServiceContract.objects.get()
        assert contract.status == "active" and contract.agency_id == world["agency_c"].pk
        assert str(contract.fee) == "9800.00"
    finally:
        for ctx in contexts:
            ctx.close()
