"""In a real browser: an anonymous reporter files on a phone (390 px) and follows the case with code +
password; a handler accepts, extends (the reporter sees why) and closes it."""

import pytest

from safeserve.tipoffs.models import IdentityAccess, Tipoff
from safeserve_dev.testkit import PASSWORD

from .fixtures import make_handler

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}


def photo(tmp_path):
    from PIL import Image

    path = tmp_path / "site.png"
    Image.new("RGB", (40, 30), (180, 40, 40)).save(path)
    return str(path)


def test_reporter_on_a_phone_and_a_handler(world, browser, live_server, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_handler("handler")
    contexts = []

    def context(viewport):
        ctx = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport=viewport)
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        return page

    try:
        # 1. The reporter files from a phone, anonymously, with a photo.
        phone = context(PHONE)
        phone.goto("/report/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        phone.check("input[name=subject_kind][value=enterprise]")
        phone.fill("#id_unit_name", "嘉善甲五金有限公司")
        phone.select_option("#id_category", "hazard")
        phone.fill("#id_description", "抛光车间粉尘堆积，除尘器无泄爆装置")
        phone.set_input_files("#id_attachments", photo(tmp_path))
        phone.fill("#id_password", "my-case-pass")
        phone.fill("#id_password2", "my-case-pass")
        phone.click("[data-testid=tipoff-submit]")
        code = phone.locator("[data-testid=tracking-code]").inner_text().strip()
        tipoff = Tipoff.objects.get()
        assert code == tipoff.code_display and tipoff.attachments.count() == 1

        # 2. Later, in a fresh browser: a wrong password first, then code + password.
        follow = context(PHONE)
        follow.goto("/report/track/")
        follow.fill("#id_code", code.replace("-", "").lower())
        follow.fill("#id_password", "not-my-pass")
        follow.click("[data-testid=track-submit]")
        assert "查询码或密码不正确" in follow.locator("[data-testid=track-error]").inner_text()
        follow.fill("#id_code", code)
        follow.fill("#id_password", "my-case-pass")
        follow.click("[data-testid=track-submit]")
        assert follow.locator("[data-testid=case-state]").inner_text() == "待受理"

        # 3. The handler accepts (town A), extends with a reason, records the verification and closes.
        desk = context({"width": 1280, "height": 900})
        desk.goto("/accounts/login/")
        desk.fill("#id_username", "handler")
        desk.fill("#id_password", PASSWORD)
        desk.click("button[type=submit]")
        desk.wait_for_load_state("networkidle")
        desk.goto(f"/tipoffs/{tipoff.pk}/")
        assert "匿名" in desk.locator("[data-testid=reporter-name]").inner_text()
        desk.select_option("#id_accept_town", str(world["town_a"].pk))
        desk.click("[data-testid=do-accept]")
        desk.wait_for_selector("[data-testid=tipoff-state]:has-text('已受理')")
        desk.fill("#id_extend_reason", "需委托检测机构对除尘系统进行检测")
        desk.click("[data-testid=do-extend]")
        desk.wait_for_selector("[data-testid=step-verify]")
        assert not desk.locator("[data-testid=step-extend]").count()  # one extension only
        desk.fill("#id_verify_verification", "现场核实：除尘器未设泄爆片")
        desk.click("[data-testid=do-verify]")
        desk.wait_for_selector("[data-testid=verification]")
        desk.select_option("#id_close_finding", "substantiated")
        desk.fill("#id_close_result", "已责令停产整改并立案处罚")
        desk.click("[data-testid=do-close]")
        desk.wait_for_selector("[data-testid=tipoff-state]:has-text('已办结')")
        assert IdentityAccess.objects.filter(tipoff=tipoff).count() >= 5  # each view of the page

        # 4. The reporter reloads: deadline, extension reason and result.
        follow.reload()
        assert follow.locator("[data-testid=case-state]").inner_text() == "已办结"
        assert "委托检测机构" in follow.locator("[data-testid=case-extension]").inner_text()
        assert "立案处罚" in follow.locator("[data-testid=case-result]").inner_text()
        tipoff.refresh_from_db()
        assert follow.locator("[data-testid=case-deadline]").inner_text() == tipoff.deadline.isoformat()
    finally:
        for ctx in contexts:
            ctx.close()
