"""A town officer in a real Chromium: log in (Chinese UI), filter enterprises, open one, and get a
404 for another town's enterprise typed into the address bar."""

import re

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.registry.models import Enterprise
from safeserve_dev.testkit import PASSWORD, make_credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOT = "/tmp/enterprise_list.png"


def more_enterprises_in_town_a(world):
    """Two more enterprises in town A, so that filtering visibly narrows the list."""
    common = {
        "town": world["town_a"],
        "village": world["village_a"],
        "industry": world["industry"],
        "size_class": "micro",
        "employees": 8,
        "legal_representative": "陈六",
    }
    Enterprise.objects.create(
        credit_code=make_credit_code(11), name="嘉善丙木业有限公司", address="罗星街道3号", **common
    )
    Enterprise.objects.create(
        credit_code=make_credit_code(12), name="罗星丁纺织有限公司", address="罗星街道4号", **common
    )


def test_town_officer_filters_opens_and_cannot_reach_another_town(page, world):
    more_enterprises_in_town_a(world)
    ent_a, ent_b = world["ent_a"], world["ent_b"]

    browser_login(page, "town_a", PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("user-menu")).to_contain_text("罗星街道")

    # The enterprise list shows only town A's three enterprises, never town B's.
    page.get_by_role("link", name="生产经营单位").first.click()
    expect(page.locator("h1")).to_have_text("生产经营单位")
    table = page.get_by_test_id("object-table")
    expect(page.get_by_test_id("result-count")).to_have_text("共 3 条")
    expect(table).to_contain_text(ent_a.name)
    expect(table).not_to_contain_text(ent_b.name)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Typing in the search box: htmx swaps the table in place (no page load) and pushes the URL.
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true") as resp:
        page.locator("input[name=q]").press_sequentially("五金")
    assert resp.value.ok
    expect(page.get_by_test_id("result-count")).to_have_text("共 1 条")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text(ent_a.name)
    expect(table).not_to_contain_text("嘉善丙木业有限公司")
    assert page.evaluate("window.__sameDocument") is True  # the page itself was not reloaded
    expect(page).to_have_url(re.compile(r"[?&]q="))  # hx-push-url: the filtered list can be shared

    # Picking a filter (size class) and clearing the search: htmx again.
    page.locator("input[name=q]").fill("")
    page.locator("select[name=size_class]").select_option("micro")
    expect(page.get_by_test_id("result-count")).to_have_text("共 2 条")
    expect(table).not_to_contain_text(ent_a.name)
    expect(table).to_contain_text("罗星丁纺织有限公司")

    # Open an enterprise: its detail page with its fields and its change history.
    page.locator("input[name=q]").fill("五金")
    page.locator("select[name=size_class]").select_option("")
    expect(page.get_by_test_id("result-count")).to_have_text("共 1 条")
    table.get_by_role("link", name=ent_a.name).click()
    expect(page).to_have_url(f"{page.base_url}/registry/enterprises/{ent_a.pk}/")
    expect(page.get_by_test_id("object-title")).to_have_text(ent_a.name)
    expect(page.locator("[data-field=credit_code]")).to_have_text(ent_a.credit_code)
    expect(page.get_by_test_id("history")).to_be_visible()

    # Another town's enterprise by URL: the 404 page, which does not reveal the record.
    response = page.goto(f"/registry/enterprises/{ent_b.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("404")
    expect(page.locator("body")).to_contain_text("不在您的数据权限范围内")
    expect(page.locator("body")).not_to_contain_text(ent_b.name)
