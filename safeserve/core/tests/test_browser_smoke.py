import pytest

from conftest import browser_login
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_login_shows_chinese_home(page, world):
    browser_login(page, "town_a", PASSWORD)
    assert page.locator("h1").first.inner_text().startswith("工作台")
