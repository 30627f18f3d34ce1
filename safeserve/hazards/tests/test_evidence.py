"""Records that stand as evidence (issue 11): the deadline rule, extensions, 督办, 逾期天数, the note
and confirmation before 销号, and the local (Asia/Shanghai) date of a visit just after midnight."""

import io
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from safeserve.core.models import AuditLog
from safeserve.hazards import actions, transitions
from safeserve.hazards.choices import ExtensionState, HazardLevel, HazardState
from safeserve.hazards.models import Hazard, HazardExtension, MajorHazardCriterion
from safeserve.notifications.models import Notification
from safeserve.services import actions as service_actions
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)
FAR = "2099-12-31"


def report(world, persona="agency_a", level=HazardLevel.GENERAL, **kw):
    data = {
        "enterprise": world["ent_a"],
        "location": "冲压车间",
        "description": "冲床光电保护装置失效",
        "responsible_person": "李四",
        "level": level,
        "criterion": MajorHazardCriterion.objects.get(code="GM-2") if level == HazardLevel.MAJOR else None,
    }
    data.update(kw)
    return actions.hazard_report(actor=world.user(persona), **data)


@pytest.fixture
def served(world):
    make_contract(world)
    return world


def inbox(username, kind):
    return Notification.objects.filter(recipient__username=username, kind=kind)


def messages_of(resp) -> list[str]:
    return [str(m) for m in resp.context["messages"]] if resp.context else []


# ---------------------------------------------------------------- the deadline rule


def general_too_late(today: date) -> str:
    latest = (today + timedelta(days=90)).isoformat()
    return f"整改期限不能晚于 {latest}：一般事故隐患的整改期限最长为发现日期后 90 天（设置项），需要更长时间请申请延期"


def test_a_far_deadline_is_refused_naming_the_rule_in_the_action_form_and_api(served, client_for):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        report(served, deadline=date(2099, 12, 31))
    assert exc.value.message_dict == {"deadline": [general_too_late(today)]}
    with pytest.raises(ValidationError) as exc:
        report(served, deadline=today)
    assert exc.value.message_dict == {"deadline": [f"整改期限须晚于发现日期（{today.isoformat()}）"]}
    with pytest.raises(ValidationError) as exc:
        report(served, level=HazardLevel.MAJOR, deadline=date(2099, 12, 31))
    latest = (today + timedelta(days=180)).isoformat()
    assert exc.value.messages == [
        f"整改期限不能晚于 {latest}：重大事故隐患的整改期限最长为发现日期后 180 天（设置项），需要更长时间请申请延期"
    ]
    # The form shows the same sentence on the deadline field.
    page = client_for("agency_a").post(
        reverse("hazards:hazard_add"),
        {
            "enterprise": served["ent_a"].pk,
            "level": "general",
            "location": "仓库",
            "description": "堆垛超高",
            "responsible_person": "李四",
            "deadline": FAR,
        },
    )
    assert page.status_code == 200 and general_too_late(today) in page.content.decode()
    # The API answers 400 with the same sentence.
    resp = client_for("ent_a").post(
        "/api/v1/hazards/hazards/",
        {"location": "仓库", "description": "堆垛超高", "responsible_person": "李四", "deadline": FAR},
        content_type="application/json",
    )
    assert resp.status_code == 400 and general_too_late(today) in resp.content.decode()
    assert not Hazard.objects.filter(location="仓库").exists()


def test_the_maximum_is_a_setting(served, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "HAZARD_GENERAL_MAX_DAYS": 20}
    today = timezone.localdate()
    assert report(served, deadline=today + timedelta(days=20)).deadline == today + timedelta(days=20)
    with pytest.raises(ValidationError, match="最长为发现日期后 20 天"):
        report(served, deadline=today + timedelta(days=21))


# ---------------------------------------------------------------- extensions (延期)


