"""The closed loop in a real browser: visit with two hazards (one 重大) → evidence → acceptance."""

import pytest

from safeserve.hazards.choices import HazardState
from safeserve.hazards.models import Hazard
from safeserve.services.models import ServiceVisit
from safeserve_dev.services_fixtures import make_contract
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def login(username, phone=True):
        size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
        ctx = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=size)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    yield login
    for ctx in contexts:
        ctx.close()


def photo(tmp_path, name, colour):
    from PIL import Image

    path = tmp_path / name
    Image.new("RGB", (32, 32), colour).save(path)
    return str(path)


def test_visit_two_hazards_evidence_and_acceptance(world, as_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    contract = make_contract(world)

    # 1. Agency staff, on a phone-sized screen, record the visit.
    agency = as_user("agency_a")
    agency.goto(f"/services/visits/new/?contract={contract.pk}")
    agency.select_option("#id_enterprise", str(world["ent_a"].pk))
    agency.check(f"input[name=staff][value='{world['staff_a'].pk}']")
    agency.fill("#id_findings", "冲压车间光电保护失效；抛光车间干式除尘器无泄爆措施")
    agency.set_input_files("#id_photos", photo(tmp_path, "site.png", (120, 120, 120)))
    agency.wait_for_selector("[data-testid=chosen-photos] figure")  # uploaded when chosen
    agency.fill("#id_signed_by", "李四")
    agency.click("[data-testid=all-ok]")  # every checklist item must be answered
    agency.click("[data-testid=visit-submit]")
    agency.wait_for_selector("[data-testid=chain-ok]")
    visit = ServiceVisit.objects.get()

    # Two hazards from the visit: one 一般, one 重大 (with its criterion).
    agency.click("[data-testid=report-hazard]")
    agency.fill("#id_location", "冲压车间")
    agency.fill("#id_description", "冲床光电保护装置失效")
    agency.fill("#id_responsible_person", "李四")
    agency.set_input_files("#id_photos", photo(tmp_path, "press.png", (200, 0, 0)))
    agency.click("[data-testid=hazard-submit-another]")
    agency.wait_for_selector("[data-testid=hazard-form]")
    agency.check("input[name=level][value=major]")
    agency.select_option(
        "#id_criterion",
        label=next(o for o in agency.locator("#id_criterion option").all_inner_texts() if "SP-FC-3" in o),
    )
    agency.fill("#id_location", "抛光车间除尘器")
    agency.fill("#id_description", "干式除尘系统未采取泄爆、惰化、抑爆措施")
    agency.fill("#id_responsible_person", "张三")
    agency.click("[data-testid=hazard-submit]")
    agency.wait_for_selector("[data-testid=visit-hazards]")
    assert agency.locator("[data-testid=visit-hazards] li").count() == 2
    general = Hazard.objects.get(visit=visit, level="general")
    major = Hazard.objects.get(visit=visit, level="major")
    assert major.supervised

    # 2. The enterprise rectifies both; the major one needs its 治理方案 first.
    ent = as_user("ent_a")
    ent.goto(f"/hazards/{general.pk}/")
    ent.click("[data-testid=action-start]")
    ent.fill("#id_note", "已更换光电保护装置")
    ent.set_input_files("#id_photos", photo(tmp_path, "fixed.png", (0, 160, 0)))
    ent.click("[data-testid=action-submit]")
    ent.wait_for_selector("[data-testid=hazard-state]:has-text('待验收')")

    ent.goto(f"/hazards/{major.pk}/")
    ent.click("[data-testid=plan-edit]")
    for name, text in {
        "objective": "消除粉尘爆炸风险",
        "method": "加装泄爆片和锁气卸灰装置",
        "funding": "自筹8万元",
        "organization": "设备部张三",
        "timeline": "30日内",
        "safety_measures": "停用工段并制定应急预案",
    }.items():
        ent.fill(f"#id_{name}", text)
    ent.click("[data-testid=plan-submit]")
    ent.click("[data-testid=action-start]")
    ent.fill("#id_note", "已加装泄爆片")
    ent.set_input_files("#id_photos", photo(tmp_path, "vent.png", (0, 0, 200)))
    ent.click("[data-testid=action-submit]")
    ent.wait_for_selector("[data-testid=hazard-state]:has-text('待验收')")

    # 3. The agency accepts the 一般 one; it may not accept the 重大 one.
    agency.goto(f"/hazards/{general.pk}/")
    # 销号 asks for a note first (the server checks it too), then for confirmation.
    asked = []
    agency.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    agency.click("[data-testid=action-accept]")
    agency.wait_for_selector("#id_note.is-invalid")
    assert asked == []
    agency.fill("#id_note", "现场复查合格")
    agency.click("[data-testid=action-accept]")
    agency.wait_for_selector("[data-testid=hazard-state]:has-text('已销号')")
    assert "销号" in asked[0]
    agency.goto(f"/hazards/{major.pk}/")
    assert agency.locator("[data-testid=action-accept]").count() == 0

    # 4. The town officer finds the 重大 hazard in the inbox and accepts it.
    town = as_user("town_a", phone=False)  # at a desk
    town.click("[data-testid=inbox-link]")
    item = town.locator("[data-testid=inbox] form", has_text="挂牌督办").first
    item.locator("button").click()
    town.wait_for_selector("[data-testid=hazard-state]")
    assert town.locator("[data-testid=photos-after] img").count() == 1
    town.fill("#id_note", "县镇联合验收合格，予以销号")
    town.once("dialog", lambda d: d.accept())
    town.click("[data-testid=action-accept]")
    town.wait_for_selector("[data-testid=hazard-state]:has-text('已销号')")

    general.refresh_from_db()
    major.refresh_from_db()
    assert general.state == major.state == HazardState.CLOSED
    assert [e.action for e in major.events.all()] == ["report", "plan", "start", "submit", "accept"]
    assert major.events.last().actor_id == world.user("town_a").pk
