"""Pieces of ``manage.py benchmark_iot``: a private Mosquitto, fresh databases, a load generator,
a bare subscriber (the broker's raw pass-through) and a bare bulk insert (the database's limit).

Everything heavy runs in its own process, so the figures of the worker are the worker's own.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from safeserve_dev.mqtt_broker import ROOT, Broker, manage

TOPIC_PREFIX = "safeserve/v1/telemetry/"


def LocalBroker(workdir: Path) -> Broker:
    """The shared harness, tuned for throughput: a minute between autosaves, a wide in-flight window."""
    return Broker(workdir, autosave_interval=60, max_inflight=5000)


def run_manage(env, *args, timeout=600, capture=True):
    return manage(env, *args, timeout=timeout, capture=capture)


class BenchDB:
    def __init__(self, kind: str, workdir: Path, pg_admin: str):
        self.kind = kind
        self.pg_admin = pg_admin
        if kind == "sqlite":
            self.path = workdir / "bench.sqlite3"
            self.url = f"sqlite:///{self.path}"
        else:
            import psycopg

            self.name = f"iot_bench_{os.getpid()}"
            with psycopg.connect(pg_admin, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
                con.execute(f'CREATE DATABASE "{self.name}"')
            self.url = pg_admin.rsplit("/", 1)[0] + "/" + self.name
        self.env = {**os.environ, "DATABASE_URL": self.url, "SAFESERVE_LOG_LEVEL": "ERROR"}
        run_manage(self.env, "migrate", "--noinput", "-v", "0")

    def provision(self, n: int) -> list[tuple[str, str]]:
        out = run_manage(
            self.env,
            "shell",
            "-c",
            f"import json; from safeserve_dev.iot_simulator import provision; print(json.dumps(provision({n}, 'BEN')))",
        )
        return [tuple(p) for p in json.loads(out.stdout.strip().splitlines()[-1])]

    def reset_data(self):
        """Empty readings, alarms and dead letters between runs (devices stay). Plain SQL on a
        direct connection: a ``manage.py shell`` would boot Django for every run."""
        tables = (
            "iot_reading",
            "iot_alarm",
            "iot_deadletter",
            "notifications_delivery",
            "notifications_notification",
            "core_auditlog",
        )
        if self.kind == "sqlite":
            con = sqlite3.connect(self.path, timeout=30)
            try:
                for t in tables:
                    con.execute(f"DELETE FROM {t}")  # noqa: S608 - our own table names
                con.commit()
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                con.close()
        else:
            import psycopg

            with psycopg.connect(self.url) as con:
                for t in tables:
                    con.execute(f"DELETE FROM {t}")  # noqa: S608 - our own table names

    def drop(self):
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(self.pg_admin, autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


# ----------------------------------------------------------------------------- processes (no Django)

VALUES_NORMAL = (
    '"residual_ma":{r},"t1_c":41.5,"t2_c":40.1,"t3_c":39.8,"t4_c":38.9,"ua_v":221.3,"ub_v":220.4,"uc_v":219.8,'
    '"ia_a":21.2,"ib_a":20.7,"ic_a":22.1,"arc":0'
)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


class LoadPublisher:
    """The load generator: 5,000 devices' QoS-1 PUBLISH packets written on one raw MQTT 3.1.1 socket.

    On this 2-core machine the devices' side of the benchmark competes with the broker and the
    workers for the same CPU. paho spends ~40 µs per published message, which would make the load
    generator, not SafeServe, the limit; this writes pre-framed packets in 32 KiB writes (~12 µs per
    message, like emqtt-bench) and counts PUBACKs on a reader thread. At most ``window`` messages are
    unacknowledged, so packet ids (1..65535) are never reused while in flight. Benchmark only:
    devices and tests use ``safeserve.iot.mqtt.Publisher`` (paho, with resends after reconnects).
    """

    def __init__(self, host: str, port: int, client_id: str, window: int = 20_000):
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = client_id.encode()
        var = b"\x00\x04MQTT\x04\x02" + struct.pack("!HH", 60, len(cid)) + cid  # 3.1.1, clean session
        self.sock.sendall(b"\x10" + _varint(len(var)) + var)
        ack = self._recv_exact(4)
        if ack[0] != 0x20 or ack[3] != 0:
            raise RuntimeError(f"CONNACK refused: {ack!r}")
        self.sent = self.acked = self.pid = 0
        self.window = window
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.last_ping = time.monotonic()
        threading.Thread(target=self._read, daemon=True).start()

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _read(self):
        pending = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            i, n_ack, size = 0, 0, len(pending)
            while size - i >= 2:
                kind = pending[i]
                if kind == 0x40:  # PUBACK: 40 02 id id
                    if size - i < 4:
                        break
                    n_ack += 1
                    i += 4
                elif kind == 0xD0:  # PINGRESP
                    i += 2
                else:
                    raise RuntimeError(f"unexpected MQTT packet type {kind:#x}")
            pending = pending[i:]
            if n_ack:
                with self.cond:
                    self.acked += n_ack
                    self.cond.notify_all()

    def publish(self, topic: bytes, payload: bytes):
        self.pid = self.pid % 65535 + 1
        var = struct.pack("!H", len(topic)) + topic + struct.pack("!H", self.pid)
        self.buf += b"\x32" + _varint(len(var) + len(payload)) + var + payload
        self.sent += 1
        if len(self.buf) > 32768:
            self.flush()

    def flush(self):
        if self.buf:
            self.sock.sendall(self.buf)
            self.buf = bytearray()
        if self.sent - self.acked > self.window:
            with self.cond:
                self.cond.wait_for(lambda: self.sent - self.acked <= self.window // 2, timeout=60)
        now = time.monotonic()
        if now - self.last_ping > 20:
            self.sock.sendall(b"\xc0\x00")
            self.last_ping = now

    def wait_acked(self, timeout: float = 600) -> bool:
        self.flush()
        with self.cond:
            return self.cond.wait_for(lambda: self.acked >= self.sent, timeout=timeout)

    def close(self):
        try:
            self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        finally:
            self.sock.close()


def publisher_main(url, devices_file, per_device, rate, leak_every, out_file):
    """Publish per_device messages for every device: at ``rate`` messages/s in total, or as fast as
    possible when rate is 0. ``ts`` is the publish time, so the worker can measure latency."""
    from safeserve.iot.mqtt import parse_url

    u = parse_url(url)
    devices = json.loads(Path(devices_file).read_text())
    pub = LoadPublisher(u.host, u.port, f"bench-pub-{os.getpid()}")
    last = [0] * len(devices)
    topics = [(TOPIC_PREFIX + code).encode() for code, _s in devices]
    prefixes = ['{"secret":"%s","ts":' % s for _c, s in devices]  # noqa: UP031
    bodies = [',"values":{' + VALUES_NORMAL.format(r=r) + "}}" for r in (120, 450)]
    started = time.time()
    sent = 0
    total = per_device * len(devices)
    for i in range(per_device):
        for k in range(len(devices)):
            now = int(time.time() * 1000)
            ts = now if now > last[k] else last[k] + 1
            last[k] = ts
            leak = bool(leak_every) and (i + k) % leak_every == 0
            pub.publish(topics[k], (prefixes[k] + str(ts) + bodies[leak]).encode())
            sent += 1
            if rate and sent % 50 == 0:
                pub.flush()
                ahead = started + sent / rate - time.time()
                if ahead > 0:
                    time.sleep(ahead)
    published = time.time()
    pub.wait_acked()
    acked = time.time()
    pub.close()
    Path(out_file).write_text(json.dumps({"sent": total, "start": started, "published": published, "acked": acked}))


def bare_subscriber_main(url, expected, out_file, client_id):
    """The broker's raw pass-through: a subscriber that only counts (QoS 1, automatic acks)."""
    import paho.mqtt.client as mqtt

    from safeserve.iot.mqtt import parse_url

    u = parse_url(url)
    state = {"n": 0, "first": None, "last": None}

    def on_message(c, userdata, m):
        now = time.time()
        state["n"] += 1
        state["first"] = state["first"] or now
        state["last"] = now

    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True, protocol=mqtt.MQTTv311)
    c.on_message = on_message
    c.on_connect = lambda c, u_, f, rc, p: c.subscribe(TOPIC_PREFIX + "+", qos=1)
    c.connect(u.host, u.port, keepalive=60)
    c.loop_start()
    Path(out_file + ".ready").write_text("ok")
    idle_since = time.time()
    seen = 0
    while True:
        time.sleep(0.2)
        if state["n"] != seen:
            seen, idle_since = state["n"], time.time()
        elif (state["n"] >= expected and time.time() - idle_since > 1) or time.time() - idle_since > 20:
            break
    c.disconnect()
    c.loop_stop()
    Path(out_file).write_text(json.dumps(state))