def test_extension_requested_with_a_reason_and_decided_by_an_officer(served, client_for):
    h = report(served)
    ent, wanted = served.user("ent_a"), h.deadline + timedelta(days=10)
    with pytest.raises(ValidationError) as exc:
        actions.hazard_request_extension(actor=ent, hazard=h, requested_deadline=wanted, reason=" ")
    assert exc.value.messages == ["申请延期须说明理由"]
    with pytest.raises(ValidationError) as exc:
        actions.hazard_request_extension(actor=ent, hazard=h, requested_deadline=h.deadline, reason="设备未到货")
    assert exc.value.messages == [f"申请延期的期限须晚于原整改期限（{h.deadline.isoformat()}）"]
    with pytest.raises(ValidationError) as exc:
        actions.hazard_request_extension(
            actor=ent, hazard=h, requested_deadline=h.deadline + timedelta(days=31), reason="设备未到货"
        )
    latest = (h.deadline + timedelta(days=30)).isoformat()
    assert exc.value.messages == [f"每次延期最长 30 天（设置项）：申请的期限不能晚于 {latest}"]
    with pytest.raises(PermissionDenied):  # officers decide; they do not ask
        actions.hazard_request_extension(
            actor=served.user("town_a"), hazard=h, requested_deadline=wanted, reason="设备未到货"
        )

    # Through the page, as the enterprise.
    resp = client_for("ent_a").post(
        reverse("hazards:extension_request", args=[h.pk]),
        {"requested_deadline": wanted.isoformat(), "reason": "防护装置需厂家定制，到货需20天"},
        follow=True,
    )
    assert "延期申请已提交，等待审批" in messages_of(resp)
    ext = h.extensions.get()
    assert (ext.state, ext.previous_deadline, ext.requested_deadline) == (ExtensionState.PENDING, h.deadline, wanted)
    assert inbox("town_a", "hazard_extension_requested").count() == 1
    assert not inbox("town_b", "hazard_extension_requested").exists()
    with pytest.raises(ValidationError, match="已有待审批的延期申请"):
        actions.hazard_request_extension(actor=ent, hazard=h, requested_deadline=wanted, reason="再次申请")

    # The other town never sees it; the enterprise may not decide its own request.
    url = reverse("hazards:extension_decide", args=[ext.pk, "approve"])
    assert client_for("town_b").post(url, {"note": ""}).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.hazard_decide_extension(actor=ent, extension=ext, decision="approve")
    with pytest.raises(ValidationError) as exc:
        actions.hazard_decide_extension(actor=served.user("town_a"), extension=ext, decision="refuse", note="")
    assert exc.value.messages == ["不批准延期须说明理由"]

    resp = client_for("town_a").post(url, {"note": "同意，期间落实临时防护"}, follow=True)
    assert "已完成：批准延期" in messages_of(resp)
    h.refresh_from_db()
    ext.refresh_from_db()
    assert h.deadline == wanted and ext.state == ExtensionState.APPROVED and ext.decided_by == served.user("town_a")
    assert [e.action for e in h.events.all()] == ["report", "extension_request", "extension_approve"]
    assert wanted.isoformat() in h.events.last().note
    assert AuditLog.objects.filter(object_id=str(h.pk), changes__deadline__1=wanted.isoformat()).exists()
    assert inbox("ent_a", "hazard_extension_approved").count() == 1
    assert inbox("agency_a", "hazard_extension_approved").count() == 1
    page = client_for("ent_a").get(h.get_absolute_url()).content.decode()
    assert "已批准" in page and "防护装置需厂家定制" in page
    with pytest.raises(ValidationError, match="已批准"):  # decided once
        actions.hazard_decide_extension(actor=served.user("county"), extension=ext, decision="refuse", note="x")


def test_side_actions_follow_their_table(served):
    """Every state × side action × party, from the table (as test_transitions does for the steps)."""
    from django.db import transaction

    personas = ("county", "town_a", "town_b", "ent_a", "agency_a")
    hazards = {}
    for state in HazardState.values:
        h = report(served)
        Hazard.objects.filter(pk=h.pk).update(state=state)
        hazards[state] = Hazard.objects.get(pk=h.pk)
    for state, h in hazards.items():
        for persona in personas:
            user = served.user(persona)
            for action, (states, parties) in transitions.SIDE_ACTIONS.items():
                expected = state in states and bool(transitions.relations(user, h) & parties)
                assert transitions.side_allowed(user, h, action) == expected, (state, persona, action)
                if action == "issue_notice":
                    continue  # renders a PDF: covered in test_hazards and the permission suite
                with transaction.atomic():
                    try:
                        if action == "urge":
                            actions.hazard_urge(actor=user, hazard=h, message="尽快整改")
                        else:
                            actions.hazard_request_extension(
                                actor=user, hazard=h, requested_deadline=h.deadline + timedelta(days=5), reason="等料"
                            )
                        done = True
                    except (PermissionDenied, ValidationError):
                        done = False
                    transaction.set_rollback(True)
                assert done == expected, (state, persona, action)
    # Extension decisions: every state of a request × decision × party, from EXTENSION_TABLE.
    h = hazards["rectifying"]
    for ext_state in ExtensionState.values:
        ext = HazardExtension.objects.create(
            hazard=h,
            previous_deadline=h.deadline,
            requested_deadline=h.deadline + timedelta(days=5),
            reason="等料",
            requested_by=served.user("ent_a"),
            state=ext_state,
        )
        for persona in personas:
            user = served.user(persona)
            for decision in transitions.EXTENSION_ACTIONS:
                row = transitions.EXTENSION_TABLE.get((ext_state, decision))
                expected = bool(row and transitions.relations(user, h) & row[1])
                assert transitions.extension_allowed(user, ext, decision) == expected, (ext_state, persona, decision)
                with transaction.atomic():
                    try:
                        actions.hazard_decide_extension(actor=user, extension=ext, decision=decision, note="理由")
                        done = True
                    except (PermissionDenied, ValidationError, Http404):
                        done = False
                    transaction.set_rollback(True)
                assert done == expected, (ext_state, persona, decision)
        ext.delete()
    assert transitions.side_allowed(served.user("county"), hazards["reported"], "urge")
    assert not transitions.side_allowed(served.user("ent_a"), hazards["reported"], "urge")
    assert not transitions.side_allowed(served.user("town_b"), hazards["reported"], "urge")


