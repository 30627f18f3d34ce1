"""In a real browser: the county proposes a listing, runs it to publication, and an anonymous visitor
on a phone sees it on the public page."""

from decimal import Decimal

import pytest
from django.utils import timezone

from safeserve.credit.models import Listing, Penalty
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_county_lists_an_enterprise_and_the_public_sees_it(world, browser, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    penalty = Penalty.objects.create(
        decision_number="嘉应急罚〔2026〕77号",
        decided_on=timezone.localdate(),
        party_kind="enterprise",
        enterprise=world["ent_a"],
        violation="被责令停产整顿期间仍组织生产",
        legal_basis="《中华人民共和国安全生产法》",
        fine=Decimal("50000"),
    )
    ctx = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto("/accounts/login/")
    page.fill("#id_username", "county")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto("/credit/listings/add/")
    page.select_option("#id_subject", "enterprise")
    page.fill("#id_enterprise", world["ent_a"].credit_code)
    page.select_option("#id_situation", "suspended_operating")
    page.select_option("#id_penalty", str(penalty.pk))
    page.fill("#id_facts", "被责令停产停业整顿期间仍从事生产经营活动")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=step-notify]")
    page.click("[data-testid=step-notify]")
    # The party's objection, received on paper and recorded by the county, then handled with a reason.
    page.fill("#reason-object", "企业称已停产")
    page.click("[data-testid=step-object]")
    page.fill("#reason-uphold", "现场检查发现仍在生产")
    page.click("[data-testid=step-uphold]")
    page.click("[data-testid=step-decide]")
    page.wait_for_selector("[data-testid=decision-pdf]")
    page.click("[data-testid=step-publish]")
    page.wait_for_selector("[data-testid=listed-today]")
    listing = Listing.objects.get()
    assert listing.state == "published" and listing.decision_number

    phone = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 390, "height": 844})
    anon = phone.new_page()
    anon.goto("/credit/public/")
    card = anon.locator("[data-testid=public-listing]")
    assert card.count() == 1
    text = card.inner_text()
    assert world["ent_a"].name in text and world["ent_a"].credit_code in text and listing.decision_number in text
    assert anon.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    phone.close()
    ctx.close()