def socket_subscriber_main(url, expected, out_file, client_id):
    """The broker's own ceiling: a subscriber on a raw MQTT 3.1.1 socket that parses packets from
    256 KiB reads and acknowledges them in one write per read (no client library at all)."""
    from safeserve.iot.mqtt import parse_url

    u = parse_url(url)
    sock = socket.create_connection((u.host, u.port))
    cid = client_id.encode()
    var = b"\x00\x04MQTT\x04\x02" + struct.pack("!HH", 60, len(cid)) + cid
    sock.sendall(b"\x10" + _varint(len(var)) + var)
    if sock.recv(4)[3] != 0:
        raise RuntimeError("CONNACK refused")
    topic = (TOPIC_PREFIX + "+").encode()
    var = struct.pack("!HH", 1, len(topic)) + topic + b"\x01"
    sock.sendall(b"\x82" + _varint(len(var)) + var)
    sock.recv(5)  # SUBACK
    Path(out_file + ".ready").write_text("ok")
    state = {"n": 0, "first": None, "last": None}
    sock.settimeout(20)
    buf = b""
    try:
        while True:
            chunk = sock.recv(262_144)
            if not chunk:
                break
            buf += chunk
            i, size, acks = 0, len(buf), []
            while size - i >= 2:
                head, j, mult, length = buf[i], i + 1, 1, 0
                while j < size:
                    byte = buf[j]
                    j += 1
                    length += (byte & 127) * mult
                    mult *= 128
                    if not byte & 128:
                        break
                else:
                    break
                if j + length > size:
                    break
                if head & 0xF0 == 0x30:
                    topic_len = (buf[j] << 8) | buf[j + 1]
                    acks.append(b"\x40\x02" + buf[j + 2 + topic_len : j + 4 + topic_len])
                i = j + length
            buf = buf[i:]
            if acks:
                sock.sendall(b"".join(acks))
                now = time.time()
                state["n"] += len(acks)
                state["first"] = state["first"] or now
                state["last"] = now
                if state["n"] >= expected:
                    sock.settimeout(1)
    except TimeoutError:
        pass
    sock.close()
    Path(out_file).write_text(json.dumps(state))