# ---------------------------------------------------------------- 督办


def test_urge_reaches_the_enterprise_and_its_town_and_is_counted(served, client_for):
    h = report(served)
    county = client_for("county")
    resp = county.post(reverse("hazards:hazard_urge", args=[h.pk]), {"message": ""}, follow=True)
    assert "督办催办须填写督办意见" in messages_of(resp)
    resp = county.post(reverse("hazards:hazard_urge", args=[h.pk]), {"message": "请于本周内完成整改"}, follow=True)
    assert "已督办，企业和镇（街道）安监办已收到通知" in messages_of(resp)
    client_for("town_a").post(reverse("hazards:hazard_urge", args=[h.pk]), {"message": "镇安监办再次催办"})
    assert client_for("town_b").post(reverse("hazards:hazard_urge", args=[h.pk]), {"message": "x"}).status_code == 404
    with pytest.raises(PermissionDenied):
        actions.hazard_urge(actor=served.user("ent_a"), hazard=h, message="自己督办自己")
    assert inbox("ent_a", "hazard_urged").count() == 2
    assert inbox("town_a", "hazard_urged").count() == 1  # the county's; not its own
    assert not inbox("town_b", "hazard_urged").exists()
    events = h.events.filter(action="urge")
    assert [e.note for e in events] == ["请于本周内完成整改", "镇安监办再次催办"]
    page = client_for("ent_a").get(h.get_absolute_url()).content.decode()
    last = timezone.localtime(events.last().at).strftime("%Y-%m-%d %H:%M")
    assert f"已督办 2 次，最近一次 {last}" in page
    assert 'data-testid="urge"' not in page  # the enterprise is urged; it does not urge


# ---------------------------------------------------------------- 逾期天数, sorted


def test_overdue_list_shows_and_sorts_by_days_overdue(served, client_for):
    today = timezone.localdate()
    for location, days in (("三天", 3), ("四十天", 40), ("十天", 10)):
        h = report(served, location=location)
        Hazard.objects.filter(pk=h.pk).update(deadline=today - timedelta(days=days))
    report(served, location="未逾期")
    client = client_for("town_a")
    url = reverse("hazards:hazard_list")
    page = client.get(url, {"overdue": "true", "sort": "-overdue_days"}).content.decode()
    order = [page.index(name) for name in ("四十天", "十天", "三天")]
    assert order == sorted(order) and "未逾期" not in page
    assert "逾期天数" in page and ">40<" in page
    page = client.get(url, {"overdue": "true", "sort": "overdue_days"}).content.decode()
    assert page.index("三天") < page.index("十天") < page.index("四十天")
    resp = client.get(reverse("hazards:hazard_export"), {"overdue": "true", "sort": "-overdue_days"})
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).worksheets[0]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = next(r for r in rows if "逾期天数" in r)
    col = header.index("逾期天数")
    days = [int(r[col]) for r in rows[rows.index(header) + 1 :] if r[col] not in (None, "")]
    assert days == [40, 10, 3]


# ---------------------------------------------------------------- confirmation and a note before 销号


