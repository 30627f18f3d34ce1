"""Every use of paho-mqtt's private internals, in one place (issue 9 §5, ADR 0021).

The ingest worker reaches past paho's public API in five ways, each measured to matter (ADR 0009):
a buffered socket (``Client._create_socket``), no per-topic callback walk
(``Client._handle_on_message``, ``_in_callback_mutex``, ``_userdata``, ``_easy_log``), received
messages without an eager ``MQTTMessageInfo`` (a process-wide swap of ``MQTTMessage``, which must have
exactly the ``__slots__`` replicated here), one queued packet for a batch's PUBACKs
(``Client._packet_queue``) and the publisher's count of unacknowledged messages
(``Client._out_messages``).

``mismatches()`` lists what this paho no longer offers. At run time a mismatch falls back to paho's
own behaviour (slower, never wrong) and logs a warning; ``test_paho_private.py`` FAILS on it, so an
upgrade of paho outside ``TESTED_PAHO`` (pinned in requirements.txt) is caught by the suite, not by a
drop in throughput.
"""

from __future__ import annotations

import inspect
import logging
import struct

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

TESTED_PAHO = ((2, 2), (2, 3))  # [from, to): the paho versions this module was checked against

_PAHO_MESSAGE = mqtt.MQTTMessage  # paho's own class, before ``lighten_paho`` swaps it


def paho_version() -> tuple[int, ...]:
    from paho.mqtt import __version__

    return tuple(int(p) for p in __version__.split(".")[:2] if p.isdigit())


def _message_mismatches() -> list[str]:
    out = []
    slots = tuple(sorted(getattr(_PAHO_MESSAGE, "__slots__", ())))
    if slots != tuple(sorted(_PAHO_MESSAGE_SLOTS)):
        out.append(f"MQTTMessage.__slots__ is {slots}")
    for name in ("mqtt_ms_invalid", "MQTTMessageInfo"):
        if not hasattr(mqtt, name):
            out.append(f"paho.mqtt.client.{name} is missing")
    return out


def _client_mismatches() -> list[str]:
    out = [
        f"Client.{n} is missing"
        for n in ("_create_socket", "_handle_on_message", "_easy_log")
        if not hasattr(mqtt.Client, n)
    ]
    queue = getattr(mqtt.Client, "_packet_queue", None)
    if queue is None:
        out.append("Client._packet_queue is missing")
    elif list(inspect.signature(queue).parameters)[:5] != ["self", "command", "packet", "mid", "qos"]:
        out.append(f"Client._packet_queue{inspect.signature(queue)}")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="safeserve-canary")
    for name, kind in (
        ("_in_callback_mutex", None),
        ("_userdata", None),
        ("_out_messages", dict),
        ("suppress_exceptions", bool),
    ):
        if not hasattr(client, name):
            out.append(f"Client().{name} is missing")
        elif kind is not None and not isinstance(getattr(client, name), kind):
            out.append(f"Client().{name} is not a {kind.__name__}")
    if not hasattr(getattr(client, "_in_callback_mutex", None), "__enter__"):
        out.append("Client()._in_callback_mutex is not a lock")
    return out


def mismatches() -> list[str]:
    """What this paho no longer offers of the internals used here (empty: all of it)."""
    out = []
    version = paho_version()
    if not TESTED_PAHO[0] <= version < TESTED_PAHO[1]:
        out.append(f"paho-mqtt {version} is outside the tested range {TESTED_PAHO}")
    return out + _message_mismatches() + _client_mismatches()


_warned: set = set()


def _check(problems: list[str]) -> bool:
    """True if nothing is missing; otherwise warn once per problem (the worker falls back, slower)."""
    for p in problems:
        if p not in _warned:
            _warned.add(p)
            log.warning("mqtt: paho internals changed (%s); falling back to paho's public API, slower", p)
    return not problems


def worker_client_class() -> type[mqtt.Client]:
    """The tuned client class if this paho has the methods it overrides, else paho's own."""
    missing = [
        f"Client.{n} is missing" for n in ("_create_socket", "_handle_on_message") if not hasattr(mqtt.Client, n)
    ]
    return _WorkerClient if _check(missing) else mqtt.Client


def unacknowledged(client: mqtt.Client) -> int:
    """Outgoing QoS>0 messages paho still holds (sent or queued, not yet acknowledged)."""
    return len(client._out_messages)