def bulk_insert_main(rows_total, out_file):
    """The database's own limit: the same rows inserted by the same SQL, without MQTT or validation."""
    import django

    django.setup()
    from django.db import transaction

    from safeserve.iot.ingest.storage import insert_readings
    from safeserve.iot.models import Device

    ids = list(Device.objects.values_list("id", flat=True))
    base = int(time.time() * 1000) + 10 * 86_400_000  # far from the benchmark's own ts
    row = (120.0, 41.5, 40.1, 39.8, 38.9, 221.3, 220.4, 219.8, 21.2, 20.7, 22.1, 0, None)
    batch = 2000
    started = time.time()
    done = 0
    while done < rows_total:
        rows = [(ids[(done + j) % len(ids)], base + (done + j) // len(ids), *row) for j in range(batch)]
        with transaction.atomic():
            insert_readings(rows)
        done += batch
    elapsed = time.time() - started
    Path(out_file).write_text(json.dumps({"rows": done, "seconds": elapsed}))


POISON = (  # inputs that once broke a whole batch (issue 10 §3, §4); validated before the transaction now
    '{{"secret":"{s}","ts":{ts},"values":{{"residual_ma":1' + "0" * 400 + "}}}}",
    '{{"secret":"\\ud800{s}","ts":{ts},"values":{{"residual_ma":120}}}}',
    '{{"secret":"{s}","ts":{ts},"values":{{"note":"\\udc00","residual_ma":120}}}}',
    '{{"secret":"密钥","ts":{ts},"values":{{"residual_ma":120}}}}',
    '{{"secret":"{s}","ts":1{ts},"values":{{"residual_ma":120}}}}',
)


def pipeline_main(devices_file, n_messages, poison_per_mille, out_file):
    """``ingest`` in process, batches of 2,000: messages/s with ``poison_per_mille`` bad messages."""
    import django

    django.setup()
    from safeserve.iot import ingest

    devices = json.loads(Path(devices_file).read_text())
    base = int(time.time() * 1000) - 3_600_000 + int(poison_per_mille) * 60_000  # each run its own ts
    values = "{" + VALUES_NORMAL.format(r=120) + "}"
    msgs, poisoned = [], 0
    for j in range(n_messages):
        code, secret = devices[j % len(devices)]
        ts = base + j // len(devices)
        if poison_per_mille and j % int(1000 / poison_per_mille) == 7:
            body = POISON[poisoned % len(POISON)].format(s=secret, ts=ts)
            poisoned += 1
        else:
            body = '{"secret":"%s","ts":%d,"values":%s}' % (secret, ts, values)  # noqa: UP031
        msgs.append(ingest.Message(body=body.encode("utf-8", "surrogatepass"), source="mqtt", device_code=code))
    started = time.time()
    stored = 0
    for i in range(0, len(msgs), 2000):
        stored += ingest.ingest(msgs[i : i + 2000]).stored
    elapsed = time.time() - started
    Path(out_file).write_text(
        json.dumps({"messages": n_messages, "poisoned": poisoned, "stored": stored, "seconds": elapsed})
    )


def spawn_python(env, func: str, *args) -> subprocess.Popen:
    code = f"import sys; from safeserve_dev.iot_bench import {func} as f; f(*{list(args)!r})"
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)  # noqa: S603 - our own code


def tempdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="iot-bench-"))


