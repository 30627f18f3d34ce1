import hashlib
import io
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from safeserve.hazards import actions, conf, queries
from safeserve.hazards.choices import HazardLevel, HazardState
from safeserve.hazards.models import Hazard, MajorHazardCriterion
from safeserve.notifications.models import Notification
from safeserve.services import actions as service_actions
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract, png

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(8 * 60)


def report(world, persona="agency_a", level=HazardLevel.GENERAL, **kw):
    criterion = MajorHazardCriterion.objects.get(code="GM-2") if level == HazardLevel.MAJOR else None
    data = {
        "enterprise": world["ent_a"],
        "location": "冲压车间",
        "description": "冲床光电保护装置失效",
        "responsible_person": "李四",
        "level": level,
        "criterion": criterion,
    }
    data.update(kw)
    return actions.hazard_report(actor=world.user(persona), **data)


@pytest.fixture
def served(world):
    make_contract(world)
    return world


def inbox(username, kind=None):
    qs = Notification.objects.filter(recipient__username=username)
    return qs.filter(kind=kind) if kind else qs


def test_general_hazard_default_deadline_from_setting(served):
    h = report(served)
    assert h.deadline == timezone.localdate() + timedelta(days=conf.get("HAZARD_GENERAL_DAYS"))
    assert conf.get("HAZARD_GENERAL_DAYS") == 15
    assert (h.state, h.source, h.agency_id, h.town_id) == (
        HazardState.REPORTED,
        "visit",
        served["agency_a"].pk,
        served["town_a"].pk,
    )
    assert not h.supervised
    assert inbox("ent_a", "hazard_reported").count() == 1
    assert not inbox("town_a").exists()
    ev = h.events.get()
    assert (ev.action, ev.actor_name, ev.to_state) == ("report", "agency_a", "reported")


def test_deadline_setting_is_configurable(served, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "HAZARD_GENERAL_DAYS": 7}
    assert report(served).deadline == timezone.localdate() + timedelta(days=7)


def test_major_hazard_is_supervised_and_reaches_the_town_at_once(served):
    with pytest.raises(ValidationError):
        report(served, level=HazardLevel.MAJOR, criterion=None)
    h = report(served, level=HazardLevel.MAJOR)
    assert h.supervised and h.criterion.code == "GM-2"
    n = inbox("town_a", "hazard_major").get()
    assert n.level == "urgent" and "挂牌督办" in n.title and h.get_absolute_url() == n.link
    assert inbox("county", "hazard_major").count() == 1
    assert not inbox("town_b").exists()


def test_report_scope(served):
    with pytest.raises(PermissionDenied):
        report(served, enterprise=served["ent_b"])  # agency_a does not serve ent_b
    with pytest.raises(PermissionDenied):
        report(served, persona="town_b")
    h = report(served, persona="ent_a")
    assert h.source == "self"


def test_agency_sees_hazards_of_served_enterprises_only(served, client_for):
    h_town = report(served, persona="town_a")  # found by a town inspection, in an enterprise agency_a serves
    h_b = actions.hazard_report(
        actor=served.user("town_b"),
        enterprise=served["ent_b"],
        location="仓库",
        description="消防通道堵塞",
        responsible_person="王五",
    )
    agency = client_for("agency_a")
    assert agency.get(h_town.get_absolute_url()).status_code == 200
    assert agency.get(h_b.get_absolute_url()).status_code == 404
    assert client_for("town_a").get(h_b.get_absolute_url()).status_code == 404
    ids = [r["id"] for r in agency.get("/api/v1/hazards/hazards/").json()["results"]]
    assert ids == [h_town.pk]
    assert client_for("town_b").get(f"/api/v1/hazards/hazards/{h_town.pk}/").status_code == 404


