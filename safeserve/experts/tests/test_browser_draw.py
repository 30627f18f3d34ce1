"""In a real browser: the county draws an expert for a 重大 hazard acceptance; the expert accepts on a
phone (390 px) and records an opinion, which becomes a stored PDF."""

import pytest
from django.utils import timezone

from safeserve.experts.choices import InvitationState
from safeserve.experts.models import Invitation
from safeserve_dev.experts_fixtures import profile
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def as_user(browser, live_server):
    contexts = []

    def login(username, phone=False):
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


def test_county_draws_an_expert_who_accepts_on_a_phone_and_records_an_opinion(world, as_user, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    profile(world["expert_a"], "机械")
    profile(world["expert_b"], "电气")
    ent = world["ent_a"]

    county = as_user("county")
    county.goto(f"/experts/requests/new/?purpose=major_acceptance&enterprise={ent.pk}")
    county.fill("#id_title", "冲压车间重大隐患整改验收")
    county.locator("[data-testid=request-form] label", has_text="机械").first.click()
    county.fill("#id_places", "1")
    county.fill("#id_reserves", "0")
    county.fill("#id_work_date", (timezone.localdate() + timezone.timedelta(days=3)).isoformat())
    county.click("[data-testid=request-save]")
    county.wait_for_selector("[data-testid=recusal-preview]")
    county.click("[data-testid=freeze]")
    frozen_hash = county.inner_text("[data-testid=draw-hash]")
    assert len(frozen_hash) == 64
    county.select_option("#id_source", "lottery")
    county.fill("#id_value", "2026-11-30 福彩3D 517")
    county.click("[data-testid=draw-submit]")
    county.wait_for_selector("[data-testid=invitations] td:has-text('孙专家')")
    assert "已抽取" in county.inner_text("[data-testid=request-status]")

    expert = as_user("expert_a", phone=True)
    expert.goto("/")
    expert.click("a:has-text('待答复的抽取邀请')")
    expert.click("a:has-text('冲压车间重大隐患整改验收')")
    expert.click("[data-testid=accept]")
    expert.wait_for_selector("[data-testid=opinion]")
    assert "已接受" in expert.inner_text("[data-testid=job-state]")
    expert.fill("#id_opinion", "治理方案已落实，现场复核合格，同意销号。")
    expert.fill("#id_fee", "800")
    expert.click("[data-testid=opinion-submit]")
    expert.wait_for_selector("[data-testid=opinion-pdf]")
    width = expert.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the job page scrolls sideways on a phone ({width}px)"

    job = Invitation.objects.get(request__title="冲压车间重大隐患整改验收")
    assert job.state == InvitationState.ACCEPTED and job.expert == world["expert_a"]
    with job.opinion_file.open("rb") as f:
        assert f.read(5) == b"%PDF-"
