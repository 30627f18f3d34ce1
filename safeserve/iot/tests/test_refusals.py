"""No silent loss and a clean refusal for every bad input (issue 10 §2, §3): no ``internal`` dead
letter, no 5xx, whatever a client sends — on SQLite and PostgreSQL alike."""

import json
import random

import pytest
from django.test import Client

from safeserve.iot import ingest
from safeserve.iot.choices import DeadLetterReason, Source
from safeserve.iot.ingest import parsing, pipeline
from safeserve.iot.models import DeadLetter, Reading

from .conftest import msg, now_ms

pytestmark = pytest.mark.django_db
URL = "/api/v1/telemetry"


def post(body: bytes | str, **headers):
    extra = {"content_type": headers.pop("content_type", "application/json")}
    return Client().generic("POST", URL, data=body, **extra, **headers)


def creds(world, secret=None):
    return {"HTTP_X_DEVICE_CODE": world["device_a"].code, "HTTP_X_DEVICE_SECRET": secret or world["secret_a"]}


# ----------------------------------------------------------------------------- §2 no silent loss


def test_readings_without_ts_are_all_stored(world):
    d = world["device_a"]
    before = Reading.objects.filter(device=d).count()
    result = ingest.ingest([msg(d.code, world["secret_a"], {"values": {"residual_ma": i}}) for i in range(20)])
    assert (result.stored, result.duplicates) == (20, 0)
    assert Reading.objects.filter(device=d).count() == before + 20
    # In one message too, next to a reading sent with a ts (a second ahead: the first 20 took the
    # milliseconds from the receipt time on, and a sent ts equal to one of them is a true duplicate).
    ts = now_ms() + 1000
    body = [{"values": {"t1_c": 30}}, {"values": {"t1_c": 31}}, {"ts": ts, "values": {"t1_c": 32}}]
    result = ingest.ingest([msg(d.code, world["secret_a"], body)])
    assert (result.stored, result.duplicates) == (3, 0)


def test_a_reading_without_ts_never_collides_with_a_stored_one(world, monkeypatch):
    d = world["device_a"]
    ts = now_ms() + 50  # the receipt time of the next batch will meet these stored readings
    ingest.ingest([msg(d.code, world["secret_a"], [{"ts": ts + i, "values": {"t1_c": 1}} for i in range(5)])])
    import time_machine

    with time_machine.travel(ts / 1000, tick=False):
        result = ingest.ingest([msg(d.code, world["secret_a"], {"values": {"t1_c": 2}}) for _ in range(3)])
    assert (result.stored, result.duplicates) == (3, 0)
    assert Reading.objects.filter(device=d, t1_c=2).count() == 3


def test_a_true_duplicate_is_still_a_duplicate(world):
    d = world["device_a"]
    body = {"ts": now_ms(), "values": {"t1_c": 20}}
    ingest.ingest([msg(d.code, world["secret_a"], body)])
    result = ingest.ingest([msg(d.code, world["secret_a"], body)])
    assert (result.stored, result.duplicates) == (0, 1)


# ----------------------------------------------------------------------------- §3 each reported input


@pytest.mark.parametrize("secret", ["密钥密钥", "\udcff-secret", "é" * 43])
def test_a_non_ascii_secret_is_a_bad_secret_over_mqtt(world, secret):
    d = world["device_a"]
    for _twice in range(2):  # the second time with the device's verified secret cached
        ingest.ingest([msg(d.code, world["secret_a"], {"values": {"t1_c": 20}})])
        r = ingest.ingest([msg(d.code, None, json.dumps({"secret": secret, "values": {"t1_c": 1}}), Source.MQTT)])
        assert r.outcomes[0].rejected[0][0] == DeadLetterReason.BAD_SECRET


def test_a_non_ascii_secret_is_401_over_http(world):
    post(json.dumps({"values": {"t1_c": 20}}), **creds(world))  # caches the verified secret
    r = post(json.dumps({"values": {"t1_c": 20}}), **creds(world, "密钥".encode().decode("latin-1")))
    assert r.status_code == 401 and r.json()["error"] == DeadLetterReason.BAD_SECRET


def test_a_400_digit_integer_is_an_absurd_value(world):
    for values in ('{"residual_ma": 1%s}', '{"power": 1%s}'):
        body = '{"values": ' + values % ("0" * 400) + "}"
        r = post(body, **creds(world))
        assert r.status_code == 400 and r.json()["error"] == DeadLetterReason.ABSURD_VALUE
    r = post('{"ts": 1' + "0" * 400 + ', "values": {"t1_c": 1}}', **creds(world))
    assert r.status_code == 400 and r.json()["error"] == DeadLetterReason.BAD_TS


