"""Agency staff on a phone (390×844, real Chromium): start a visit from a contract, answer some items,
choose a photo, submit with an item unanswered (error summary on top, answers and photo kept), tap
“其余全部符合”, save, show the one-time code, and the enterprise's contact confirms with it on their
own phone. One browser, one test."""

import io
import re

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.services.models import ServiceVisit, VisitConfirmation
from safeserve_dev.services_fixtures import general_template, make_contract
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 60, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _phone(browser, live_server, **options):
    context = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport=PHONE, is_mobile=True, has_touch=True, **options
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def _fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: {width}px wide on a {PHONE['width']}px phone"


def test_agency_records_a_visit_on_a_phone_and_the_enterprise_confirms_by_code(browser, live_server, world, media_root):
    contract = make_contract(world)
    items = list(general_template().items.all())
    context, page = _phone(
        browser, live_server, permissions=["geolocation"], geolocation={"latitude": 30.8412, "longitude": 120.9267}
    )
    try:
        browser_login(page, "agency_a", PASSWORD)
        page.goto(contract.get_absolute_url())
        page.get_by_test_id("record-visit").click()

        # Started from the contract: its only enterprise and its assigned staff are filled in.
        expect(page.locator("#id_enterprise")).to_have_value(str(world["ent_a"].pk))
        expect(page.locator(f"input[name=staff][value='{world['staff_a'].pk}']")).to_be_checked()
        expect(page.locator("#visit-form input[type=radio]:checked")).to_have_count(0)  # all unanswered
        _fits(page)

        # Some answers: the first item is a problem with a note, the next three fine.
        first = page.get_by_test_id("item-1")
        first.locator("input[value=problem]").check()
        first.locator("input[type=text]").fill("灭火器压力不足")
        for n in (2, 3, 4):
            page.get_by_test_id(f"item-{n}").locator("input[value=ok]").check()
        expect(page.get_by_test_id("answered-count")).to_have_text(f"4/{len(items)}")

        # A photo: uploaded the moment it is chosen, shown as a thumbnail.
        page.set_input_files("#id_photos", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": _png()}])
        expect(page.get_by_test_id("chosen-photos").locator("figure")).to_have_count(1)
        page.get_by_test_id("locate").click()
        expect(page.get_by_test_id("location-status")).to_contain_text("30.841200")

        # Submit with items unanswered: a summary on top, nothing lost.
        page.get_by_test_id("visit-submit").click()
        summary = page.get_by_test_id("error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_contain_text(f"检查项未作答：第 5 项“{items[4].text}”")
        expect(summary.get_by_role("link").first).to_have_attribute("href", f"#item-{items[4].pk}")
        assert not ServiceVisit.objects.exists()
        expect(page.get_by_test_id("item-1").locator("input[value=problem]")).to_be_checked()
        expect(page.get_by_test_id("item-1").locator("input[type=text]")).to_have_value("灭火器压力不足")
        expect(page.get_by_test_id("item-4").locator("input[value=ok]")).to_be_checked()
        expect(page.get_by_test_id("chosen-photos").locator("figure")).to_have_count(1)
        expect(page.get_by_test_id("location-status")).to_contain_text("30.841200")
        _fits(page)

        # One tap answers the rest 符合 (the problem stays a problem); save.
        page.get_by_test_id("all-ok").click()
        expect(page.get_by_test_id("answered-count")).to_have_text(f"{len(items)}/{len(items)}")
        expect(page.get_by_test_id("item-1").locator("input[value=problem]")).to_be_checked()
        page.get_by_test_id("visit-submit").click()
        expect(page.get_by_test_id("object-title")).to_contain_text(world["ent_a"].name)
        visit = ServiceVisit.objects.get()
        assert visit.photos.count() == 1 and str(visit.latitude) == "30.841200"
        assert visit.results.filter(result="problem").count() == 1
        expect(page.get_by_test_id(f"report-item-{items[0].pk}")).to_be_visible()  # 上报隐患, prefilled
        _fits(page)

        # The one-time code on the agency's phone.
        page.get_by_test_id("issue-code").click()
        code = page.get_by_test_id("confirm-code").inner_text().strip()
        assert re.fullmatch(r"\d{6}", code)
        confirm_url = page.get_by_test_id("confirm-url").inner_text().strip()

        # The enterprise's contact, on their own phone, without an account.
        contact_context, contact = _phone(browser, live_server)
        try:
            contact.goto(confirm_url)
            contact.fill("#id_code", code)
            contact.fill("#id_name", "李四")
            contact.get_by_test_id("confirm-submit").click()
            expect(contact.get_by_test_id("confirmed")).to_contain_text("李四")
            _fits(contact)
        finally:
            contact_context.close()

        page.get_by_test_id("back-to-visit").click()
        expect(page.get_by_test_id("confirmed")).to_contain_text("李四 · 现场确认码")
        assert VisitConfirmation.objects.get(visit=visit).method == "code"
    finally:
        context.close()


def test_town_officer_picks_the_agency_then_its_staff_and_enterprises_by_name(browser, live_server, world):
    """The new-contract form in Chromium: htmx reloads the staff for the agency; the name search picks."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "town_a", PASSWORD)
        page.goto("/services/contracts/add/")
        expect(page.locator("#staff-options")).to_contain_text("请先选择服务机构")
        page.select_option("#id_agency", str(world["agency_a"].pk))
        expect(page.locator("#staff-options")).to_contain_text(world["staff_a"].name)
        page.get_by_test_id("enterprise-search").press_sequentially("五金")
        page.get_by_test_id("enterprise-results").get_by_role("button").first.click()
        picked = page.get_by_test_id("picked-enterprises")
        expect(picked).to_contain_text(world["ent_a"].name)
        expect(picked.locator("input[type=checkbox]:checked")).to_have_count(1)
    finally:
        context.close()
