"""The ingestion pipeline: thresholds, idempotent storage, dead letters, alarms and their clearing."""

import json
import math

import pytest

from safeserve.iot import actions, ingest
from safeserve.iot.choices import AlarmState, AlarmType, DeadLetterReason, Severity
from safeserve.iot.ingest import bookkeeping, devices, parsing, pipeline, thresholds
from safeserve.iot.models import Alarm, DeadLetter, Reading
from safeserve.notifications.models import Notification

from .conftest import msg, now_ms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quiet(world):
    """These tests count rows: start without the world's sample leak, alarm and dead letter."""
    Alarm.objects.all().delete()
    Reading.objects.all().delete()
    DeadLetter.objects.all().delete()
    Notification.objects.all().delete()
    return world


NORMAL = {
    "residual_ma": 120,
    "t1_c": 41.5,
    "t2_c": 40.0,
    "ua_v": 221,
    "ub_v": 220,
    "uc_v": 219,
    "ia_a": 10,
    "ib_a": 9,
    "ic_a": 11,
    "arc": 0,
}


def th(**over):
    base = {
        "residual_ma": 300,
        "temperature_c": 70,
        "over_voltage_v": 242,
        "under_voltage_v": 187,
        "over_current_a": 32,
        "arc": True,
        "clear_after": 3,
        "offline_after_s": 180,
    }
    return {**base, **over}


@pytest.mark.parametrize(
    ("values", "kind", "breached"),
    [
        ({"residual_ma": 299.9}, AlarmType.RESIDUAL, False),
        ({"residual_ma": 300}, AlarmType.RESIDUAL, True),
        ({"t1_c": 50, "t4_c": 70.0}, AlarmType.TEMPERATURE, True),
        ({"t2_c": 69.9}, AlarmType.TEMPERATURE, False),
        ({"ua_v": 242}, AlarmType.OVER_VOLTAGE, False),
        ({"ub_v": 242.1}, AlarmType.OVER_VOLTAGE, True),
        ({"uc_v": 187}, AlarmType.UNDER_VOLTAGE, False),
        ({"uc_v": 186.9}, AlarmType.UNDER_VOLTAGE, True),
        ({"ia_a": 32}, AlarmType.OVER_CURRENT, False),
        ({"ic_a": 32.5}, AlarmType.OVER_CURRENT, True),
        ({"arc": 1}, AlarmType.ARC, True),
        ({"arc": 0}, AlarmType.ARC, False),
    ],
)
def test_default_thresholds(values, kind, breached):
    result = {k: b for k, b, _v, _t in thresholds.evaluate(values, th())}
    assert result[kind] is breached


def test_metrics_not_reported_say_nothing():
    assert thresholds.evaluate({"foo": 1}, th()) == []
    assert {k for k, *_ in thresholds.evaluate({"residual_ma": 10}, th())} == {AlarmType.RESIDUAL}


def test_device_overrides_and_profile_apply(world):
    d = world["device_a"]
    assert d.thresholds()["residual_ma"] == 300
    d.residual_ma = 500
    d.profile = world["profile_b"]
    assert d.thresholds()["residual_ma"] == 500
    assert d.thresholds()["temperature_c"] == 85
    assert d.thresholds()["over_current_a"] == 32


def test_secret_is_stored_hashed_only(world):
    d = world["device_a"]
    assert world["secret_a"] not in d.secret_hash
    assert d.secret_hash == devices.hash_secret(world["secret_a"])
    assert len(world["secret_a"]) >= 40


def test_readings_are_stored_once_even_when_redelivered(world, send):
    ts = now_ms()
    r1 = send(NORMAL | {"power_factor": 0.93}, ts=ts)
    r2 = send(NORMAL | {"power_factor": 0.93}, ts=ts)
    assert (r1.stored, r1.duplicates) == (1, 0)
    assert (r2.stored, r2.duplicates) == (0, 1)
    rows = list(Reading.objects.filter(device=world["device_a"]))
    assert len(rows) == 1
    assert rows[0].residual_ma == 120 and rows[0].ua_v == 221 and rows[0].arc == 0
    assert rows[0].extra == {"power_factor": 0.93}