def test_overdue_is_computed(served):
    h = report(served)
    assert not h.is_overdue
    with time_machine.travel(datetime.combine(h.deadline + timedelta(days=1), datetime.min.time(), TZ).replace(hour=9)):
        assert h.is_overdue
        assert list(Hazard.objects.filter(queries.overdue_q())) == [h]
    Hazard.objects.filter(pk=h.pk).update(state=HazardState.CLOSED)
    with time_machine.travel(datetime.combine(h.deadline + timedelta(days=1), datetime.min.time(), TZ).replace(hour=9)):
        assert not Hazard.objects.filter(queries.overdue_q()).exists()


class TestJobs:
    def test_reminder_three_days_before_to_enterprise_and_agency(self, served):
        h = report(served)
        d = h.deadline
        assert actions.send_deadline_reminders(d - timedelta(days=4)) == 0
        assert actions.send_deadline_reminders(d - timedelta(days=3)) == 2
        assert actions.send_deadline_reminders(d - timedelta(days=2)) == 0  # once per deadline
        assert set(
            Notification.objects.filter(kind="hazard_reminder").values_list("recipient__username", flat=True)
        ) == {
            "ent_a",
            "agency_a",
        }

    def test_reminder_job_under_frozen_clock(self, served):
        h = report(served)
        with time_machine.travel(
            datetime.combine(h.deadline - timedelta(days=3), datetime.min.time(), TZ).replace(hour=8)
        ):
            assert actions.send_deadline_reminders() == 2
        Hazard.objects.filter(pk=h.pk).update(deadline=h.deadline + timedelta(days=10), state=HazardState.CLOSED)
        with time_machine.travel(
            datetime.combine(h.deadline + timedelta(days=7), datetime.min.time(), TZ).replace(hour=8)
        ):
            assert actions.send_deadline_reminders() == 0  # closed hazards are never reminded

    def test_daily_escalation_to_the_town_office(self, served):
        h = report(served)
        report(served, location="另一处")  # same deadline
        day1 = datetime.combine(h.deadline + timedelta(days=1), datetime.min.time(), TZ).replace(hour=8)
        with time_machine.travel(day1 - timedelta(days=1)):
            assert actions.escalate_overdue() == 0  # the deadline day itself is not overdue
        with time_machine.travel(day1):
            assert actions.escalate_overdue() == 1  # one digest for the town office
            assert actions.escalate_overdue() == 0  # idempotent within the day
        with time_machine.travel(day1 + timedelta(days=1)):
            assert actions.escalate_overdue() == 1  # and again the next day
        msgs = list(inbox("town_a", "hazard_overdue").order_by("id"))
        assert len(msgs) == 2
        assert "逾期未整改隐患 2 条（重大 0 条）" in msgs[0].title
        assert "今日新增逾期 2 条" in msgs[0].body and "另一处" in msgs[0].body
        assert "今日新增逾期 0 条" in msgs[1].body
        assert msgs[0].link.endswith("?overdue=true&sort=-overdue_days")
        assert not inbox("town_b", "hazard_overdue").exists()
        assert not inbox("ent_a", "hazard_overdue").exists()

    def test_major_overdue_is_escalated_individually(self, served):
        m = report(served, level=HazardLevel.MAJOR)
        day1 = datetime.combine(m.deadline + timedelta(days=2), datetime.min.time(), TZ).replace(hour=8)
        with time_machine.travel(day1):
            assert actions.escalate_overdue() == 2  # the digest and the major hazard itself
        n = inbox("town_a", "hazard_overdue_major").get()
        assert n.level == "urgent" and "已逾期 2 天" in n.title and n.link == m.get_absolute_url()


