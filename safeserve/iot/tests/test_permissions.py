"""Every iot page and API route × every persona: rows, scope and forged writes, from expectations
written from the policy (roles.py: county all, a town its own, an enterprise its own, an agency the
enterprises it serves under a contract in force; only the county reads dead letters)."""

from safeserve.iot import ingest, views
from safeserve.iot import models as m
from safeserve.iot.models import Device
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests

from .conftest import make_device, msg, now_ms

WATCHERS = ("county", "town_a", "town_b", "ent_a", "agency_a")
SIDE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"}
CHANGE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"}  # device change permission
API = "/api/v1/iot/"


def _iot_world(world):
    """Two devices (towns A and B), an alarm on each, two dead letters; agency A serves enterprise A."""
    from safeserve.iot.models import Alarm, DeadLetter, DeviceProfile
    from safeserve_dev.services_fixtures import make_contract

    o = world.objs
    o["contract_a"] = make_contract(world)
    o["device_a"], o["secret_a"] = make_device(o["ent_a"], "JS-A-0001", "甲公司一号配电箱")
    o["device_b"], o["secret_b"] = make_device(o["ent_b"], "XT-B-0001", "乙公司二号配电箱")
    o["profile_a"] = DeviceProfile.objects.get(is_default=True)
    o["profile_b"] = DeviceProfile.objects.create(name="高温车间配置", temperature_c=85)
    ts = now_ms() - 5000
    for key in ("a", "b"):
        d = o[f"device_{key}"]
        ingest.ingest([msg(d.code, o[f"secret_{key}"], {"ts": ts, "values": {"residual_ma": 480}})])
        o[f"alarm_{key}"] = Alarm.objects.get(device=d)
    ingest.ingest([msg("UNKNOWN-A1", "x", {"values": {"t1_c": 1}})])
    ingest.ingest([msg("UNKNOWN-B2", "x", {"values": {"t1_c": 1}})])
    o["deadletter"] = DeadLetter.objects.get(device_code="UNKNOWN-A1")
    o["deadletter_b"] = DeadLetter.objects.get(device_code="UNKNOWN-B2")
    return world


world = permsuite.shared_world(_iot_world)

CASES = [
    PermissionCase(
        views.DEVICE,
        a="device_a",
        b="device_b",
        view=SIDE,
        change=CHANGE,
        delete={"county": "ab", "town_a": "a", "town_b": "b"},
        add={"county", "town_a", "town_b", "ent_a"},
        api_prefix=f"{API}devices/",
    ),
    PermissionCase(
        views.PROFILE,
        a="profile_a",
        b="profile_b",
        view=dict.fromkeys(WATCHERS, "ab"),
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _enterprise_name(obj):
    return obj.enterprise.name


def _code(obj):
    return obj.device.code


HX = {"HX-Request": "true", "HX-Target": "results"}
ROUTE_CHECKS = [
    # The overview groups devices by town for the county and by enterprise for everyone else.
    RouteCheck("iot:overview", {**dict.fromkeys(WATCHERS, ""), "county": "ab"}, "town_a", "town_b"),
    RouteCheck("iot:overview", {**SIDE, "county": ""}, "ent_a", "ent_b", name="iot:overview by enterprise"),
    RouteCheck("iot:alarm_list", SIDE, "alarm_a", "alarm_b", label=_code),
    RouteCheck("iot:alarm_list", SIDE, "alarm_a", "alarm_b", label=_code, headers=HX, name="iot:alarm_list htmx"),
    RouteCheck("iot:alarm_export", SIDE, "alarm_a", "alarm_b", label=_enterprise_name, kind="xlsx"),
    RouteCheck("iot:alarm_page", SIDE, "alarm_a", "alarm_b", label=_enterprise_name, args=_pk),
    RouteCheck(
        "iot:alarm_page", SIDE, "alarm_a", "alarm_b", args=_pk, method="post", data={"op": "acknowledge"}, ok=(302,)
    ),
    RouteCheck("iot:deadletter_list", {"county": "ab"}, "deadletter", "deadletter_b", label="device_code"),
    RouteCheck(
        "iot:deadletter_export", {"county": "ab"}, "deadletter", "deadletter_b", label="device_code", kind="xlsx"
    ),
    RouteCheck("iot:deadletter_detail", {"county": "ab"}, "deadletter", "deadletter_b", label="device_code", args=_pk),
    RouteCheck("iot:device_rotate", CHANGE, "device_a", "device_b", args=_pk, method="post", ok=(302,)),
    RouteCheck("device-rotate-secret", CHANGE, "device_a", "device_b", args=_pk, method="post", api=True),
    # Chart data of one device: whoever sees the device.
    RouteCheck("device-series", SIDE, "device_a", "device_b", args=_pk, kind="json"),
    RouteCheck("alarm-list", SIDE, "alarm_a", "alarm_b", kind="json"),
    RouteCheck("alarm-detail", SIDE, "alarm_a", "alarm_b", args=_pk, kind="json"),
    RouteCheck("alarm-acknowledge", SIDE, "alarm_a", "alarm_b", args=_pk, method="post", api=True),
    RouteCheck(
        "alarm-close",
        SIDE,
        "alarm_a",
        "alarm_b",
        args=_pk,
        method="post",
        api=True,
        data={"measures": "篡改", "result": "篡改"},
    ),
    # The device door: a person's session is not a device credential. Device A's code with a wrong
    # secret is refused (401) for everyone and stores nothing (a dead letter records the attempt).
    RouteCheck(
        "iot-telemetry",
        {},
        method="post",
        api=True,
        data={"values": {"t1_c": 30}},
        headers={"X-Device-Code": "JS-A-0001", "X-Device-Secret": "wrong"},
        visible=dict.fromkeys((*WATCHERS, "expert_a", "insurer_a", "assoc_a", "norole"), ""),
        denied=(401,),
        unchanged=("iot_reading", "iot_alarm", "iot_device"),
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# Left out: DeviceProfile (reference data, already every row) and DeadLetter (only the county holds
# its permission, and the county sees every row): widening their scope alone changes nothing.
test_a_widened_scope_is_reported = permsuite.widening_tests([m.Device, m.Alarm], CASES, ROUTE_CHECKS)


# ---------------------------------------------------------------- the suite can fail


def test_the_suite_reports_a_widened_device_scope(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(Device, "scope_q", classmethod(lambda cls, user, action: ALL))
    device = next(c for c in CASES if c.config is views.DEVICE)
    text = "\n".join(permsuite.failures_of(permsuite.check_case, device, "town_b", world))
    for seen in ("list: a", "export: a", "api list: a present", "detail a: expected 404", "changed the database"):
        assert seen in text, text
