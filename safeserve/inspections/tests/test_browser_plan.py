"""In a real browser: the county generates a plan and runs a 双随机 draw; the drawn officer records
the inspection on a phone with a finding that becomes a hazard; the public page shows the result."""

import pytest
from django.utils import timezone

from safeserve.hazards.models import Hazard
from safeserve.inspections.models import Inspection, OfficerConflict
from safeserve_dev.inspections_fixtures import certify, default_rules, more_enterprises
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def login(username=None, phone=False):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        ctx = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=size)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        if username:
            page.goto("/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
        return page

    yield login
    for ctx in contexts:
        ctx.close()


def test_plan_draw_record_finding_and_public_result(world, as_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    certify(world)
    more_enterprises(world)
    default_rules()
    # Every officer but the county persona and town A's declared an interest in the blue unit of
    # town A: the inspector draw can only give those two (known by construction).
    for name in ("county_o2", "county_o3", "town_a2"):
        OfficerConflict.objects.create(officer=world.user(name), enterprise=world["ent_a2"], reason="曾在该企业任职")
    year = timezone.localdate().year

    # 1. The county creates the plan, previews it and commits it.
    county = as_user("county")
    county.goto("/inspections/plans/add/")
    county.fill("#id_year", str(year))
    county.select_option("#id_town", str(world["town_a"].pk))
    county.fill("#id_name", "罗星街道年度监督检查计划")
    county.fill("#id_officers", "3")
    county.fill("#id_other_enforcement_days", "100")
    county.fill("#id_non_enforcement_days", "50")
    county.click("main button[type=submit]")
    county.click("[data-testid=plan-preview]")
    assert world["ent_a"].name in county.inner_text("[data-testid=preview-mandatory]")
    county.click("[data-testid=plan-commit]")
    county.wait_for_selector("[data-testid=freeze-draw]")

    # 2. A target draw: freeze the list (hash shown), then the value from the server's CSPRNG.
    county.select_option("#id_month", str(timezone.localdate().month))
    county.fill("#id_places", "1")
    county.click("[data-testid=freeze-draw]")
    assert "名单已冻结" in county.inner_text("[data-testid=draw-status]")
    county.check("input[name=source][value=server]")
    county.click("[data-testid=enter-value]")
    assert world["ent_a2"].name in county.inner_text("[data-testid=drawn-targets]")
    county.select_option("#insp-source", "server")
    county.click("[data-testid=draw-inspectors]")
    drawn = county.inner_text("[data-testid=drawn-targets]")
    assert "town_a" in drawn and "county" in drawn

    # 3. The drawn town officer, on a phone, records the inspection with one finding.
    officer = as_user("town_a", phone=True)
    officer.goto("/inspections/tasks/")
    officer.click("[data-testid=tasks] a")
    officer.fill("#id_items_checked", "安全生产责任制；消防设施")
    officer.select_option("#id_result", "rectify")
    officer.fill("#id_result_summary", "发现一般隐患一处，已责令限期整改")
    officer.fill("#id_f-0-location", "成品仓库")
    officer.fill("#id_f-0-description", "安全出口堆放杂物")
    officer.fill("#id_f-0-responsible_person", "赵六")
    officer.click("[data-testid=record-save]")
    officer.wait_for_selector("[data-testid=record-publish]")
    inspection = Inspection.objects.get(enterprise=world["ent_a2"])
    hazard = Hazard.objects.get(enterprise=world["ent_a2"])
    assert list(inspection.hazards.all()) == [hazard] and hazard.source == "inspection"
    assert inspection.kind == "random"
    officer.click("[data-testid=record-publish]")
    officer.wait_for_load_state("networkidle")

    # 4. Anyone, without logging in, on a phone: the result and the draw's announcement.
    public = as_user(phone=True)
    public.goto("/inspections/public/")
    results = public.inner_text("[data-testid=public-results]")
    assert world["ent_a2"].name in results and "发现一般隐患一处，已责令限期整改" in results
    assert "town_a" not in public.inner_text("main")
    public.click("[data-testid=public-draws] a")
    public.wait_for_selector("[data-testid=draw-verified]")