def test_full_loop_via_pages(served, client_for):
    agency, ent, town = client_for("agency_a"), client_for("ent_a"), client_for("town_a")
    h = report(served)
    assert 'data-testid="action-start"' in ent.get(h.get_absolute_url()).content.decode()
    ent.post(reverse("hazards:hazard_action", args=[h.pk, "start"]), {"note": "已安排维修"})
    ent.post(reverse("hazards:hazard_action", args=[h.pk, "evidence"]), {"photos": [png()]})
    ent.post(
        reverse("hazards:hazard_action", args=[h.pk, "submit"]),
        {"note": "已更换光电保护", "photos": [png("after.png")]},
    )
    h.refresh_from_db()
    assert h.state == HazardState.AWAITING
    assert inbox("agency_a", "hazard_submitted").count() == 1
    assert 'data-testid="action-accept"' not in ent.get(h.get_absolute_url()).content.decode()
    page = agency.get(h.get_absolute_url()).content.decode()
    assert 'data-testid="action-accept"' in page
    agency.post(reverse("hazards:hazard_action", args=[h.pk, "accept"]), {"note": "现场验收合格"})
    h.refresh_from_db()
    assert h.state == HazardState.CLOSED and h.closed_at
    page = town.get(h.get_absolute_url()).content.decode()
    assert page.count("img-thumbnail") >= 3  # before/after photos and the timeline
    assert [e.action for e in h.events.all()] == ["report", "start", "evidence", "submit", "accept"]


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _issue(client, hazard):
    resp = client.post(reverse("hazards:hazard_notice", args=[hazard.pk]))
    assert resp.status_code == 302
    return hazard.notices.latest("id")


def test_issued_notice_is_numbered_dated_stored_and_served_unchanged(served, client_for, settings):
    """The officer's 责令限期整改通知书: issued once; a download days later is the same bytes and date."""
    settings.LANGUAGE_CODE = "en"
    issued_day = datetime(2026, 3, 2, 0, 20, tzinfo=TZ)  # 00:20 in Shanghai is still 1 March in UTC
    with time_machine.travel(issued_day, tick=False):
        h = report(
            served,
            level=HazardLevel.MAJOR,
            deadline=date(2026, 5, 30),
            location="二号厂房冲压车间东侧第三条生产线",
            description="冲床光电保护装置失效，" + "双手操作按钮被短接，安全防护罩缺失，" * 6,
            responsible_person="欧阳建国",
        )
        town = client_for("town_a")
        town.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        first = _issue(town, h)
        second = _issue(town, h)
    assert (first.issued_on, first.year, first.seq, second.seq) == (date(2026, 3, 2), 2026, 1, 2)
    assert first.kind == "order" and first.number.endswith("责改〔2026〕1号")
    assert first.issuer_org.endswith("安监办")  # Chinese whatever the UI language
    event = h.events.filter(action="notice").first()
    assert first.sha256 in event.note and first.number in event.note
    with time_machine.travel(issued_day + timedelta(days=40)):
        town = client_for("town_a")  # a new session, weeks later
        resp = town.get(reverse("hazards:notice_download", args=[first.pk]))
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
        assert hashlib.sha256(resp.content).hexdigest() == first.sha256 == resp["X-Content-SHA256"]
        assert resp.content == town.get(reverse("hazards:notice_download", args=[first.pk])).content
    text = _pdf_text(resp.content)
    lines = text.splitlines()
    assert lines[0].strip() == "责令限期整改通知书"
    # Headings, names and dates stay whole on their line (no word broken across table lines).
    for whole in ("隐患部位", "隐患描述", "隐患等级", "责任人", "整改期限", "欧阳建国", "2026-05-30", "2026年3月2日"):
        assert any(whole in line for line in lines), (whole, lines)
    flat = "".join(text.split())
    for expected in ("嘉善甲五金有限公司", "冲压车间", "冲床光电保护装置失效", "责令你单位", "签发人", first.number):
        assert expected in flat, expected
    assert client_for("town_b").get(reverse("hazards:notice_download", args=[first.pk])).status_code == 404
    # A file changed on disk after issuance is never served as the issued document.
    with first.file.open("wb") as f:
        f.write(resp.content + b"%")
    assert client_for("town_a").get(reverse("hazards:notice_download", args=[first.pk])).status_code == 500


