"""An association plans a 互查 campaign and groups two members (desktop); one member records its
inspection of the other on a phone; the finding is a hazard of the inspected member. One browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.associations.models import Campaign, Membership, MutualInspection
from safeserve.hazards.choices import HazardSource
from safeserve.hazards.models import Hazard
from safeserve.registry.models import Enterprise
from safeserve.services.models import ChecklistItem, ChecklistTemplate
from safeserve_dev.testkit import PASSWORD, make_credit_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_association_runs_a_campaign_and_a_member_records_a_mutual_inspection(browser, live_server, world, media_root):
    o = world.objs
    today = timezone.localdate()
    ent_c = Enterprise.objects.create(
        credit_code=make_credit_code(11),
        name="嘉善丙五金厂",
        address="罗星街道1号",
        town=o["town_a"],
        industry=o["industry"],
        legal_representative="吴六",
    )
    o["assoc_a"].members.add(ent_c)
    for e in (o["ent_a"], ent_c):
        Membership.objects.create(association=o["assoc_a"], enterprise=e, joined_on=today - timedelta(days=100))
    template = ChecklistTemplate.objects.create(name="五金行业互查表")
    ChecklistItem.objects.create(template=template, order=1, category="设备设施", text="砂轮机防护罩完好")
    ChecklistItem.objects.create(template=template, order=2, category="作业环境", text="安全通道畅通")
    member = User(username="ent_c", role=Role.ENTERPRISE, full_name="丙厂安全员", enterprise=ent_c)
    member.set_password(PASSWORD)
    member.save()

    desk = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = desk.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "assoc_a", PASSWORD)
        page.goto("/associations/campaigns/add/")
        page.fill("#id_name", "五金协会春季互查")
        page.fill("#id_start_date", (today - timedelta(days=1)).isoformat())
        page.fill("#id_end_date", (today + timedelta(days=30)).isoformat())
        page.select_option("#id_template", str(template.pk))
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("object-title")).to_have_text("五金协会春季互查")
        campaign = Campaign.objects.get()
        assert campaign.association_id == o["assoc_a"].pk
        page.get_by_role("link", name="新建互查小组").click()
        page.fill("#id_name", "罗星甲组")
        page.check(f"input[name=enterprises][value='{o['ent_a'].pk}']")
        page.check(f"input[name=enterprises][value='{ent_c.pk}']")
        page.get_by_role("button", name="保存").click()
        expect(page.get_by_test_id("object-title")).to_have_text("罗星甲组")
    finally:
        desk.close()

    phone = browser.new_context(
        locale="zh-CN", base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "ent_c", PASSWORD)
        page.goto(campaign.get_absolute_url())
        page.get_by_test_id("inspect").click()
        page.select_option("#id_inspected", str(o["ent_a"].pk))
        page.fill("#id_inspector_names", "丙厂安全员")
        items = page.get_by_test_id("checklist").locator("li")
        items.nth(0).locator("input[value=problem]").check()
        items.nth(0).locator("input[type=text]").fill("砂轮机无防护罩")
        page.get_by_test_id("save").click()
        expect(page.get_by_test_id("error-summary")).to_contain_text("未作答")  # the second item
        page.get_by_test_id("checklist").locator("li").nth(1).locator("input[value=ok]").check()
        page.get_by_test_id("checklist").locator("li").nth(0).locator("input[value=problem]").check()
        page.get_by_test_id("checklist").locator("li").nth(0).locator("input[type=text]").fill("砂轮机无防护罩")
        page.get_by_test_id("save").click()
        expect(page.get_by_test_id("confirm-state")).to_contain_text("待确认")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        phone.close()

    inspection = MutualInspection.objects.get()
    assert (inspection.inspector_id, inspection.inspected_id) == (ent_c.pk, o["ent_a"].pk)
    hazard = Hazard.objects.get(source=HazardSource.MUTUAL)
    assert (hazard.enterprise_id, hazard.town_id) == (o["ent_a"].pk, o["town_a"].pk)
