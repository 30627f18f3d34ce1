"""Alarm handling (处置), escalation with a frozen clock, offline detection, rollup and the pages."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from safeserve.iot import actions, ingest, jobs, queries
from safeserve.iot.choices import AlarmState, AlarmType, DeviceStatus, Severity
from safeserve.iot.models import Alarm, ReadingHour, dt_to_ms
from safeserve.notifications.models import Notification

from .conftest import msg

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def history_from_t0(world):
    """The frozen-clock tests go back to T0, before the world's sample readings: start the devices'
    history there (a reading far behind a device's newest one changes no alarm, ADR 0016)."""
    from safeserve.iot.models import DeviceAlarmState, Reading

    Reading.objects.all().delete()
    DeviceAlarmState.objects.all().delete()
    return world


def arc(world, at, device="device_a"):
    key = "secret_a" if device == "device_a" else "secret_b"
    d = world[device]
    return ingest.ingest([msg(d.code, world[key], {"ts": dt_to_ms(at), "values": {"arc": 1}})])


def test_handling_acknowledge_assign_record_close(world):
    a = world["alarm_a"]
    ent, town = world.user("ent_a"), world.user("town_a")
    a = actions.alarm_acknowledge(actor=ent, alarm=a)
    assert a.state == AlarmState.ACTIVE_ACK and a.acknowledged_by == ent and a.ack_seconds is not None
    with pytest.raises(ValidationError):
        actions.alarm_acknowledge(actor=town, alarm=a)  # once only
    a = actions.alarm_assign(actor=ent, alarm=a, assignee=town)
    assert a.assignee == town
    with pytest.raises(ValidationError):
        actions.alarm_assign(actor=ent, alarm=a, assignee=world.user("town_b"))  # cannot handle it
    a = actions.alarm_record(actor=town, alarm=a, measures="断开照明回路，排查漏电点")
    assert a.active and a.measures.startswith("断开")
    with pytest.raises(ValidationError):
        actions.alarm_close(actor=town, alarm=a, measures="x", result="")
    a = actions.alarm_close(actor=town, alarm=a, measures="更换破损电缆", result="复测剩余电流 90 mA，正常")
    assert not a.active and a.state == AlarmState.CLEARED_ACK and a.closed_by == town and a.close_seconds is not None
    for fn, kw in [
        (actions.alarm_acknowledge, {}),
        (actions.alarm_record, {"measures": "x"}),
        (actions.alarm_close, {"measures": "x", "result": "y"}),
    ]:
        with pytest.raises(ValidationError):
            fn(actor=town, alarm=a, **kw)
    from safeserve.core.audit import history_for

    notes = [h.note for h in history_for(a)]
    assert "确认报警" in notes and "处置完成，关闭报警" in notes


@pytest.mark.parametrize(
    "persona,alarm", [("town_b", "alarm_a"), ("expert_a", "alarm_a"), ("insurer_a", "alarm_a"), ("agency_a", "alarm_b")]
)
def test_outsiders_cannot_handle(world, persona, alarm):
    # agency_a serves ent_a (alarm_a), not ent_b: alarm_b is outside its contracts.
    with pytest.raises(PermissionDenied):
        actions.alarm_acknowledge(actor=world.user(persona), alarm=world[alarm])


def test_the_contracted_agency_closes_with_its_measures_and_is_notified(world):
    from safeserve.notifications.models import Notification

    agency = world.user("agency_a")
    assert Notification.objects.filter(recipient=agency, kind="iot_alarm").exists()
    a = actions.alarm_acknowledge(actor=agency, alarm=world["alarm_a"])
    a = actions.alarm_close(actor=agency, alarm=a, measures="更换漏电断路器", result="复测正常")
    assert a.closed_by == agency and not a.active


def test_an_agency_whose_contract_ended_loses_sight_of_the_alarms(world):
    from datetime import timedelta

    from django.utils import timezone

    from safeserve.iot.models import Alarm

    agency = world.user("agency_a")
    assert Alarm.objects.visible_to(agency).filter(pk=world["alarm_a"].pk).exists()
    world["contract_a"].__class__.objects.filter(pk=world["contract_a"].pk).update(
        end_date=timezone.localdate() - timedelta(days=1)
    )
    assert not Alarm.objects.visible_to(agency).exists()


def test_transition_table_is_what_the_actions_enforce(world):
    a = world["alarm_a"]
    user = world.user("county")
    assert actions.allowed_actions(user, a) == ["acknowledge", "assign", "record", "close"]
    a.acknowledged_at = T0
    assert actions.allowed_actions(user, a) == ["assign", "record", "close"]
    a.closed_at = T0
    assert actions.allowed_actions(user, a) == []
    assert actions.allowed_actions(world.user("expert_a"), world["alarm_b"]) == []


def test_closing_an_active_alarm_lets_a_new_breach_open_a_new_one(world, send):
    a = actions.alarm_close(actor=world.user("county"), alarm=world["alarm_a"], measures="m", result="r")
    assert not a.active
    from .conftest import now_ms

    send({"residual_ma": 500}, ts=now_ms())
    assert Alarm.objects.filter(device=world["device_a"], active=True, type=AlarmType.RESIDUAL).count() == 1


def test_critical_alarm_escalates_once_per_step_with_a_frozen_clock(history_from_t0):
    world = history_from_t0
    with time_machine.travel(T0, tick=False):
        arc(world, T0)
    alarm = Alarm.objects.get(type=AlarmType.ARC)
    assert alarm.severity == Severity.CRITICAL and alarm.raised_at == T0
    with time_machine.travel(T0 + timedelta(minutes=9), tick=False):
        assert jobs.escalate_alarms() == 0
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        assert jobs.escalate_alarms() == 1
        assert jobs.escalate_alarms() == 0
    step1 = Notification.objects.filter(dedup_key=f"alarm:{alarm.pk}:step:1")
    assert [n.recipient.username for n in step1] == ["town_a"]
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        assert jobs.escalate_alarms() == 1
        assert jobs.escalate_alarms() == 0
    step2 = Notification.objects.filter(dedup_key=f"alarm:{alarm.pk}:step:2")
    assert [n.recipient.username for n in step2] == ["county"]
    step0 = Notification.objects.filter(dedup_key=f"alarm:{alarm.pk}:step:0").order_by("recipient__username")
    assert [n.recipient.username for n in step0] == ["agency_a", "ent_a"]  # the enterprise and its agency
    assert Notification.objects.filter(dedup_key__startswith=f"alarm:{alarm.pk}:").count() == 4  # steps 0, 1, 2
    alarm.refresh_from_db()
    assert alarm.escalation_step == 2


def test_an_acknowledged_or_non_critical_alarm_does_not_escalate(history_from_t0):
    world = history_from_t0
    with time_machine.travel(T0, tick=False):
        arc(world, T0)
        arc(world, T0, device="device_b")
    a = Alarm.objects.get(device=world["device_a"], type=AlarmType.ARC)
    actions.alarm_acknowledge(actor=world.user("ent_a"), alarm=a)
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        # Only device_b's arc, overdue for both steps at once; the residual alarms are "major".
        assert jobs.escalate_alarms() == 2
    assert not Notification.objects.filter(recipient=world.user("town_a"), kind="iot_alarm_escalation").exists()
    assert Notification.objects.filter(recipient=world.user("town_b"), kind="iot_alarm_escalation").count() == 1


def test_offline_after_three_missed_intervals_and_back_online(world):
    d = world["device_a"]
    d.refresh_from_db()
    seen = d.last_seen_at
    assert seen is not None
    assert jobs.detect_offline(now=seen + timedelta(seconds=190)) == 0  # 3 × 60 s + 10 s resolution
    seen_b = world["device_b"].__class__.objects.get(pk=world["device_b"].pk).last_seen_at
    later = max(seen, seen_b) + timedelta(seconds=191)
    assert jobs.detect_offline(now=later) == 2  # both world devices
    assert jobs.detect_offline(now=seen + timedelta(seconds=400)) == 0  # no duplicate
    off = Alarm.objects.get(type=AlarmType.OFFLINE, device=d)
    assert off.device == d and off.active and off.severity == Severity.WARNING
    d.refresh_from_db()
    assert d.status(now=seen + timedelta(seconds=191)) == DeviceStatus.OFFLINE
    from .conftest import now_ms

    ingest.ingest([msg(d.code, world["secret_a"], {"ts": now_ms(), "values": {"t1_c": 30}})])
    off.refresh_from_db()
    assert not off.active and off.state == AlarmState.CLEARED_UNACK


def test_hourly_rollup_is_idempotent_and_feeds_the_30_day_chart(world):
    d = world["device_a"]
    base = (dt_to_ms(T0) // 3_600_000) * 3_600_000
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        body = [{"ts": base + i * 600_000, "values": {"residual_ma": 100 + i * 10, "ua_v": 220 - i}} for i in range(12)]
        assert ingest.ingest([msg(d.code, world["secret_a"], body)]).stored == 12
        assert jobs.rollup_readings(since_ms=base) == 2
        assert jobs.rollup_readings(since_ms=base) == 2
        rows = list(ReadingHour.objects.filter(device=d).order_by("hour"))
        assert len(rows) == 2
        assert (rows[0].n, rows[0].residual_ma_max, rows[0].residual_ma_avg) == (6, 150, 125)
        assert (rows[1].ua_v_min, rows[1].ua_v_max) == (209, 214)
        series = queries.series_30d(d)
        assert series["residual_ma_max"] == [150.0, 210.0]
        assert series["t"][0] == base


def test_overview_counts_status_severity_and_mtta(world):
    county = world.user("county")
    data = queries.overview(county)
    assert data["totals"][DeviceStatus.ALARMING] == 2
    assert {s: n for s, _l, n in data["severity"]}[Severity.MAJOR] == 2
    assert data["mtta"] is None
    actions.alarm_acknowledge(actor=world.user("ent_a"), alarm=world["alarm_a"])
    data = queries.overview(county)
    assert data["mtta"] is not None
    assert {r["label"] for r in data["table"]} == {world["town_a"].name, world["town_b"].name}
    town_view = queries.overview(world.user("town_a"))
    assert [r["label"] for r in town_view["table"]] == [world["ent_a"].name]
    assert town_view["totals"][DeviceStatus.ALARMING] == 1


def test_device_added_on_the_page_shows_its_secret_once(world, client_for):
    c = client_for("town_a")
    r = c.post(
        reverse("iot:device_add"),
        {
            "enterprise": world["ent_a"].credit_code,
            "code": "JS-A-0100",
            "name": "三号配电箱",
            "place": "二车间",
            "circuit": "空调回路",
            "rated_current_a": "40",
            "interval_s": "30",
            "is_active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    page = c.get(r["Location"]).content.decode()
    assert 'data-testid="device-secret"' in page
    again = c.get(r["Location"]).content.decode()
    assert 'data-testid="device-secret"' not in again
    from safeserve.iot.models import Device

    dev = Device.objects.get(code="JS-A-0100")
    assert dev.profile.is_default


def test_device_page_shows_status_thresholds_charts_and_alarms(world, client_for):
    d = world["device_a"]
    r = client_for("ent_a").get(reverse("iot:device_detail", args=[d.pk]))
    html = r.content.decode()
    assert r.status_code == 200
    for marker in [
        'data-status="alarming"',
        'id="chart-24h"',
        'id="chart-30d"',
        "echarts.min.js",
        "300",
        'data-metric="residual_ma"',
    ]:
        assert marker in html
    assert reverse("iot:alarm_page", args=[world["alarm_a"].pk]) in html
    assert client_for("town_b").get(reverse("iot:device_detail", args=[d.pk])).status_code == 404


def test_alarm_page_handles_through_the_form(world, client_for):
    a = world["alarm_a"]
    url = reverse("iot:alarm_page", args=[a.pk])
    assert client_for("town_b").post(url, {"op": "acknowledge"}).status_code == 404
    assert client_for("ent_a").post(url, {"op": "acknowledge"}).status_code == 302
    r = client_for("town_a").post(url, {"op": "close", "measures": "", "result": ""})
    assert r.status_code == 400
    r = client_for("town_a").post(url, {"op": "close", "measures": "更换电缆", "result": "正常"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.closed_at and a.state == AlarmState.CLEARED_ACK and a.acknowledged_by == world.user("ent_a")
    assert 'data-testid="handling"' not in client_for("town_a").get(url).content.decode()


def test_list_pages_use_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    from .conftest import make_device

    for i in range(30):
        make_device(world["ent_a"], f"JS-A-1{i:03d}", f"批量终端{i}")
    c = client_for("county")
    for route in ("iot:device_list", "iot:alarm_list", "iot:overview", "iot:deadletter_list"):
        c.get(reverse(route))  # warm caches (sessions, content types)
        with django_assert_max_num_queries(14):
            assert c.get(reverse(route)).status_code == 200


def test_repeated_alarm_becomes_a_hazard_in_one_step(world, client_for, send):
    from safeserve.hazards.models import Hazard

    a = world["alarm_a"]
    from .conftest import now_ms

    send({"residual_ma": 450}, ts=now_ms())  # repeats
    resp = client_for("agency_a").post(f"/iot/alarms/{a.pk}/", {"op": "to_hazard"})
    assert resp.status_code == 302
    hazard = Hazard.objects.get()
    assert resp["Location"] == hazard.get_absolute_url()
    assert hazard.enterprise == world["ent_a"] and hazard.source == "iot" and hazard.level == "general"
    assert world["device_a"].code in hazard.description and "2 次" in hazard.description
    a.refresh_from_db()
    assert a.hazard == hazard
    # The same alarm cannot become a second hazard, and another town cannot reach it.
    page = client_for("agency_a").post(f"/iot/alarms/{a.pk}/", {"op": "to_hazard"})
    assert page.status_code == 400 and Hazard.objects.count() == 1
    assert client_for("town_b").post(f"/iot/alarms/{a.pk}/", {"op": "to_hazard"}).status_code == 404
    assert Hazard.objects.count() == 1


@pytest.mark.parametrize("interval", [1, 2, 5, 60, 300])
def test_offline_never_early_and_never_for_a_device_on_schedule(world, interval):
    """Issue 10 §6: a device reporting every 2 s got false offline alarms, and a device could be
    declared offline 11.2 s after its last report where 15 s was documented."""
    from .conftest import make_device

    d, secret = make_device(world["ent_a"], f"OFF-{interval:03d}", "离线测试", interval_s=interval)
    resolution = 10
    reports = 40
    last = None
    for k in range(reports):  # on schedule, with a job run just before each report and just after it
        at = T0 + timedelta(seconds=k * interval)
        with time_machine.travel(at, tick=False):
            ingest.ingest([msg(d.code, secret, {"ts": dt_to_ms(at), "values": {"t1_c": 30}})])
        with time_machine.travel(at + timedelta(milliseconds=1), tick=False):
            assert jobs.detect_offline() == 0
        just_before_next = at + timedelta(seconds=interval) - timedelta(milliseconds=1)
        with time_machine.travel(just_before_next, tick=False):
            assert jobs.detect_offline() == 0, f"false offline {k} reports in"
        last = at
    documented = last + timedelta(seconds=3 * interval)  # 3 missed intervals after the last report
    for probe in (documented - timedelta(milliseconds=1), documented):
        assert jobs.detect_offline(now=probe) == 0, "offline before the documented time"
    assert jobs.detect_offline(now=documented + timedelta(seconds=resolution, milliseconds=1)) == 1
    assert Alarm.objects.filter(device=d, type=AlarmType.OFFLINE, active=True).count() == 1