def test_batch_with_duplicates_inside_and_a_bad_reading(world):
    ts = now_ms()
    d = world["device_a"]
    batch = [
        {"ts": ts, "values": {"residual_ma": 100}},
        {"ts": ts, "values": {"residual_ma": 100}},
        {"ts": ts + 1000, "values": {"residual_ma": float("nan")}},
        {"ts": ts + 2000, "values": {"residual_ma": 110}},
    ]
    body = json.dumps(batch)  # NaN becomes the JSON constant NaN
    result = ingest.ingest([msg(d.code, world["secret_a"], body)])
    # The whole body contains a NaN constant: refused as non-finite before anything is stored.
    assert result.stored == 0
    assert DeadLetter.objects.get().reason == DeadLetterReason.NOT_FINITE
    batch[2]["values"]["residual_ma"] = 1e7  # absurd, but finite
    result = ingest.ingest([msg(d.code, world["secret_a"], json.dumps(batch))])
    assert (result.stored, result.duplicates, result.dead) == (2, 1, 1)
    assert DeadLetter.objects.filter(reason=DeadLetterReason.ABSURD_VALUE, detail__startswith="#2").count() == 1


MALFORMED = [
    (b"{not json", DeadLetterReason.BAD_JSON),
    (b"\xff\xfe\x00", DeadLetterReason.BAD_JSON),
    (b'{"values": {"t1_c": 20}}\x00', DeadLetterReason.BAD_JSON),
    (b'{"values": {"residual_ma": NaN}}', DeadLetterReason.NOT_FINITE),
    (b'{"values": {"t1_c": Infinity}}', DeadLetterReason.NOT_FINITE),
    (b'{"values": {"t1_c": 1e999}}', DeadLetterReason.NOT_FINITE),
    (b'{"values": {"t1_c": 5000}}', DeadLetterReason.ABSURD_VALUE),
    (b'{"values": {"residual_ma": -1}}', DeadLetterReason.ABSURD_VALUE),
    (b'{"values": {"ua_v": "220"}}', DeadLetterReason.BAD_SHAPE),
    (b'{"values": {}}', DeadLetterReason.BAD_SHAPE),
    (b"42", DeadLetterReason.BAD_SHAPE),
    (b"[]", DeadLetterReason.BAD_SHAPE),
    (b'{"ts": "yesterday", "values": {"t1_c": 20}}', DeadLetterReason.BAD_TS),
    (b'{"ts": 1, "values": {"t1_c": 20}}', DeadLetterReason.BAD_TS),
    (b'{"ts": 99999999999999, "values": {"t1_c": 20}}', DeadLetterReason.BAD_TS),
    (b'{"values": {"t1_c": 20}, "pad": "' + b"x" * 70000 + b'"}', DeadLetterReason.OVERSIZED),
    (b"[" + b"[" * 100000 + b"]" * 100000 + b"]", DeadLetterReason.OVERSIZED),
]


@pytest.mark.parametrize(("body", "reason"), MALFORMED, ids=[r for _b, r in MALFORMED])
def test_each_malformed_kind_is_dead_lettered_with_its_reason(world, body, reason):
    d = world["device_a"]
    result = ingest.ingest([msg(d.code, world["secret_a"], body)])
    assert result.stored == 0 and result.dead == 1
    dl = DeadLetter.objects.get()
    assert dl.reason == reason
    assert dl.device_code == d.code
    assert len(dl.payload) <= parsing.PAYLOAD_KEEP
    assert not Reading.objects.exists()


def test_deeply_nested_json_is_dead_lettered(world):
    d = world["device_a"]
    body = b"[" * 20000 + b"]" * 20000
    result = ingest.ingest([msg(d.code, world["secret_a"], body)])
    assert result.dead == 1
    assert DeadLetter.objects.get().reason in (DeadLetterReason.BAD_JSON, DeadLetterReason.BAD_SHAPE)


