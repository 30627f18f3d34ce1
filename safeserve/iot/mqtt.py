"""The MQTT door: a worker that consumes telemetry through a shared subscription, and a publisher.

At-least-once end to end: the worker holds a persistent session (clean_session=False) and
acknowledges each QoS-1 message only after the batch holding it is committed. A worker killed
with -9 loses nothing: the broker redelivers what was not acknowledged, and the (device, ts)
primary key turns the redelivery into a no-op.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import socket
import ssl
import sys
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from django.db import close_old_connections, connection

from . import paho_private
from .choices import Source
from .paho_private import ack_many, lighten_paho

log = logging.getLogger(__name__)

TOPIC_PREFIX = "safeserve/v1/telemetry/"
SHARE_GROUP = "safeserve"
# "#", not "+": a topic with extra levels (or none) reaches a worker and is dead-lettered as
# bad_topic instead of being dropped unseen by the broker.
SUBSCRIPTION = f"$share/{SHARE_GROUP}/{TOPIC_PREFIX}#"
PLAIN_SUBSCRIPTION = f"{TOPIC_PREFIX}#"
BROKER_VERSION_TOPIC = "$SYS/broker/version"
LEGACY_PLAIN_SUBSCRIPTION = f"{TOPIC_PREFIX}+"  # before issue 10: dropped from persistent sessions


@dataclass
class BrokerURL:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False


def parse_url(url: str) -> BrokerURL:
    u = urlsplit(url if "://" in url else f"mqtt://{url}")
    if u.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"unsupported MQTT URL scheme: {u.scheme}")
    tls = u.scheme in ("mqtts", "ssl")
    return BrokerURL(
        host=u.hostname or "127.0.0.1",
        port=u.port or (8883 if tls else 1883),
        username=unquote(u.username) if u.username else None,
        password=unquote(u.password) if u.password else None,
        tls=tls,
    )


def make_client(
    url: BrokerURL, client_id: str, *, clean_session: bool, manual_ack: bool = False, worker: bool = False
) -> mqtt.Client:
    client = (paho_private.worker_client_class() if worker else mqtt.Client)(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    if url.username:
        client.username_pw_set(url.username, url.password)
    if url.tls:
        client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    return client


def peak_rss_mb() -> float:
    """This process's own peak resident memory.

    ``VmHWM`` belongs to the process's address space, which ``exec`` replaces. ``ru_maxrss`` does not:
    Linux carries it across ``fork`` + ``exec``, so a worker started by a large parent (a long test
    run) would report the parent's size. It is only the fallback where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class WorkerStats:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    alarms_opened: int = 0
    batches: int = 0
    db_retries: int = 0
    max_backlog: int = 0  # most messages received but not yet committed, seen at the start of a batch
    max_queued_bytes: int = 0  # most payload bytes waiting in the worker's queue
    first_commit: float | None = None
    last_commit: float | None = None
    store_latency_ms: list = field(default_factory=list)
    alarm_latency_ms: list = field(default_factory=list)


class ByteBoundedInbox:
    """The worker's queue, bounded in messages *and* in payload bytes.

    When full, ``put`` blocks paho's network thread: it stops reading the socket, TCP pushes back and
    the backlog stays at the broker. A message larger than the whole bound is still let in alone
    (an empty queue always takes one), so nothing deadlocks.
    """

    def __init__(self, max_messages: int, max_bytes: int):
        self.max_messages, self.max_bytes = max_messages, max_bytes
        self._items: deque = deque()
        self.bytes = 0
        self.max_seen_bytes = 0
        self._cond = threading.Condition()

    def put(self, message, size: int, stop: threading.Event) -> bool:
        with self._cond:
            while self._items and (len(self._items) >= self.max_messages or self.bytes + size > self.max_bytes):
                if stop.is_set():
                    return False
                self._cond.wait(0.5)
            self._items.append((message, size))
            self.bytes += size
            self.max_seen_bytes = max(self.max_seen_bytes, self.bytes)
            self._cond.notify_all()
            return True

    def get_batch(self, limit: int, first_wait: float, fill_wait: float) -> list:
        """Up to ``limit`` messages: waits ``first_wait`` for the first, then ``fill_wait`` for more."""
        batch = []
        with self._cond:
            if not self._items:
                self._cond.wait(first_wait)
            deadline = time.monotonic() + fill_wait
            while True:
                while self._items and len(batch) < limit:
                    message, size = self._items.popleft()
                    self.bytes -= size
                    batch.append(message)
                self._cond.notify_all()
                remaining = deadline - time.monotonic()
                if not batch or len(batch) >= limit or remaining <= 0:
                    return batch
                self._cond.wait(remaining)

    def qsize(self) -> int:
        return len(self._items)