def test_acceptance_needs_a_note_and_asks_for_confirmation(served, client_for):
    h = report(served)
    Hazard.objects.filter(pk=h.pk).update(state=HazardState.AWAITING)
    with pytest.raises(ValidationError) as exc:
        actions.hazard_transition(actor=served.user("town_a"), hazard=h, action="accept", note="  ")
    assert exc.value.messages == ["验收销号须填写验收意见"]
    resp = client_for("town_a").post(reverse("hazards:hazard_action", args=[h.pk, "accept"]), {"note": ""}, follow=True)
    assert "验收销号须填写验收意见" in messages_of(resp)
    h.refresh_from_db()
    assert h.state == HazardState.AWAITING
    page = resp.content.decode()
    # The confirmation is a static script (no inline JS under the CSP) reading data attributes.
    assert 'data-confirm="确认验收通过并销号？销号后不能撤销。"' in page and "js/confirm.js" in page
    assert "onclick" not in page


# ---------------------------------------------------------------- local dates just after midnight


def test_a_visit_at_0537_shows_its_local_day_everywhere(served, client_for):
    """05:37 in Shanghai is 21:37 UTC the day before: every heading, list, export and PDF says the local day."""
    day = timezone.localdate() - timedelta(days=10)  # inside the contract's term
    before = day - timedelta(days=1)
    moment = datetime(day.year, day.month, day.day, 5, 37, tzinfo=TZ)
    assert moment.astimezone(timezone.get_fixed_timezone(0)).date() == before
    with time_machine.travel(moment, tick=False):
        t = general_template()
        v = service_actions.visit_record(
            actor=served.user("agency_a"),
            contract=served["ent_a"].service_contracts.get(),
            enterprise=served["ent_a"],
            visited_at=timezone.now(),
            staff=[served["staff_a"]],
            template=t,
            results=all_ok(t),
        )
        report(served, visit=v, location="配电房")
        agency = client_for("agency_a")
        detail = agency.get(v.get_absolute_url()).content.decode()
        listing = agency.get(reverse("services:visit_list")).content.decode()
        export = agency.get(reverse("services:visit_export"))
        agency.post(reverse("hazards:visit_notice", args=[v.pk]))
    local, wrong = day.isoformat(), before.isoformat()
    assert f"{local} 05:37" in detail and wrong not in detail
    assert local in detail.split("</nav>")[0]  # the breadcrumb heading (the visit's name)
    assert f"{local} 05:37" in listing and wrong not in listing
    rows = list(load_workbook(io.BytesIO(b"".join(export.streaming_content))).worksheets[0].iter_rows(values_only=True))
    cells = [str(c) for r in rows for c in r if c is not None]
    assert any(c.startswith(f"{local} 05:37") for c in cells) and not any(wrong in c for c in cells)
    notice = v.hazards.get().notices.get()
    assert notice.issued_on == day
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.file.read())).pages).split())
    cn = f"{day.year}年{day.month}月{day.day}日"
    assert f"{cn}，嘉善安达安全咨询有限公司" in text and f"签发日期：{cn}" in text
    assert f"{before.year}年{before.month}月{before.day}日" not in text


def test_extension_rows_are_scoped_like_their_hazard(served):
    h = report(served)
    actions.hazard_request_extension(
        actor=served.user("ent_a"), hazard=h, requested_deadline=h.deadline + timedelta(days=3), reason="等料"
    )
    assert HazardExtension.objects.visible_to(served.user("town_a")).count() == 1
    assert HazardExtension.objects.visible_to(served.user("town_b")).count() == 0


def test_the_api_takes_the_same_side_steps(served, client_for):
    h = report(served)
    base = f"/api/v1/hazards/hazards/{h.pk}/"
    ent, town = client_for("ent_a"), client_for("town_a")
    resp = ent.post(base + "extension/", {"requested_deadline": FAR, "reason": "等料"}, content_type="application/json")
    latest = (h.deadline + timedelta(days=30)).isoformat()
    assert (
        resp.status_code == 400
        and f"每次延期最长 30 天（设置项）：申请的期限不能晚于 {latest}" in resp.content.decode()
    )
    wanted = (h.deadline + timedelta(days=7)).isoformat()
    resp = ent.post(
        base + "extension/", {"requested_deadline": wanted, "reason": "等料"}, content_type="application/json"
    )
    assert resp.status_code == 201 and resp.json()["state"] == "pending"
    ext_id = resp.json()["id"]
    assert ent.post(base + "urge/", {"message": "x"}, content_type="application/json").status_code == 403
    resp = town.post(
        base + "extension-decision/", {"extension": ext_id, "decision": "approve"}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["state"] == "approved"
    assert town.post(base + "urge/", {"message": "请按新期限完成"}, content_type="application/json").status_code == 200
    resp = town.post(base + "notice/", content_type="application/json")
    assert resp.status_code == 201 and resp.json()["kind"] == "order"
    assert town.get(resp.json()["url"]).content == h.notices.get().file.read()
    h.refresh_from_db()
    assert h.deadline.isoformat() == wanted
