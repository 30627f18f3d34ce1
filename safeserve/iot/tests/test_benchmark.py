"""The benchmark's own parts are right: the raw-socket load generator frames MQTT packets a real
broker and paho accept, the raw-socket subscriber counts what it gets, and the command runs end to end."""

import json
import os
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from safeserve_dev import iot_bench as b

from .mqttkit import MOSQUITTO, ROOT, Broker, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not os.path.exists(MOSQUITTO), reason="needs /usr/sbin/mosquitto (apt-get install mosquitto)"),
]


def test_the_load_generator_delivers_every_message_intact_to_a_paho_subscriber(tmp_path):
    broker = Broker(tmp_path / "broker").start()
    got, subscribed = [], threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="check", protocol=mqtt.MQTTv311)
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(b.TOPIC_PREFIX + "+", qos=1)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.qos))
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    try:
        assert subscribed.wait(10)
        pub = b.LoadPublisher("127.0.0.1", broker.port, "gen", window=500)
        # Payload sizes on both sides of the 1-, 2- and 3-byte remaining-length boundaries.
        sizes = [1, 100, 130, 16_000, 16_400, 40_000]
        sent = []
        for n in range(3_000):  # > the window: the generator must wait for PUBACKs, not overrun ids
            topic = f"{b.TOPIC_PREFIX}DEV-{n % 7}"
            body = (f"{n}:" + "x" * sizes[n % len(sizes)]).encode()
            pub.publish(topic.encode(), body)
            sent.append((topic, body, 1))
        assert pub.wait_acked(60)
        assert pub.acked == 3_000
        pub.close()
        assert wait_until(lambda: len(got) >= 3_000, timeout=30)
        time.sleep(0.3)
        assert sorted(got) == sorted(sent)
    finally:
        sub.disconnect()
        sub.loop_stop()
        broker.stop()


def test_the_raw_socket_subscriber_counts_every_message(tmp_path):
    broker = Broker(tmp_path / "broker").start()
    out = str(tmp_path / "count.json")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from safeserve_dev.iot_bench import socket_subscriber_main as f; f({broker.url!r}, 2000, {out!r}, 'c')",
        ],
        cwd=ROOT,
    )
    try:
        assert wait_until(lambda: os.path.exists(out + ".ready"), timeout=20)
        pub = b.LoadPublisher("127.0.0.1", broker.port, "gen")
        for n in range(2_000):
            pub.publish(f"{b.TOPIC_PREFIX}D{n % 50}".encode(), b"{}" * (n % 300))
        assert pub.wait_acked(60)
        pub.close()
        proc.wait(60)
        state = json.loads(open(out).read())
        assert state["n"] == 2_000
        assert state["last"] >= state["first"]
    finally:
        if proc.poll() is None:
            proc.kill()
        broker.stop()


def test_the_benchmark_command_runs_end_to_end_and_prints_its_targets(tmp_path):
    """A smoke of every phase, kept small: one worker count (two workers, shared and partitioned),
    one in-process pipeline run of each kind, workers that stop 2 s after the last message."""
    report = tmp_path / "bench.json"
    env = {**os.environ, "SAFESERVE_LOG_LEVEL": "ERROR"}
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "benchmark_iot",
            "--devices",
            "40",
            "--duration",
            "2",
            "--rate",
            "2",
            "--saturation-per-device",
            "10",
            "--db",
            "sqlite",
            "--workers",
            "2",
            "--pipeline-runs",
            "1",
            "--idle-exit",
            "2",
            "--partitioned",
            "--json",
            str(report),
            "--chart",
            str(tmp_path / "chart.svg"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = done.stdout
    for line in ("broker raw pass-through", "broker ceiling", "bare bulk insert", "pipeline in process",
                 "saturation #1, 2 worker(s)",
                 "partitioned worker(s)", "publish→alarm p50", "targets (sqlite):", "[met] nothing lost"):  # fmt: skip
        assert line in text, text
    data = json.loads(report.read_text())
    run = data["runs"][0]
    assert run["db"] == "sqlite"
    assert run["saturation"]["2"]["stored"] == 400  # 40 devices x 10 messages, nothing lost
    assert run["partitioned"]["2"]["stored"] == 400
    assert sum(run["partitioned"]["2"]["per_worker_stored"]) == 400
    assert run["paced"]["alarms"] >= 1 and run["paced"]["alarm_p99"] is not None
    svg = (tmp_path / "chart.svg").read_text()
    assert svg.startswith("<svg") and "target 50,000" in svg and "stored, 2 worker(s)" in svg