def test_a_lone_surrogate_in_an_extra_metric_is_stored_replaced_or_refused(world):
    d = world["device_a"]
    ts = now_ms()
    r = post('{"ts": %d, "values": {"note": "a\\ud800b", "t1_c": 1}}' % ts, **creds(world))  # noqa: UP031
    assert r.status_code == 200, r.content
    assert Reading.objects.get(device=d, ts=ts).extra == {"note": "a\ufffdb"}
    r = post('{"values": {"n\\udc00": 1}}', **creds(world))
    assert r.status_code == 400 and r.json()["error"] == DeadLetterReason.BAD_SHAPE


def test_a_malformed_content_length_is_a_400_not_a_500(world):
    r = post(json.dumps({"values": {"t1_c": 1}}), CONTENT_LENGTH="abc", **creds(world))
    assert r.status_code == 400 and r.json()["error"] == DeadLetterReason.BAD_JSON


def test_a_21_mb_body_is_413(world):
    r = post(b'{"values": {"x": "' + b"a" * (21 * 1024 * 1024) + b'"}}', **creds(world))
    assert r.status_code == 413 and r.json()["error"] == DeadLetterReason.OVERSIZED
    assert len(DeadLetter.objects.get(reason=DeadLetterReason.OVERSIZED).payload) <= parsing.PAYLOAD_KEEP


@pytest.mark.parametrize("content_type", ["text/plain", "", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_only_json_is_accepted(world, content_type):
    r = post(json.dumps({"values": {"t1_c": 1}}), content_type=content_type, **creds(world))
    assert r.status_code == 415 and r.json()["error"] == DeadLetterReason.MEDIA_TYPE
    assert DeadLetter.objects.filter(reason=DeadLetterReason.MEDIA_TYPE).count() == 1


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/senml+json"]
)
def test_json_media_types_are_accepted(world, content_type):
    assert post(json.dumps({"values": {"t1_c": 1}}), content_type=content_type, **creds(world)).status_code == 200


@pytest.mark.parametrize(
    "topic", ["safeserve/v1/telemetry/JS-A-0001/extra", "safeserve/v1/telemetry/", "safeserve/v1/telemetry"]
)
def test_a_topic_with_extra_or_missing_levels_is_dead_lettered(world, topic):
    code = topic[len("safeserve/v1/telemetry/") :] if topic.startswith("safeserve/v1/telemetry/") else ""
    body = json.dumps({"secret": world["secret_a"], "values": {"t1_c": 1}})
    r = ingest.ingest([ingest.Message(body=body, source=Source.MQTT, device_code=code, topic=topic)])
    assert r.outcomes[0].rejected[0][0] == DeadLetterReason.BAD_TOPIC
    assert DeadLetter.objects.filter(reason=DeadLetterReason.BAD_TOPIC).count() == 1


# ----------------------------------------------------------------------------- the fuzz


def bad_messages(rnd: random.Random, secret: str, n: int):
    """n bad (or odd) message bodies: broken JSON, wrong shapes, hostile numbers and strings."""
    atoms = [
        None,
        True,
        0,
        -1,
        1e308,
        -1e308,
        10**19,
        10**400,
        "",
        "\x00",
        "\ud800",
        "\udfff\ud800",
        "密钥",
        "a" * 70,
        [],
        {},
        [[[]]],
        {"a": {"b": []}},
        0.5,
        float("1e-320"),
        2**63,
        -(2**63) - 1,
    ]
    keys = ["ts", "values", "secret", "readings", "residual_ma", "t1_c", "arc", "ua_v", "x\ud800", "\x00", "密"]
    texts = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400, '"\\ud800"', '"\\u0000"']

    def rand_value(depth=0):
        if depth < 2 and rnd.random() < 0.3:
            if rnd.random() < 0.5:
                return [rand_value(depth + 1) for _ in range(rnd.randint(0, 3))]
            return {rnd.choice(keys): rand_value(depth + 1) for _ in range(rnd.randint(0, 3))}
        return rnd.choice(atoms)

    for i in range(n):
        kind = i % 6
        if kind == 0:  # random bytes
            yield bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 60)))
        elif kind == 1:  # a document of hostile values, with the right secret
            values = {rnd.choice(keys): rand_value() for _ in range(rnd.randint(0, 4))}
            doc = {"secret": rnd.choice([secret, secret, rand_value()]), "values": values}
            if rnd.random() < 0.5:
                doc["ts"] = rand_value()
            yield json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")
        elif kind == 2:  # a batch of them
            items = [{"ts": rand_value(), "values": {rnd.choice(keys): rand_value()}} for _ in range(rnd.randint(0, 3))]
            doc = rnd.choice(
                [items, {"secret": secret, "readings": items}, {"secret": secret, "readings": rand_value()}]
            )
            yield json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")
        elif kind == 3:  # texts JSON parsers disagree on
            yield (
                '{"secret": "%s", "ts": %s, "values": {"%s": %s}}'  # noqa: UP031
                % (secret, rnd.choice([*texts, "1"]), rnd.choice(keys), rnd.choice(texts))
            ).encode("utf-8", "surrogatepass")
        elif kind == 4:  # valid JSON cut short, or with garbage after it
            good = json.dumps({"secret": secret, "values": {"t1_c": 20}}).encode()
            yield good[: rnd.randint(0, len(good))] + bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 4)))
        else:  # deep nesting, big batches, long strings
            yield rnd.choice([b"[" * 5000, b'{"a":' * 3000, json.dumps([{"values": {"t1_c": 1}}] * 1001).encode()])


