"""End to end in a real Chromium: a simulated leak over the HTTP door raises an alarm, the enterprise
acknowledges it and its contracted agency closes it with its measures (as the issue asks)."""

import json
import urllib.request

import pytest

from safeserve.iot.models import Alarm
from safeserve_dev.testkit import PASSWORD

from .conftest import now_ms

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _login(page, username):
    from conftest import browser_login

    browser_login(page, username, PASSWORD)


def test_leak_alarm_acknowledged_by_enterprise_and_closed_by_agency(world, page, live_server):
    d = world["device_a"]
    Alarm.objects.filter(device=d).delete()  # start from a quiet device
    req = urllib.request.Request(
        live_server.url + "/api/v1/telemetry",
        data=json.dumps({"ts": now_ms(), "values": {"residual_ma": 520, "t1_c": 45}}).encode(),
        headers={"Content-Type": "application/json", "X-Device-Code": d.code, "X-Device-Secret": world["secret_a"]},
        method="POST",
    )
    with urllib.request.urlopen(req) as resp:
        assert json.loads(resp.read())["stored"] == 1
    alarm = Alarm.objects.get(device=d, active=True)

    _login(page, "ent_a")
    page.goto("/inbox/")
    page.get_by_text("剩余电流超限").first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-testid="alarm-state"]').get_attribute("data-state") == "active_unack"
    page.click('[data-testid="acknowledge"]')
    page.wait_for_load_state("networkidle")
    assert page.locator('[data-testid="alarm-state"]').get_attribute("data-state") == "active_ack"
    page.goto("/iot/")
    assert page.locator('[data-status="alarming"]').inner_text().strip() == "1"

    page.context.clear_cookies()
    _login(page, "agency_a")  # agency_a serves ent_a under a contract in force (conftest)
    page.goto("/inbox/")
    page.get_by_text("剩余电流超限").first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/iot/alarms/{alarm.pk}/")
    page.fill("#id_measures", "切断二车间动力回路，更换破损电缆")
    # Closing asks for confirmation (static/js/confirm.js; no inline script under the CSP).
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.click('[data-testid="close"]')  # without a result: refused in the page, no question asked
    page.wait_for_selector("#id_result.is-invalid")
    assert asked == []
    page.fill("#id_result", "复测剩余电流 95 mA，恢复供电")
    page.click('[data-testid="close"]')
    page.wait_for_selector('[data-testid="alarm-closed"]')
    assert "关闭报警" in asked[0]
    assert "更换破损电缆" in page.locator('[data-testid="measures"]').inner_text()
    alarm.refresh_from_db()
    assert alarm.closed_by == world.user("agency_a") and alarm.acknowledged_by == world.user("ent_a")
    page.goto(f"/iot/devices/{d.pk}/")
    page.wait_for_selector("#chart-24h canvas")