def test_unknown_device_wrong_secret_and_disabled_device(world):
    d = world["device_a"]
    good = {"values": {"residual_ma": 100}}
    r = ingest.ingest(
        [
            msg("NO-SUCH-DEVICE", "x", good),
            msg(d.code, "wrong-secret", good),
            msg(d.code, None, good),  # no secret anywhere
            msg(d.code, None, {**good, "secret": world["secret_a"]}),  # secret in the envelope (MQTT)
        ]
    )
    assert r.stored == 1
    reasons = sorted(DeadLetter.objects.values_list("reason", flat=True))
    assert reasons == sorted(
        [DeadLetterReason.UNKNOWN_DEVICE, DeadLetterReason.BAD_SECRET, DeadLetterReason.BAD_SECRET]
    )
    d.is_active = False
    d.save()
    devices.device_cache.invalidate(d.code)
    r = ingest.ingest([msg(d.code, world["secret_a"], good)])
    assert r.dead == 1 and DeadLetter.objects.filter(reason=DeadLetterReason.DISABLED).exists()


def test_a_thousand_malformed_payloads_are_all_dead_lettered_and_good_data_still_flows(world):
    d = world["device_a"]
    ts = now_ms()
    messages = []
    for i in range(1000):
        body, _reason = MALFORMED[i % (len(MALFORMED) - 1)]  # all but the slow nested one
        messages.append(msg(d.code, world["secret_a"], body))
    messages.append(msg(d.code, world["secret_a"], {"ts": ts, "values": {"residual_ma": 100}}))
    for i in range(0, len(messages), 200):
        ingest.ingest(messages[i : i + 200])
    assert DeadLetter.objects.count() == 1000
    assert Reading.objects.filter(device=d, ts=ts).exists()
    counts = dict(
        DeadLetter.objects.values_list("reason").annotate(n=__import__("django.db.models").db.models.Count("id"))
    )
    assert set(counts) >= {DeadLetterReason.BAD_JSON, DeadLetterReason.NOT_FINITE, DeadLetterReason.OVERSIZED}


def test_an_internal_error_in_one_message_is_isolated(world, monkeypatch):
    """A bug triggered by one message dead-letters that message; the rest of the batch is stored."""
    d = world["device_a"]
    real = parsing.clean_reading

    def flaky(item, now, limits=None):
        if item.get("values", {}).get("poison"):
            raise RuntimeError("boom")
        return real(item, now, limits)

    monkeypatch.setattr(pipeline, "clean_reading", flaky)  # the name the pipeline calls
    ts = now_ms()
    r = ingest.ingest(
        [
            msg(d.code, world["secret_a"], {"ts": ts, "values": {"residual_ma": 1}}),
            msg(d.code, world["secret_a"], {"ts": ts + 1, "values": {"poison": 1}}),
            msg(d.code, world["secret_a"], {"ts": ts + 2, "values": {"residual_ma": 2}}),
        ]
    )
    assert r.stored == 2
    assert DeadLetter.objects.get().reason == DeadLetterReason.INTERNAL


def test_leak_opens_one_alarm_updates_it_and_notifies_once(world, send):
    ts = now_ms()
    send({"residual_ma": 350}, ts=ts)
    send({"residual_ma": 420}, ts=ts + 1000)
    send({"residual_ma": 380}, ts=ts + 2000)
    send({"residual_ma": 380}, ts=ts + 2000)  # redelivery: counts nothing
    alarm = Alarm.objects.get()
    assert alarm.type == AlarmType.RESIDUAL and alarm.severity == Severity.MAJOR
    assert alarm.state == AlarmState.ACTIVE_UNACK and alarm.active
    assert (alarm.count, alarm.first_value, alarm.last_value, alarm.peak_value) == (3, 350, 380, 420)
    assert alarm.started_ts == ts and alarm.last_ts == ts + 2000
    notes = Notification.objects.filter(kind="iot_alarm").order_by("recipient__username")
    assert [n.recipient.username for n in notes] == ["agency_a", "ent_a"]  # the enterprise and its agency
    assert {n.dedup_key for n in notes} == {f"alarm:{alarm.pk}:step:0"}


