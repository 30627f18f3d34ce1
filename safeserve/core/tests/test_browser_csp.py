"""Under the Content-Security-Policy the pages with scripts still work and the browser reports no violation.

Home (ECharts dashboards), the visit form (checklist reload), the device page (two ECharts charts,
the confirm before rotating the secret), the language switch, htmx filtering and the API docs.
"""

import json
import time

import pytest

from conftest import browser_login
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def problems(page):
    """Every console error (CSP violations are reported there) and uncaught page error."""
    seen = []
    page.on("console", lambda m: seen.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: seen.append(f"pageerror: {e}"))
    return seen


def _violations(seen):
    return [s for s in seen if "Content Security Policy" in s or "pageerror" in s or "Refused to" in s]


@pytest.fixture
def device(world):
    from safeserve.iot import actions, ingest
    from safeserve.iot.choices import Source

    d, secret = actions.device_create(
        actor=None,
        data={
            "enterprise": world["ent_a"],
            "code": "JS-A-0009",
            "name": "甲公司配电箱",
            "place": "一车间",
            "circuit": "动力回路",
            "rated_current_a": 32,
            "interval_s": 60,
        },
    )
    now = int(time.time() * 1000)
    for i in range(5):
        body = json.dumps({"ts": now - (5 - i) * 60_000, "values": {"residual_ma": 100 + i, "t1_c": 40, "ua_v": 220}})
        ingest.ingest([ingest.Message(body=body, source=Source.HTTP, device_code=d.code, secret=secret)])
    return d


def test_pages_with_scripts_work_without_csp_violations(page, world, device, problems):
    from safeserve_dev.services_fixtures import make_contract

    contract = make_contract(world)
    browser_login(page, "county", PASSWORD)
    resp = page.goto("/")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    page.wait_for_selector("[data-chart] canvas")  # the dashboard charts rendered
    assert page.locator("[data-chart] canvas").count() >= 1

    page.goto(f"/iot/devices/{device.pk}/")
    page.wait_for_selector("#chart-24h canvas")
    page.wait_for_selector("#chart-30d canvas")
    page.hover("#chart-24h canvas")  # the tooltip is HTML with inline style attributes

    page.goto("/registry/enterprises/")
    with page.expect_response(lambda r: "/registry/enterprises/" in r.url and "q=" in r.url):
        page.fill("input[name=q]", "嘉善")  # htmx swaps the filtered table in
    page.wait_for_load_state("networkidle")

    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info")

    page.context.clear_cookies()
    browser_login(page, "agency_a", PASSWORD)
    page.goto(f"/services/visits/new/?contract={contract.pk}")
    options = page.locator("#id_template option[value]:not([value=''])")
    if options.count():
        value = options.first.get_attribute("value")
        with page.expect_navigation():
            page.select_option("#id_template", value)  # visit_form.js reloads with the chosen checklist
        assert f"template={value}" in page.url and f"contract={contract.pk}" in page.url

    with page.expect_navigation():
        page.select_option("select[name=language]", "en")  # forms.js: data-autosubmit
    assert page.locator("html").get_attribute("lang") == "en"

    assert _violations(problems) == [], problems


def test_confirm_before_rotating_a_device_secret(page, world, device, problems):
    browser_login(page, "county", PASSWORD)
    page.goto(f"/iot/devices/{device.pk}/")
    if not page.locator('[data-testid="rotate-secret"]').count():
        pytest.skip("this persona cannot rotate device secrets")
    page.once("dialog", lambda d: d.dismiss())
    page.click('[data-testid="rotate-secret"]')
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/iot/devices/{device.pk}/")  # dismissed: nothing submitted
    assert not page.locator('[data-testid="device-secret"]').count()
    page.once("dialog", lambda d: d.accept())
    with page.expect_navigation():
        page.click('[data-testid="rotate-secret"]')
    page.wait_for_selector('[data-testid="device-secret"]')
    assert _violations(problems) == [], problems
