"""A town runs a purchase in a real Chromium: the project (a refused term first, with its reason),
approval freezing the enterprises, two bids with their eligibility checks (a listed supplier fails),
the award creating the town-paid contract, a progress payment, the evaluation, the final payment
and the close; the public page shows the key terms. One browser, one test."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.procurement.models import Project
from safeserve_dev.supervision_fixtures import make_notice
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_town_runs_a_purchase_from_project_to_evaluation(page, world):
    from safeserve.credit.models import Listing

    today = timezone.localdate()
    make_notice(world)
    make_notice(world, agency="agency_b")
    Listing.objects.create(
        subject="agency",
        agency=world["agency_b"],
        facts="出具虚假报告",
        state="published",
        decided_on=today - timedelta(days=5),
        published_on=today - timedelta(days=1),
        expires_on=today + timedelta(days=900),
    )
    browser_login(page, "town_a", PASSWORD)
    page.goto("/procurement/projects/add/")
    page.fill("#id_name", "罗星街道小微企业隐患排查")
    page.fill("#id_budget", "120000")
    page.select_option("#id_service_type", "consulting")
    page.select_option("#id_subject", "hazard_inspection")
    page.select_option("#id_target_mode", "list")
    page.fill("#id_target_codes", world["ent_a"].credit_code)
    page.select_option("#id_method", "inquiry")
    page.fill("#id_start_date", today.isoformat())
    page.fill("#id_term_months", "24")
    page.get_by_test_id("project-save").click()
    expect(page.get_by_test_id("project-form")).to_contain_text("须说明服务内容、资金和价格稳定的理由")
    page.fill("#id_term_months", "12")
    page.get_by_test_id("project-save").click()
    expect(page.get_by_test_id("project-status")).to_have_text("草稿")
    page.get_by_test_id("step-approve").click()
    expect(page.get_by_test_id("project-status")).to_have_text("已立项")
    expect(page.get_by_test_id("project-targets")).to_contain_text(world["ent_a"].name)
    page.get_by_test_id("step-open").click()
    expect(page.get_by_test_id("project-status")).to_have_text("采购中")

    for agency, amount in (("agency_b", "90000"), ("agency_a", "100000")):
        form = page.get_by_test_id("bid-form")
        form.locator("#id_agency").select_option(str(world[agency].pk))
        form.locator("#id_amount").fill(amount)
        page.get_by_test_id("bid-save").click()
    rows = page.get_by_test_id("bid-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=world["agency_b"].name)).to_contain_text("在严重失信主体名单中")
    expect(rows.filter(has_text=world["agency_a"].name)).to_contain_text("通过")

    # The cheaper bid is the listed supplier's: refused with the reason.
    award = page.get_by_test_id("award-form")
    award.locator("#id_bid").select_option(label=f"{world['agency_b'].name} · 90000.00 元")
    award.locator("#id_reason").fill("最低报价")
    page.get_by_test_id("award-save").click()
    expect(page.get_by_test_id("award-form")).to_contain_text("不能确定为中标（成交）供应商")
    award = page.get_by_test_id("award-form")
    award.locator("#id_bid").select_option(label=f"{world['agency_a'].name} · 100000.00 元")
    award.locator("#id_reason").fill("唯一符合资格条件的最低报价")
    page.get_by_test_id("award-save").click()
    expect(page.get_by_test_id("project-status")).to_have_text("履约中")
    p = Project.objects.get()
    assert (p.contract.payer_type, p.contract.payer_town, p.contract.fee) == ("town", world["town_a"], 100000)

    pay = page.get_by_test_id("pay-form")
    pay.locator("#id_kind").select_option("progress")
    pay.locator("#id_amount").fill("80000")
    page.get_by_test_id("pay-save").click()
    expect(page.get_by_test_id("pay-form")).to_contain_text("不得超过合同金额的 70%")
    page.get_by_test_id("pay-form").locator("#id_amount").fill("70000")
    page.get_by_test_id("pay-save").click()
    expect(page.get_by_test_id("project-payments")).to_contain_text("70000.00")

    page.get_by_test_id("step-evaluate").click()
    expect(page.get_by_test_id("evaluate-figures")).to_contain_text("目标企业")
    for field in page.locator("input[name^=score_]").all():
        field.fill(str(float(field.get_attribute("max")) - 0.5))  # 100 - 10 × 0.5 = 95: 优
    page.get_by_test_id("evaluate-save").click()
    expect(page.get_by_test_id("project-status")).to_have_text("已验收评价")
    expect(page.get_by_test_id("evaluation-result")).to_contain_text("等级")

    pay = page.get_by_test_id("pay-form")
    pay.locator("#id_kind").select_option("final")
    pay.locator("#id_amount").fill("30000")
    page.get_by_test_id("pay-save").click()
    expect(page.get_by_test_id("project-payments")).to_contain_text("30000.00")
    p.refresh_from_db()
    assert (p.evaluation.total, p.evaluation.grade, sum(x.amount for x in p.payments.all())) == (
        95,
        "excellent",
        100000,
    )
    page.get_by_test_id("step-close").click()
    expect(page.get_by_test_id("project-status")).to_have_text("已结项")

    page.goto("/procurement/public/")
    table = page.get_by_test_id("public-contracts")
    expect(table).to_contain_text(p.number)
    expect(table).to_contain_text(world["agency_a"].name)
    expect(table).to_contain_text("100000.00")