def test_two_thousand_bad_messages_never_make_an_internal_error_or_a_5xx(world):
    rnd = random.Random(20261129)
    d = world["device_a"]
    secret = world["secret_a"]
    bodies = list(bad_messages(rnd, secret, 2400))
    codes = [d.code, d.code, "NOPE-1", "", "JS-A-0001/x"]
    topics = {c: f"safeserve/v1/telemetry/{c}" for c in codes}
    # MQTT: in batches, as a worker takes them.
    for i in range(0, 1200, 100):
        batch = [
            ingest.Message(body=b, source=Source.MQTT, device_code=rnd.choice(codes), topic=None)
            for b in bodies[i : i + 100]
        ]
        for m in batch:
            m.topic = topics[m.device_code]
        result = ingest.ingest(batch)
        assert not any(r == DeadLetterReason.INTERNAL for o in result.outcomes for r, _d in o.rejected)
    # HTTP: one request each, with hostile credentials now and then.
    from django.core.cache import cache

    hostile = ["", "密钥".encode().decode("latin-1"), "\xff" * 44, "a" * 5000, secret]
    for body in bodies[1200:]:
        cache.clear()  # the rate limits would answer 429 long before 1,200 refusals
        headers = {"HTTP_X_DEVICE_CODE": rnd.choice(codes), "HTTP_X_DEVICE_SECRET": rnd.choice(hostile)}
        r = post(body, content_type=rnd.choice(["application/json", "application/json", "text/plain"]), **headers)
        assert r.status_code < 500, (r.status_code, body[:200])
    assert not DeadLetter.objects.filter(reason=DeadLetterReason.INTERNAL).exists()
    assert DeadLetter.objects.count() > 1500


# ----------------------------------------------------------------------------- §4 poison costs only itself


def test_poison_messages_are_refused_before_the_transaction_without_splitting_the_batch(world, caplog):
    from safeserve_dev.iot_bench import POISON

    d, secret = world["device_a"], world["secret_a"]
    base = now_ms() - 100_000
    batch = []
    for i in range(200):
        body = '{"secret":"%s","ts":%d,"values":{"residual_ma":120}}' % (secret, base + i)  # noqa: UP031
        batch.append(ingest.Message(body=body, source=Source.MQTT, device_code=d.code))
        if i % 40 == 7:
            bad = POISON[(i // 40) % len(POISON)].format(s=secret, ts=base + 10_000 + i)
            batch.append(
                ingest.Message(body=bad.encode("utf-8", "surrogatepass"), source=Source.MQTT, device_code=d.code)
            )
    with caplog.at_level("WARNING", logger="safeserve.iot.ingest.pipeline"):
        result = ingest.ingest(batch)
    assert "splitting" not in caplog.text
    assert (result.stored, result.dead) == (200 + 1, 4)  # the surrogate in an extra metric is stored, replaced
    assert not DeadLetter.objects.filter(reason=DeadLetterReason.INTERNAL).exists()


def test_a_batch_the_database_refuses_is_halved_not_rerun_message_by_message(world, monkeypatch):
    d, secret = world["device_a"], world["secret_a"]
    base = now_ms() - 100_000
    real, calls = pipeline._ingest_batch, []

    def failing(messages, cache):
        calls.append(len(messages))
        if any(b'"ts":%d,' % (base + 13) in m.body for m in messages):
            raise RuntimeError("the database refused a row")
        return real(messages, cache)

    monkeypatch.setattr(pipeline, "_ingest_batch", failing)
    batch = [
        msg(d.code, None, '{"secret":"%s","ts":%d,"values":{"t1_c":20}}' % (secret, base + i))  # noqa: UP031
        for i in range(64)
    ]
    for m in batch:
        m.body = m.body.encode()
    result = ingest.ingest(batch)
    assert result.stored == 63 and result.dead == 1
    assert len(calls) <= 2 * 6 + 1, calls