QUEUE_MAX_BYTES = 32 * 1024 * 1024


def pin_malloc_threshold(threshold: int = 128 * 1024) -> bool:
    """Keep large buffers (a 1 MB payload and paho's copies of it) in their own mmap, returned to
    the system when freed. glibc otherwise raises its mmap threshold after the first such free, and
    later megabyte buffers come from the heap, which fragments between the small objects a worker
    keeps: a burst of 1 MB payloads grew a worker to 240 MB although it held 2 MB of them at a time.
    Linux/glibc only; elsewhere nothing happens."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, threshold))  # M_MMAP_THRESHOLD (also stops its dynamic growth)
    except (OSError, AttributeError):
        return False


class IngestWorker:
    """Consume ``$share/safeserve/safeserve/v1/telemetry/#`` and run batches through ``ingest``."""

    def __init__(
        self,
        url: str,
        *,
        client_id: str | None = None,
        batch_size: int = 2000,
        batch_wait: float = 0.05,
        sample_latency: bool = False,
        shared: bool = True,
        partition: tuple[int, int] | None = None,
        queue_bytes: int = QUEUE_MAX_BYTES,
        max_message_bytes: int | None = None,
    ):
        self.url = parse_url(url)
        self.partition = partition
        if partition is not None:
            index, count = partition
            if not 0 <= index < count:
                raise ValueError(f"partition {index}/{count}: the index must be in 0..{count - 1}")
            shared = False
        default_id = f"safeserve-ingest-p{partition[0]}of{partition[1]}" if partition else None
        self.client_id = client_id or default_id or f"safeserve-ingest-{socket.gethostname()}"
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.sample_latency = sample_latency
        # Shared: several workers split the stream (the broker deals the messages out). Plain: every
        # worker receives the whole stream; with a partition i/N it stores only the devices whose
        # crc32(code) % N == i and acknowledges the others at once. Mosquitto 2.0 keeps plain
        # subscriptions of a persistent session over a broker restart but forgets shared ones, so
        # only plain and partitioned workers lose nothing when the broker restarts (docs/iot-protocol.md).
        self.subscription = SUBSCRIPTION if shared else PLAIN_SUBSCRIPTION
        self.skipped: deque = deque()  # other partitions' messages, acknowledged with the next batch
        # Bounded: when the database is slower than the broker, paho's thread waits here instead of
        # reading the socket, TCP pushes back and the broker keeps the backlog (its queue is on disk
        # with persistence), so the worker's memory stays flat whatever the burst.
        # Bounded in bytes too: 3 batches of 64 KiB messages would be 384 MB. A payload over the
        # pipeline's limit is cut to limit + 1 bytes on arrival (it is dead-lettered as oversized).
        self.inbox = ByteBoundedInbox(3 * batch_size, queue_bytes)
        if max_message_bytes is None:
            from .models import iot_setting

            max_message_bytes = iot_setting("MAX_MESSAGE_BYTES")
        self.max_message_bytes = max_message_bytes
        pin_malloc_threshold()
        self.stop_event = threading.Event()
        self.connected = threading.Event()
        self.stats = WorkerStats()
        lighten_paho()
        self.client = make_client(self.url, self.client_id, clean_session=False, manual_ack=True, worker=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.subscribed = threading.Event()
        self.announce = False
        self.broker_version: str | None = None

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("mqtt: connect refused: %s", reason_code)
            return
        self._telemetry_mid = client.subscribe(self.subscription, qos=1)[1]
        if self.subscription == SUBSCRIPTION and self.broker_version is None:
            client.subscribe(BROKER_VERSION_TOPIC, qos=0)  # to warn about Mosquitto (see _broker_said)
        if self.subscription == PLAIN_SUBSCRIPTION and flags.session_present:
            client.unsubscribe(LEGACY_PLAIN_SUBSCRIPTION)  # else a restored old session delivers twice
        self.connected.set()
        log.info("mqtt: connected (session present: %s)", flags.session_present)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        if mid == getattr(self, "_telemetry_mid", mid) and all(not rc.is_failure for rc in reason_codes):
            self.subscribed.set()
            if self.announce:
                sys.stdout.write(f"ingest_mqtt: subscribed {self.subscription}\n")
                sys.stdout.flush()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        log.warning("mqtt: disconnected (%s); reconnecting", reason_code)

    def _broker_said(self, client, message) -> None:
        """Mosquitto (any 2.x so far) forgets shared subscriptions over a restart: what devices
        publish until the workers resubscribe is lost. Say so at start; EMQX-class brokers that keep
        shared sessions publish no such version string and are left alone."""
        self.broker_version = message.payload.decode("utf-8", "replace")[:100]
        client.unsubscribe(BROKER_VERSION_TOPIC)
        if "mosquitto" in self.broker_version.lower():
            text = (
                f"ingest_mqtt: WARNING: the broker is {self.broker_version}, which does not keep shared "
                "subscriptions over a restart: messages published before this worker resubscribes are "
                "lost. For lossless ingestion run partitioned workers (--partition I/N) or one worker "
                "with --subscription plain (docs/iot-protocol.md)."
            )
            log.warning("%s", text)
            if self.announce:
                sys.stdout.write(text + "\n")
                sys.stdout.flush()

    def _on_message(self, client, userdata, message):
        if message.qos == 0 and message.topic == BROKER_VERSION_TOPIC:
            self._broker_said(client, message)
            return
        if self.partition is not None and not self.mine(message.topic):
            self.skipped.append(message)
            return
        size = len(message.payload)
        if size > self.max_message_bytes:
            message.payload = message.payload[: self.max_message_bytes + 1]  # refused as oversized, cheaply
            size = len(message.payload)
        # False when stopping: never acknowledged, so the broker delivers it again.
        self.inbox.put(message, size + 200, self.stop_event)  # + the message object itself

    def mine(self, topic: str) -> bool:
        index, count = self.partition
        return zlib.crc32(topic[len(TOPIC_PREFIX) :].encode()) % count == index

    def _ack_skipped(self):
        if self.skipped:
            done = []
            while self.skipped:
                done.append(self.skipped.popleft())
            ack_many(self.client, done)

    def _next_batch(self) -> list:
        return self.inbox.get_batch(self.batch_size, 0.2, self.batch_wait)

    def _process(self, batch: list):
        from . import ingest  # here, so that publishers and bare subscribers need no Django setup

        self.stats.max_backlog = max(self.stats.max_backlog, len(batch) + self.inbox.qsize())

        messages = []
        for m in batch:
            topic = m.topic
            code = topic[len(TOPIC_PREFIX) :] if topic.startswith(TOPIC_PREFIX) else ""
            messages.append(
                ingest.Message(body=m.payload, source=Source.MQTT, device_code=code, secret=None, topic=topic)
            )
        while True:
            try:
                result = ingest.ingest(messages)
                break
            except ingest.DB_DOWN as exc:  # the database is away: keep the messages unacknowledged and retry
                self.stats.db_retries += 1
                log.warning("mqtt: database unavailable (%s); retrying", exc)
                connection.close()
                if self.stop_event.wait(1.0):
                    return  # stopping: unacknowledged messages will be redelivered
                close_old_connections()
        committed = time.time()
        ack_many(self.client, batch)
        s = self.stats
        s.batches += 1
        s.max_queued_bytes = self.inbox.max_seen_bytes
        s.messages += result.messages
        s.stored += result.stored
        s.duplicates += result.duplicates
        s.dead += result.dead
        s.alarms_opened += result.alarms_opened
        s.first_commit = s.first_commit or committed
        s.last_commit = committed
        if self.sample_latency:
            now_ms = committed * 1000
            s.store_latency_ms.extend(
                now_ms - ts for ts in result.inserted_ts[:: max(1, len(result.inserted_ts) // 200)]
            )
            s.alarm_latency_ms.extend(now_ms - ts for ts in result.opened_alarm_ts)

    def run(self, *, max_seconds: float | None = None, idle_exit: float | None = None):
        self.client.connect_async(self.url.host, self.url.port, keepalive=30)
        self.client.loop_start()
        started = time.monotonic()
        last_work = started
        try:
            while not self.stop_event.is_set():
                batch = self._next_batch()
                if batch:
                    self._process(batch)
                    last_work = time.monotonic()
                self._ack_skipped()
                now = time.monotonic()
                if max_seconds is not None and now - started > max_seconds:
                    break
                if idle_exit is not None and now - last_work > idle_exit and self.stats.messages:
                    break
        finally:
            self.client.disconnect()
            self.client.loop_stop()
        return self.stats

    def install_signal_handlers(self):
        def stop(signum, frame):
            self.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def forget_session(url: str, client_id: str, timeout: float = 10.0) -> bool:
    """Delete a worker's persistent session on the broker (connect once with a clean session).

    A retired worker's session stays in the shared group and keeps receiving its share of the
    messages, which wait there until it comes back: retire a worker with this.
    """
    u = parse_url(url)
    client = make_client(u, client_id, clean_session=True)
    done = threading.Event()
    client.on_connect = lambda c, userdata, flags, rc, props: done.set()
    client.connect(u.host, u.port, keepalive=10)
    client.loop_start()
    ok = done.wait(timeout)
    client.disconnect()
    client.loop_stop()
    return ok


class Publisher:
    """A QoS-1 publisher that survives broker restarts (paho resends unacknowledged messages)."""

    def __init__(self, url: str, client_id: str | None = None, max_inflight: int = 1000, max_pending: int = 20_000):
        self.url = parse_url(url)
        self.max_pending = max_pending
        self.client = make_client(
            self.url, client_id or f"safeserve-pub-{os.getpid()}-{time.time_ns()}", clean_session=True
        )
        self.client.max_inflight_messages_set(max_inflight)
        self.client.max_queued_messages_set(0)
        self.connected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.set() if not rc.is_failure else None
        self.client.on_disconnect = lambda c, u, f, rc, p: self.connected.clear()
        self.client.connect_async(self.url.host, self.url.port, keepalive=30)
        self.client.loop_start()

    def wait_connected(self, timeout=10.0) -> bool:
        return self.connected.wait(timeout)

    def publish(self, device_code: str, payload: dict | bytes | str, qos: int = 1):
        if isinstance(payload, dict | list):
            payload = json.dumps(payload, separators=(",", ":"))
        # paho keys unacknowledged messages by a 16-bit message id: beyond 65,535 queued messages it
        # silently overwrites earlier ones. Wait for acknowledgements instead of losing data.
        while self.pending() > self.max_pending:
            time.sleep(0.002)
        return self.client.publish(TOPIC_PREFIX + device_code, payload, qos=qos)

    def pending(self) -> int:
        return paho_private.unacknowledged(self.client)

    def flush(self, timeout: float = 60.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            time.sleep(0.05)
        return False

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()