def test_the_wording_depends_on_the_issuer(served, client_for):
    h = report(served)
    advice = _issue(client_for("agency_a"), h)
    plan = _issue(client_for("ent_a"), h)
    assert (advice.kind, plan.kind, advice.seq, plan.seq) == ("advice", "self_plan", 1, 1)  # a sequence per issuer
    advice_text = "".join(_pdf_text(advice.file.read()).split())
    assert "隐患整改建议书" in advice_text and "建议" in advice_text and "责令" not in advice_text
    plan_text = "".join(_pdf_text(plan.file.read()).split())
    assert "自查隐患整改计划" in plan_text and "责令" not in plan_text
    assert inbox("ent_a", "hazard_notice").count() == 1  # the agency's advice; not its own plan


def test_notice_for_a_visit_lists_its_open_hazards(served, client_for):
    c = served["ent_a"].service_contracts.get()
    t = general_template()
    v = service_actions.visit_record(
        actor=served.user("agency_a"),
        contract=c,
        enterprise=served["ent_a"],
        visited_at=timezone.now(),
        staff=[served["staff_a"]],
        template=t,
        results=all_ok(t),
    )
    report(served, visit=v, location="一号仓库")
    report(served, visit=v, location="二号车间")
    agency = client_for("agency_a")
    assert 'data-testid="visit-notice-issue"' in agency.get(v.get_absolute_url()).content.decode()
    assert agency.post(reverse("hazards:visit_notice", args=[v.pk])).status_code == 302
    notice = v.hazards.first().notices.get()
    text = _pdf_text(notice.file.read())
    assert "一号仓库" in text and "二号车间" in text and "嘉善安达安全咨询有限公司" in text
    assert notice.hazards.count() == 2 and notice.visit_id == v.pk
    assert notice.number in client_for("ent_a").get(v.get_absolute_url()).content.decode()


def _ledger(client, **params):
    resp = client.get(reverse("hazards:ledger"), {**params, "download": "1"})
    assert resp.status_code == 200, resp.content[:500]
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    ws = wb.worksheets[0]
    return table_rows(ws)


def table_rows(ws):
    """The header row and the data rows, below the title block (the frozen pane starts the data)."""
    header = int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) - 1
    return [[c.value for c in row] for row in ws.iter_rows(min_row=header)]


def test_ledger_rows(served, client_for):
    old = report(served, location="旧隐患")
    Hazard.objects.filter(pk=old.pk).update(reported_at=timezone.now() - timedelta(days=400))
    h1 = report(served, location="配电房")
    h2 = actions.hazard_report(
        actor=served.user("town_b"),
        enterprise=served["ent_b"],
        location="喷漆房",
        description="通风不良",
        responsible_person="王五",
    )
    today = timezone.localdate()
    period = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    resp = client_for("town_a").get(reverse("hazards:ledger"), {**period, "download": "1"})
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).worksheets[0]
    assert ws.cell(row=1, column=1).value == "隐患台账（罗星街道安监办）"
    assert ws.cell(row=3, column=1).value == f"统计期间：{period['start']} 至 {period['end']}"
    assert "filename*=UTF-8''" in resp["Content-Disposition"]
    rows = _ledger(client_for("town_a"), **period)
    assert rows[0][:3] == ["序号", "镇（街道）", "企业名称"]
    assert [r[8] for r in rows[1:]] == ["配电房"]  # only town A, only the period
    assert rows[1][2] == "嘉善甲五金有限公司" and rows[1][6] == "一般事故隐患" and rows[1][12] == "已上报"
    county_rows = _ledger(client_for("county"), **period)
    assert sorted(r[8] for r in county_rows[1:]) == ["喷漆房", "配电房"]
    one_town = _ledger(client_for("county"), town=served["town_b"].pk, **period)
    assert [r[8] for r in one_town[1:]] == ["喷漆房"]
    assert (
        client_for("town_a")
        .get(reverse("hazards:ledger"), {"town": served["town_b"].pk, "download": 1, **period})
        .status_code
        == 404
    )
    full = _ledger(client_for("ent_a"), start=(today - timedelta(days=500)).isoformat(), end=today.isoformat())
    assert sorted(r[8] for r in full[1:]) == ["旧隐患", "配电房"]
    assert h1.pk and h2.pk


