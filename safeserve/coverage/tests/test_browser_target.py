"""The county sets a town's coverage target in a real Chromium and sees the gap on the drill-down;
the trend chart draws (its script loads under the strict CSP). One browser, one test."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.coverage.models import CoverageTarget
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_county_sets_a_target_and_sees_the_gap(page, world):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    browser_login(page, "county", PASSWORD)
    page.goto(reverse("coverage:coveragetarget_add"))
    page.select_option("#id_kind", "overall")
    page.select_option("#id_town", str(world["town_a"].pk))
    page.fill("#id_share", "120")
    page.click("form.card button[type=submit]")
    expect(page.get_by_text("目标覆盖率不能大于 100%")).to_be_visible()  # refused, nothing saved
    assert not CoverageTarget.objects.exists()
    page.fill("#id_share", "100")
    page.click("form.card button[type=submit]")
    page.wait_for_load_state("networkidle")
    target = CoverageTarget.objects.get()
    assert (target.town_id, target.code, target.share) == (world["town_a"].pk, "overall", 100)

    # 罗星街道 has one enterprise (ent_a) and no contract or device: 0 of 1, 还差 1 家 against 100%.
    page.goto(reverse("coverage:overview"))
    row = page.get_by_test_id("coverage-table").locator("tr", has_text="罗星街道")
    expect(row).to_contain_text("100.00%")
    expect(row).to_contain_text("还差 1 家")
    row.get_by_role("link", name="罗星街道").click()
    expect(page.get_by_test_id("gap-overall")).to_have_text("还差 1 家")
    expect(page.get_by_test_id("trend-chart")).to_have_attribute("data-loaded", "1", timeout=20000)
    assert not problems, problems
    page.get_by_test_id("work-list-link").click()
    expect(page.get_by_test_id("work-table")).to_contain_text(world["ent_a"].name)