class _BufferedSocket:
    """paho reads a packet with 3-4 ``recv`` calls (type, length bytes, body); this serves them from
    one 256 KiB read. ``pending()`` tells paho's loop that buffered bytes are waiting (it asks the
    same of TLS sockets), so nothing stalls in select()."""

    def __init__(self, sock):
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def recv(self, bufsize: int) -> bytes:
        available = len(self._buf) - self._pos
        if not available:
            self._buf, self._pos = self._sock.recv(262_144), 0
            available = len(self._buf)
            if not available:
                return b""
        take = min(bufsize, available)
        chunk = self._buf[self._pos : self._pos + take]
        self._pos += take
        return chunk

    def pending(self) -> int:
        inner = self._sock.pending() if hasattr(self._sock, "pending") else 0
        return len(self._buf) - self._pos + inner

    def __getattr__(self, name):
        return getattr(self._sock, name)


class _LazyInfoMessage(mqtt.MQTTMessage):
    """A received message without its eager ``MQTTMessageInfo``: paho builds one, with a
    threading.Condition, for every message it receives, although only published messages use it.
    That was 13 % of a worker's time (py-spy); here it is built on first use instead."""

    __slots__ = ("_lazy_info",)

    def __init__(self, mid: int = 0, topic: bytes = b""):
        self.timestamp = 0.0
        self.state = mqtt.mqtt_ms_invalid
        self.dup = False
        self.mid = mid
        self._topic = topic
        self.payload = b""
        self.qos = 0
        self.retain = False
        self._lazy_info = None
        self.properties = None

    @property
    def info(self):
        if self._lazy_info is None:
            self._lazy_info = mqtt.MQTTMessageInfo(self.mid)
        return self._lazy_info

    @info.setter
    def info(self, value):
        self._lazy_info = value


_PAHO_MESSAGE_SLOTS = ("_topic", "dup", "info", "mid", "payload", "properties", "qos", "retain", "state", "timestamp")


class _WorkerClient(mqtt.Client):
    """paho's client with a buffered socket (see ``_BufferedSocket``), and every message handed
    straight to ``on_message``: paho walks its per-topic callback tree for each message first (6 %
    of a worker's time in py-spy), although the worker registers no per-topic callback."""

    def _create_socket(self):
        return _BufferedSocket(super()._create_socket())

    def message_callback_add(self, sub, callback):
        raise TypeError("the ingest worker takes every message through on_message")

    def _handle_on_message(self, message):
        mutex = getattr(self, "_in_callback_mutex", None)
        if mutex is None:  # pragma: no cover - another paho (the canary test fails on it): its own way
            return super()._handle_on_message(message)
        on_message = self.on_message
        if on_message is None:
            return None
        with mutex:
            try:
                on_message(self, self._userdata, message)
            except Exception as err:
                self._easy_log(mqtt.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                if not self.suppress_exceptions:
                    raise


def lighten_paho() -> bool:
    """Use ``_LazyInfoMessage`` for the messages paho creates in this process, if this paho's
    message has exactly the fields it replicates (paho 2.x); otherwise leave paho as it is."""
    if not _check(_message_mismatches()):
        return False
    if mqtt.MQTTMessage is not _LazyInfoMessage:
        mqtt.MQTTMessage = _LazyInfoMessage
    return mqtt.MQTTMessage is _LazyInfoMessage


def ack_many(client: mqtt.Client, messages) -> None:
    """Acknowledge a committed batch with one write instead of one wake-up and one send per message.

    ``client.ack()`` queues each 4-byte PUBACK separately and wakes paho's network thread for each;
    at thousands of messages per second that costs more than parsing them. The PUBACKs of a batch are
    concatenated into one queued packet (MQTT allows any number of packets in one TCP write). Falls
    back to ``client.ack()`` if paho's internal queue is not there (another paho version: logged, and
    the canary test fails).
    """
    mids = [m.mid for m in messages if m.qos == 1]
    queue_packet = getattr(client, "_packet_queue", None)
    if queue_packet is None:
        _check(["Client._packet_queue is missing"])
        for m in messages:
            client.ack(m.mid, m.qos)
        return
    if mids:
        queue_packet(mqtt.PUBACK, b"".join(_PUBACK.pack(0x40, 2, mid) for mid in mids), 0, 0)


_PUBACK = struct.Struct("!BBH")