def test_quarterly_statistics(served):
    today = timezone.localdate()
    q = (today.month - 1) // 3 + 1
    g = report(served)
    m = report(served, level=HazardLevel.MAJOR)
    Hazard.objects.filter(pk=g.pk).update(state=HazardState.CLOSED, closed_at=timezone.now())
    late = report(served, location="逾期")
    Hazard.objects.filter(pk=late.pk).update(deadline=today - timedelta(days=1))
    stats = queries.quarterly_statistics(served.user("county"), today.year, q, by="town")
    row = {r[0]: r[1:] for r in stats["rows"]}["罗星街道"]
    # found G, found M, closed G, closed M, overdue G, overdue M
    assert row == [2, 1, 1, 0, 1, 0]
    assert stats["totals"][1:3] == [2, 1]
    assert m.pk
    assert queries.quarterly_statistics(served.user("town_b"), today.year, q)["rows"] == []


def test_home_pages_show_hazards(served, client_for, django_assert_max_num_queries):
    report(served)
    report(served, level=HazardLevel.MAJOR)
    for persona in ("agency_a", "ent_a", "town_a", "county"):
        page = client_for(persona).get("/").content.decode()
        assert 'data-testid="card-hazards-open"' in page, persona
        assert "hazards-by-state" in page
    assert 'data-testid="card-visits-due"' in client_for("agency_a").get("/").content.decode()


def test_hazard_list_query_count_is_constant(served, client_for, django_assert_max_num_queries):
    for i in range(3):
        report(served, location=f"位置{i}")
    c = client_for("town_a")
    # 13: the generic list's two-step pagination (core.views.paginate) pages ids, then fetches rows.
    with django_assert_max_num_queries(13) as ctx:
        c.get(reverse("hazards:hazard_list") + "?open=true")
    n = len(ctx.captured_queries)
    for i in range(20):
        report(served, location=f"更多{i}")
    with django_assert_max_num_queries(n):
        c.get(reverse("hazards:hazard_list") + "?open=true")


def test_hazard_list_sorts_filters_by_htmx_and_exports(served, client_for):
    """The hazard list runs on the generic list machinery: sorting, the htmx results part, export."""
    report(served, location="甲车间", deadline=timezone.localdate() + timedelta(days=3))
    report(served, location="乙车间", deadline=timezone.localdate() + timedelta(days=9))
    c = client_for("town_a")
    url = reverse("hazards:hazard_list")
    page = c.get(url + "?sort=-deadline").content.decode()
    assert page.index("乙车间") < page.index("甲车间")
    page = c.get(url + "?sort=deadline").content.decode()
    assert page.index("甲车间") < page.index("乙车间")
    part = c.get(url + "?q=乙", headers={"HX-Request": "true", "HX-Target": "results"}).content.decode()
    assert 'data-testid="hazard-table"' in part and "乙车间" in part and "甲车间" not in part
    assert "<html" not in part
    resp = c.get(reverse("hazards:hazard_export") + "?q=乙")
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row]
    assert "乙车间" in cells and "甲车间" not in cells


