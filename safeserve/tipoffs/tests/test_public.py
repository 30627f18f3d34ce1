"""The public doors over HTTP (no login): filing, the code shown once, following with code + password,
adding information; CSRF, the size limit and throttling; then the hooks other apps read."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeserve.core import hooks
from safeserve.tipoffs import actions
from safeserve.tipoffs.models import Tipoff, TipoffAttachment, TipoffSupplement
from safeserve.tipoffs.queries import home_summary
from safeserve_dev.testfiles import image_bytes, upload

from .fixtures import file_tipoff, make_handler

pytestmark = pytest.mark.django_db

FORM = {
    "subject_kind": "enterprise",
    "unit_name": "嘉善甲五金有限公司",
    "category": "hazard",
    "description": "车间消防通道被堵塞",
    "reporter_name": "",
    "password": "my-secret-8",
    "password2": "my-secret-8",
}


def test_file_then_follow_with_code_and_password(world):
    c = Client()
    resp = c.post(reverse("tipoffs:file"), {**FORM, "attachments": [upload("现场.jpg", image_bytes())]})
    assert resp.status_code == 302 and resp["Location"] == reverse("tipoffs:filed")
    t = Tipoff.objects.get()
    assert t.enterprise == world["ent_a"] and t.town == world["town_a"]  # matched by its exact name
    assert t.attachments.count() == 1
    page = c.get(reverse("tipoffs:filed")).content.decode()
    assert t.code_display in page
    assert t.code_display not in c.get(reverse("tipoffs:filed"), follow=True).content.decode()  # shown once
    # A new browser: code (typed in lower case, without dashes) + password open the case.
    other = Client()
    resp = other.post(reverse("tipoffs:track"), {"code": t.code.lower(), "password": "my-secret-8"})
    assert resp.status_code == 302
    page = other.get(reverse("tipoffs:case")).content.decode()
    assert "待受理" in page and "嘉善甲五金有限公司" in page
    resp = other.post(reverse("tipoffs:case_add"), {"text": "通道仍未清理", "attachments": []})
    assert resp.status_code == 302
    assert TipoffSupplement.objects.filter(tipoff=t, text="通道仍未清理").exists()
    other.post(reverse("tipoffs:case_leave"))
    assert other.get(reverse("tipoffs:case")).status_code == 302


def test_the_reporter_sees_deadline_extension_reason_and_result_not_the_handling_notes(world):
    handler = make_handler()
    t = file_tipoff(enterprise=world["ent_a"])
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=world["town_a"])
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="extend", reason="需要调取监控")
    t = actions.tipoff_transition(actor=world.user("town_a"), tipoff=t, action="verify", verification="内部核查笔记X")
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="close", finding="substantiated", result="已责令整改")
    c = Client()
    c.post(reverse("tipoffs:track"), {"code": t.code, "password": "secret-pass-1"})
    page = c.get(reverse("tipoffs:case")).content.decode()
    for shown in ("已办结", t.deadline.strftime("%Y-%m-%d"), "需要调取监控", "已责令整改", "属实"):
        assert shown in page, shown
    assert "内部核查笔记X" not in page and "罗星街道" not in page  # the verification and the town
    assert 'data-testid="supplement-form"' not in page  # closed: nothing more to add


def test_wrong_password_and_missing_code_read_the_same_and_are_throttled(world):
    t = file_tipoff(enterprise=world["ent_a"])
    c = Client(REMOTE_ADDR="9.9.9.9")
    answers = set()
    for code in (t.code, "ABCDEFGHJKMN", t.code, "ABCDEFGHJKMN"):
        resp = c.post(reverse("tipoffs:track"), {"code": code, "password": "nope-nope"})
        assert resp.status_code == 200
        text = resp.content.decode()
        answers.add(text.replace(code, "").replace("csrfmiddlewaretoken", ""))
        assert "查询码或密码不正确" in text
    assert len({a.split('data-testid="track-error">')[1].split("<")[0] for a in answers}) == 1
    for _i in range(3):
        c.post(reverse("tipoffs:track"), {"code": t.code, "password": "nope-nope"})
    # Five wrong tries on this code: the right password is refused as well, from another address too.
    resp = Client(REMOTE_ADDR="9.9.9.10").post(reverse("tipoffs:track"), {"code": t.code, "password": "secret-pass-1"})
    assert resp.status_code == 200 and "尝试次数过多" in resp.content.decode()


def test_csrf_is_required_on_the_public_forms(world):
    c = Client(enforce_csrf_checks=True)
    assert c.post(reverse("tipoffs:file"), FORM).status_code == 403
    assert c.post(reverse("tipoffs:track"), {"code": "X", "password": "y"}).status_code == 403
    assert not Tipoff.objects.exists()


def test_a_50_mb_attachment_over_http_is_refused_with_a_chinese_error_and_nothing_saved(world, media_root):
    c = Client()
    big = upload("现场视频.jpg", b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024))
    resp = c.post(reverse("tipoffs:file"), {**FORM, "attachments": [big]})
    assert resp.status_code == 413
    text = resp.content.decode()
    assert "附件：总大小 50.0 MB，超过上限 40 MB" in text and "未保存任何内容" in text
    assert "车间消防通道被堵塞" in text  # what was typed stays in the form
    assert not Tipoff.objects.exists() and not TipoffAttachment.objects.exists()
    assert not [p for p in media_root.rglob("*") if p.is_file()]


def test_a_single_file_over_the_photo_limit_names_the_file(world, media_root, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "UPLOAD_IMAGE_MAX_BYTES": 1024 * 1024}
    resp = Client().post(
        reverse("tipoffs:file"),
        {**FORM, "attachments": [upload("大照片.jpg", b"\xff\xd8\xff" + b"\0" * (2 * 1024 * 1024))]},
    )
    assert resp.status_code == 200
    assert "附件：「大照片.jpg」文件过大" in resp.content.decode()
    assert not Tipoff.objects.exists()


def test_the_form_names_what_is_missing(world):
    resp = Client().post(reverse("tipoffs:file"), {**FORM, "subject_kind": "agency", "password2": "other-one"})
    text = resp.content.decode()
    assert "服务机构：请选择被举报的服务机构" in text and "两次输入不一致" in text
    resp = Client().post(reverse("tipoffs:file"), {**FORM, "description": ""})
    assert "举报内容：请填写" in resp.content.decode()
    assert not Tipoff.objects.exists()


def test_filing_is_limited_per_address_over_http(world, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "TIPOFF_FILE_PER_ADDRESS_PER_DAY": 2}
    c = Client(REMOTE_ADDR="8.8.4.4")
    for _i in range(2):
        assert c.post(reverse("tipoffs:file"), FORM).status_code == 302
    resp = c.post(reverse("tipoffs:file"), FORM)
    assert resp.status_code == 200 and "24 小时内最多提交 2 件" in resp.content.decode()
    assert Tipoff.objects.count() == 2


# ---------------------------------------------------------------- the hooks


def test_home_cards_count_what_their_lists_show(world):
    handler = make_handler()
    file_tipoff(enterprise=world["ent_a"])
    t = actions.tipoff_transition(
        actor=handler, tipoff=file_tipoff(enterprise=world["ent_a"]), action="accept", town=world["town_a"]
    )
    Tipoff.objects.filter(pk=t.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    for persona, key, value in (
        ("county", "tipoffs-received", 1),
        ("county", "tipoffs-overdue", 1),
        ("town_a", "tipoffs-to-verify", 1),
    ):
        c = Client()
        c.force_login(world.user(persona))
        card = next(x for x in home_summary(world.user(persona))["cards"] if x["key"] == key)
        assert card["value"] == value
        listed = c.get(card["url"]).content.decode()
        assert f"共 {value} 条" in listed
    assert home_summary(world.user("town_b"))["cards"][0]["value"] == 0
    assert home_summary(world.user("ent_a")) == {}


def test_indicator_share_of_town_reports_verified_by_the_deadline(world):
    handler = make_handler()
    ids = []
    for verify_late in (False, True, None):
        t = actions.tipoff_transition(
            actor=handler, tipoff=file_tipoff(enterprise=world["ent_a"]), action="accept", town=world["town_a"]
        )
        if verify_late is not None:
            t = actions.tipoff_transition(actor=world.user("town_a"), tipoff=t, action="verify", verification="核查")
            if verify_late:
                Tipoff.objects.filter(pk=t.pk).update(verified_at=timezone.now() + timedelta(days=400))
        ids.append(t.pk)
    source = hooks.INDICATOR_SOURCES["tipoffs.handled_on_time"]
    assert source.subjects == ("town",)
    today = timezone.localdate()
    figures = source.compute("town", [world["town_a"].pk, world["town_b"].pk], today, today + timedelta(days=200))
    a = figures[world["town_a"].pk]
    assert (a.numerator, a.denominator, a.value) == (1, 3, Decimal("33.3"))
    assert sorted(a.records["tipoffs.tipoff"]) == sorted(ids)
    assert figures[world["town_b"].pk].value is None


def test_a_verified_report_is_a_credit_fact_of_the_reported_party(world):
    handler = make_handler()
    t = file_tipoff(agency=world["agency_a"], name="甲", phone="139")
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=None)
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="verify", verification="核实")
    today = timezone.localdate()
    assert hooks.credit_facts("agency", [world["agency_a"].pk], today) == []
    t = actions.tipoff_transition(actor=handler, tipoff=t, action="close", finding="partly", result="部分属实")
    facts = hooks.credit_facts("agency", [world["agency_a"].pk], today)
    assert [(f.kind, f.subject_id, f.source) for f in facts] == [
        ("report.verified", world["agency_a"].pk, f"tipoffs.tipoff:{t.pk}")
    ]
    assert "甲" not in str(facts[0]) and t.code not in str(facts[0])
    assert hooks.credit_facts("enterprise", None, today) == []
    assert hooks.credit_facts("agency", [world["agency_a"].pk], today - timedelta(days=1)) == []


def test_the_public_portal_lists_how_to_report(rf):
    sections = [p(rf.get("/")) for p in hooks.PUBLIC_SECTIONS]
    mine = next(s for s in sections if s and s["key"] == "tipoffs")
    assert mine["url"] == reverse("tipoffs:file") and mine["title"] == "如何举报"


def test_list_queries_do_not_grow_with_the_data(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    handler = make_handler()
    c = Client()
    c.force_login(handler)

    def count(url):
        c.get(url)  # warm (session, permission caches)
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx)

    agency = world["agency_a"]
    for i in range(2):
        file_tipoff(enterprise=world["ent_a"], ip=f"10.1.0.{i}")
        file_tipoff(agency=agency, ip=f"10.2.0.{i}")
    small = count(reverse("tipoffs:tipoff_list"))
    for i in range(6):
        file_tipoff(enterprise=world["ent_b"], ip=f"10.3.0.{i}")
        file_tipoff(agency=agency, ip=f"10.4.0.{i}")
    assert count(reverse("tipoffs:tipoff_list")) == small