def test_under_voltage_peak_is_the_lowest(world, send):
    ts = now_ms()
    for i, v in enumerate([180, 170, 175]):
        send({"ua_v": v, "ub_v": 220, "uc_v": 220}, ts=ts + i)
    a = Alarm.objects.get(type=AlarmType.UNDER_VOLTAGE)
    assert a.peak_value == 170 and a.count == 3


def test_alarm_clears_after_n_consecutive_normal_reports_and_does_not_storm(world, send, settings):
    settings.SAFESERVE_IOT = {**settings.SAFESERVE_IOT, "CLEAR_AFTER": 3}
    ts = now_ms()
    # Hovering at the threshold: breach, normal, breach, normal, normal, breach ...
    seq = [310, 290, 305, 295, 299, 301, 280, 281, 282]
    for i, v in enumerate(seq):
        send({"residual_ma": v}, ts=ts + i * 1000)
    alarms = list(Alarm.objects.order_by("id"))
    assert len(alarms) == 1, "a value hovering at the threshold must not open a storm of alarms"
    a = alarms[0]
    assert not a.active and a.state == AlarmState.CLEARED_UNACK and a.cleared_at is not None
    assert a.count == 3  # 310, 305, 301
    send({"residual_ma": 500}, ts=ts + 20_000)
    assert Alarm.objects.filter(active=True).count() == 1
    assert Alarm.objects.count() == 2


def test_clearing_within_one_batch_is_ordered_by_ts(world):
    d = world["device_a"]
    ts = now_ms()
    batch = [{"ts": ts + i, "values": {"t1_c": v}} for i, v in enumerate([20, 80, 30, 30, 30])]
    batch.reverse()  # arrival order does not matter, ts does
    ingest.ingest([msg(d.code, world["secret_a"], batch)])
    a = Alarm.objects.get()
    assert a.type == AlarmType.TEMPERATURE and a.severity == Severity.CRITICAL
    assert not a.active and a.count == 1 and a.peak_value == 80


def test_acknowledged_alarm_clears_to_cleared_acknowledged(world, send):
    ts = now_ms()
    send({"arc": 1}, ts=ts)
    a = Alarm.objects.get()
    actions.alarm_acknowledge(actor=world.user("ent_a"), alarm=a)
    for i in range(3):
        send({"arc": 0}, ts=ts + 1 + i)
    a.refresh_from_db()
    assert a.state == AlarmState.CLEARED_ACK and not a.active