# ----------------------------------------------------------------------------- chart


def write_chart(results: dict, path: str | Path) -> None:
    """An SVG bar chart of one benchmark run (data points/s per database), with the 50,000 target."""
    from html import escape

    points = results.get("metrics_per_message", 12)
    groups = []
    for run in results["runs"]:
        bars = [
            ("broker ceiling (raw socket)", run["ceiling_msg_per_s"], "#c7c7c7"),
            ("raw pass-through (bare paho)", run["raw_msg_per_s"], "#9e9e9e"),
        ]
        for n, r in sorted(run["saturation"].items()):
            bars.append((f"stored, {n} worker(s) (median)", r["msg_rate"], "#1f77b4" if n == "1" else "#2ca02c"))
        for n, r in sorted(run.get("partitioned", {}).items()):
            bars.append((f"stored, {n} partitioned workers", r["msg_rate"], "#ff7f0e"))
        groups.append((run["db"], [(label, rate * points, colour) for label, rate, colour in bars]))
    top = max((v for _db, bars in groups for _l, v, _c in bars), default=1) * 1.1
    left, width, bar_h, gap = 230, 520, 22, 6
    height = 40 + sum(30 + len(bars) * (bar_h + gap) for _db, bars in groups) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="10" y="20" font-size="14" font-weight="bold">IoT ingestion, data points/s '
        f"({results.get('devices', '?')} devices, {points} metrics per message)</text>",
    ]
    y = 40
    for db, bars in groups:
        out.append(f'<text x="10" y="{y + 16}" font-weight="bold">{escape(db)}</text>')
        y += 30
        for label, value, colour in bars:
            w = max(1, value / top * width)
            out.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
            out.append(f'<rect x="{left}" y="{y}" width="{w:.0f}" height="{bar_h}" fill="{colour}"/>')
            out.append(f'<text x="{left + w + 6:.0f}" y="{y + 15}">{value:,.0f}</text>')
            y += bar_h + gap
    target_x = left + 50_000 / top * width
    out.append(
        f'<line x1="{target_x:.0f}" y1="35" x2="{target_x:.0f}" y2="{y}" stroke="#d62728" stroke-dasharray="4 3"/>'
    )
    out.append(f'<text x="{target_x + 4:.0f}" y="{y + 16}" fill="#d62728">target 50,000</text>')
    out.append("</svg>")
    Path(path).write_text("\n".join(out) + "\n")
