"""A list in a real Chromium: choose an enterprise by name (search as you type, scoped), then export
what is filtered, with feedback while the workbook is generated and a Chinese file name."""

import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve_dev.services_fixtures import make_contract
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_town_officer_picks_an_enterprise_by_name_and_exports_the_filtered_list(page, world):
    make_contract(world, number="HT-甲-001")
    make_contract(world, number="HT-乙-002", agency="agency_b", enterprises=("ent_b",))
    ent_a, ent_b = world["ent_a"], world["ent_b"]
    browser_login(page, "town_a", PASSWORD)
    page.goto("/services/contracts/")
    box = page.locator("#id_enterprise_search")
    expect(box).to_be_visible()

    # "有限公司" matches both towns' enterprises: the suggestions hold only town A's.
    with page.expect_response(lambda r: "/autocomplete/enterprise/" in r.url) as answer:
        box.press_sequentially("有限公司")
    assert answer.value.ok and ent_b.name not in answer.value.text()
    option = page.get_by_role("option", name=ent_a.name)
    expect(option).to_be_visible()
    with page.expect_response(lambda r: f"enterprise={ent_a.pk}" in r.url and r.request.headers.get("hx-request")):
        option.click()
    expect(page).to_have_url(re.compile(rf"enterprise={ent_a.pk}"))
    expect(page.get_by_test_id("object-table")).to_contain_text("HT-甲-001")

    # The export carries the filter chosen after the page loaded, and says it is working.
    button = page.get_by_test_id("export")
    with page.expect_download() as download:
        button.click()
    assert f"enterprise={ent_a.pk}" in download.value.url
    assert unquote(download.value.suggested_filename).startswith("服务合同-")
    expect(button).to_have_text(re.compile("导出Excel"))  # back to itself once the file came
    expect(button).not_to_have_attribute("aria-busy", "true")