def test_one_active_alarm_per_device_and_type_is_enforced_by_the_database(world, send):
    from django.db import IntegrityError, transaction

    send({"residual_ma": 400}, ts=now_ms())
    a = Alarm.objects.get()
    dup = Alarm(device=a.device, enterprise=a.enterprise, type=a.type, severity=a.severity, started_ts=1, last_ts=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        dup.save()
    # A different type, or an inactive one of the same type, is fine.
    Alarm.objects.create(
        device=a.device,
        enterprise=a.enterprise,
        type=a.type,
        severity=a.severity,
        started_ts=1,
        last_ts=1,
        active=False,
        state=AlarmState.CLEARED_UNACK,
    )


def test_losing_the_insert_race_updates_the_existing_alarm(world):
    """Simulate the other worker: the alarm appears between our snapshot and our insert."""
    d = world["device_a"]
    info = devices.device_cache.get_many([d.code])[d.code]
    other = Alarm.objects.create(
        device=d,
        enterprise=d.enterprise,
        type=AlarmType.RESIDUAL,
        severity=Severity.MAJOR,
        first_value=400,
        last_value=400,
        peak_value=400,
        count=1,
        started_ts=1,
        last_ts=1,
    )
    t = bookkeeping.Track(device=info, type=AlarmType.RESIDUAL, alarm_id=None, threshold=300)
    t.first_value = t.last_value = t.peak_value = 450.0
    t.started_ts = t.last_ts = 2
    t.count_inc = 1
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        assert bookkeeping.open_alarm(t, timezone.now()) is None
    other.refresh_from_db()
    assert Alarm.objects.count() == 1
    assert (other.count, other.peak_value, other.last_ts) == (2, 450, 2)


def test_non_finite_helper_rejects():
    with pytest.raises(parsing.Reject):
        parsing._number(math.inf, "x")


def test_cache_follows_code_changes_and_deletions(world, settings):
    from safeserve.core import actions as core_actions

    settings.SAFESERVE_IOT = {**settings.SAFESERVE_IOT, "DEVICE_CACHE_SECONDS": 0}
    d = world["device_a"]
    good = {"values": {"t1_c": 20}}
    assert ingest.ingest([msg(d.code, world["secret_a"], good)]).stored == 1
    core_actions.update_record(actor=None, instance=d, data={"code": "JS-A-RENAMED"})
    r = ingest.ingest([msg("JS-A-0001", world["secret_a"], good), msg("JS-A-RENAMED", world["secret_a"], good)])
    assert [o.rejected[0][0] if o.rejected else "ok" for o in r.outcomes] == [DeadLetterReason.UNKNOWN_DEVICE, "ok"]
    b = world["device_b"]
    assert ingest.ingest([msg(b.code, world["secret_b"], good)]).stored == 1
    Alarm.objects.filter(device=b).delete()
    b.delete()
    r = ingest.ingest([msg(b.code, world["secret_b"], good)])
    assert r.outcomes[0].rejected[0][0] == DeadLetterReason.UNKNOWN_DEVICE


def test_nul_characters_never_break_storage(world):
    d = world["device_a"]
    ts = now_ms()
    body = json.dumps({"ts": ts, "values": {"t1_c": 20, "note": "a\u0000b"}})
    r = ingest.ingest([msg(d.code, world["secret_a"], body), msg("BAD\x00CODE", "x", b"\x00\x00")])
    assert r.stored == 1 and r.dead == 1
    assert Reading.objects.get(device=d, ts=ts).extra == {"note": "ab"}
    assert "\x00" not in DeadLetter.objects.get().device_code


def test_the_fast_breach_check_agrees_with_evaluate_on_random_readings():
    """``any_breach`` lets the pipeline skip devices with nothing active and nothing breached: it must
    say True exactly when ``evaluate`` reports a breached condition, at and around every threshold."""
    import random

    rng = random.Random(20261129)
    near = {"residual_ma": 300, "t": 70, "u_hi": 242, "u_lo": 187, "i": 63}
    disagreements = []
    for n in range(20_000):
        th = {
            "residual_ma": rng.choice([300.0, 100.0]),
            "temperature_c": rng.choice([70.0, 55.0]),
            "over_voltage_v": 242.0,
            "under_voltage_v": 187.0,
            "over_current_a": rng.choice([63.0, 32.0]),
            "arc": rng.random() < 0.8,
            "clear_after": 3,
        }
        values = {}
        for name in ("residual_ma", "t1_c", "t2_c", "t3_c", "t4_c", "ua_v", "ub_v", "uc_v", "ia_a", "ib_a", "ic_a"):
            if rng.random() < 0.3:
                continue  # a device that does not report this metric
            key = "residual_ma" if name == "residual_ma" else name[0] if name[0] in "ti" else "u"
            centre = {"residual_ma": near["residual_ma"], "t": near["t"], "i": near["i"]}.get(key)
            if key == "u":
                centre = rng.choice([near["u_hi"], near["u_lo"], 220])
            values[name] = float(centre + rng.choice([-1, 0, 0.5, 1, -60, 40]))
        if rng.random() < 0.7:
            values["arc"] = rng.choice([0, 1])
        expected = any(breached for _kind, breached, _v, _t in thresholds.evaluate(values, th))
        if thresholds.any_breach(values, th) != expected:
            disagreements.append((n, values, th, expected))
    assert disagreements == []