def test_api_report_with_photo_and_step(served, client_for):
    api = client_for("agency_a")
    resp = api.post(
        "/api/v1/hazards/hazards/",
        {
            "enterprise": served["ent_a"].pk,
            "location": "锅炉房",
            "description": "压力表过期",
            "responsible_person": "李四",
            "photos": [png()],
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["photos"][0]["stage"] == "before" and body["state"] == "reported"
    hid = body["id"]
    resp = client_for("ent_a").post(
        f"/api/v1/hazards/hazards/{hid}/step/", {"action": "start"}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["state"] == "rectifying"
    resp = client_for("ent_a").post(
        f"/api/v1/hazards/hazards/{hid}/step/", {"action": "accept"}, content_type="application/json"
    )
    assert resp.status_code == 400
    resp = client_for("town_b").post(
        f"/api/v1/hazards/hazards/{hid}/step/", {"action": "submit"}, content_type="application/json"
    )
    assert resp.status_code == 404
    resp = client_for("ent_a").post(f"/api/v1/hazards/hazards/{hid}/evidence/", {"photos": [png()]})
    assert resp.status_code == 200 and [p["stage"] for p in resp.json()["photos"]] == ["before", "after"]


def test_openapi_documents_the_endpoints(client_for):
    resp = client_for("county").get("/api/schema/?format=json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for p in (
        "/api/v1/hazards/hazards/",
        "/api/v1/hazards/hazards/{id}/step/",
        "/api/v1/services/visits/",
        "/api/v1/services/contracts/{id}/transition/",
    ):
        assert p in paths, p
    assert "404" in paths["/api/v1/hazards/hazards/{id}/step/"]["post"]["responses"]


@pytest.mark.parametrize("persona", ["agency_a", "ent_a", "town_a", "county"])
def test_home_page_query_count_does_not_grow(served, client_for, django_assert_max_num_queries, persona):
    report(served)
    c = client_for(persona)
    with django_assert_max_num_queries(60) as ctx:
        c.get("/")
    n = len(ctx.captured_queries)
    for i in range(15):
        report(served, location=f"位置{i}", level=HazardLevel.MAJOR if i % 5 == 0 else HazardLevel.GENERAL)
    with django_assert_max_num_queries(n):
        c.get("/")


def test_periodic_jobs_are_scheduled_and_run(served):
    from huey.contrib.djhuey import HUEY

    from safeserve.hazards import tasks
    from safeserve.services import tasks as service_tasks

    periodic = {t.__name__ for t in HUEY._registry._periodic_tasks}
    assert {
        "hazard_deadline_reminders",
        "hazard_escalate_overdue",
        "expire_contracts_daily",
        "flag_missing_visits_daily",
    } <= periodic
    h = report(served)
    with time_machine.travel(datetime.combine(h.deadline + timedelta(days=1), datetime.min.time(), TZ).replace(hour=8)):
        assert tasks.hazard_escalate_overdue.call_local() == 1
    assert service_tasks.expire_contracts_daily.call_local() == 0


def test_statistics_by_enterprise_and_download(served, client_for):
    report(served)
    report(served, level=HazardLevel.MAJOR)
    today = timezone.localdate()
    q = (today.month - 1) // 3 + 1
    stats = queries.quarterly_statistics(served.user("agency_a"), today.year, q, by="enterprise")
    assert stats["rows"] == [["嘉善甲五金有限公司", 1, 1, 0, 0, 0, 0]]
    resp = client_for("town_a").get(
        reverse("hazards:statistics"), {"year": today.year, "quarter": q, "by": "enterprise", "download": 1}
    )
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).worksheets[0]
    title = ws.cell(row=1, column=1).value
    assert (
        title == f"{today.year}年第{q}季度隐患统计"
        and ws.cell(row=3, column=1).value == f"统计期间：{today.year}年第{q}季度"
    )
    rows = table_rows(ws)
    assert (
        rows[0][1] == "发现一般隐患" and rows[1] == ["嘉善甲五金有限公司", 1, 1, 0, 0, 0, 0] and rows[-1][0] == "合计"
    )
    assert queries.quarter_bounds(2026, 4) == (date(2026, 10, 1), date(2026, 12, 31))
    assert queries.quarter_bounds(2026, 1) == (date(2026, 1, 1), date(2026, 3, 31))


def test_agency_reports_without_a_visit_choosing_a_served_enterprise(served, client_for):
    page = client_for("agency_a").get(reverse("hazards:hazard_add")).content.decode()
    assert "嘉善甲五金有限公司" in page and "西塘乙机械有限公司" not in page
    resp = client_for("agency_a").post(
        reverse("hazards:hazard_add"),
        {
            "enterprise": served["ent_a"].pk,
            "level": "general",
            "location": "门卫",
            "description": "灭火器过期",
            "responsible_person": "李四",
        },
    )
    assert resp.status_code == 302
    assert Hazard.objects.get(location="门卫").source == "visit"
    resp = client_for("town_a").post(
        reverse("hazards:hazard_add"),
        {
            "enterprise": served["ent_a"].credit_code,
            "level": "general",
            "source": "inspection",
            "location": "仓库",
            "description": "堆放混乱",
            "responsible_person": "李四",
        },
    )
    assert resp.status_code == 302 and Hazard.objects.get(location="仓库").source == "inspection"


def test_statistics_of_a_past_quarter_count_hazards_closed_later_as_overdue(served):
    h = report(served)
    tz_now = timezone.now()
    # Found on 2026-02-10, deadline 2026-02-25, closed on 2026-04-20: overdue at the end of Q1, rectified in Q2.
    Hazard.objects.filter(pk=h.pk).update(
        reported_at=datetime(2026, 2, 10, 9, tzinfo=TZ),
        deadline=date(2026, 2, 25),
        state=HazardState.CLOSED,
        closed_at=datetime(2026, 4, 20, 9, tzinfo=TZ),
    )
    with time_machine.travel(max(tz_now, datetime(2026, 6, 1, tzinfo=TZ))):
        q1 = queries.quarterly_statistics(served.user("town_a"), 2026, 1)
        q2 = queries.quarterly_statistics(served.user("town_a"), 2026, 2)
    assert q1["rows"] == [["罗星街道", 1, 0, 0, 0, 1, 0]]
    assert q2["rows"] == [["罗星街道", 0, 0, 1, 0, 0, 0]]


def test_only_an_agency_in_the_register_is_appointed_to_accept(served, client_for):
    """Which agency may be appointed is the actions layer's rule (queries.appointable_agencies),
    not only the page form's: the API and direct callers are refused an agency no longer in the register."""
    h = report(served, level=HazardLevel.MAJOR)
    gone = served["agency_b"]
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    resp = client_for("town_a").post(
        f"/api/v1/hazards/hazards/{h.pk}/step/",
        {"action": "appoint", "acceptor_agency": gone.pk},
        content_type="application/json",
    )
    assert resp.status_code == 400, resp.content
    assert "不在册" in resp.content.decode()
    h.refresh_from_db()
    assert h.acceptor_agency_id is None
    with pytest.raises(ValidationError, match="不在册"):
        actions.hazard_transition(actor=served.user("county"), hazard=h, action="appoint", acceptor_agency=gone)
    h = actions.hazard_transition(
        actor=served.user("county"), hazard=h, action="appoint", acceptor_agency=served["agency_a"]
    )
    assert h.acceptor_agency_id == served["agency_a"].pk


def test_the_enterprise_a_report_names_is_one_rule_for_page_and_api(served, client_for):
    """queries.report_enterprise: the visit's, else the chosen one in scope (404), else one's own."""
    from django.http import Http404

    own = served.user("ent_a")
    assert queries.report_enterprise(own).pk == served["ent_a"].pk
    assert queries.report_enterprise_choice(own) == "own"
    assert queries.report_enterprise_choice(served.user("agency_a")) == "pick"
    assert queries.report_enterprise_choice(served.user("town_a")) == "code"
    with pytest.raises(Http404):
        queries.report_enterprise(served.user("agency_a"), enterprise=served["ent_b"].pk)
    with pytest.raises(ValidationError):
        queries.report_enterprise(served.user("town_a"))
    body = {"location": "门卫", "description": "灭火器过期", "responsible_person": "李四"}
    api = "/api/v1/hazards/hazards/"
    assert client_for("town_a").post(api, body, content_type="application/json").status_code == 400
    forged = {**body, "enterprise": served["ent_b"].pk}
    assert client_for("agency_a").post(api, forged, content_type="application/json").status_code == 404
    resp = client_for("ent_a").post(api, body, content_type="application/json")
    assert resp.status_code == 201 and resp.json()["enterprise"] == served["ent_a"].pk
