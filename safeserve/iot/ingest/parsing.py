"""Parsing and validation of one message and its readings; dead letters of what is refused."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import METRICS, DeadLetterReason, Source
from ..models import DeadLetter, iot_setting

PAYLOAD_KEEP = 2000  # characters of a refused payload kept in the dead-letter list
EXTRA_ABS_MAX = 1e12
# ----------------------------------------------------------------------------- validation


@dataclass
class Message:
    """One message from either door. ``secret`` None means: take it from the payload envelope."""

    body: bytes | str
    source: str = Source.OTHER
    device_code: str = ""
    secret: str | None = None
    received_at: Any = None
    token: Any = None
    topic: str | None = None  # MQTT: the topic, whose last level is the device code


@dataclass
class MessageOutcome:
    stored: int = 0
    duplicates: int = 0
    rejected: list = field(default_factory=list)  # (reason, detail)


@dataclass
class IngestResult:
    messages: int = 0
    readings: int = 0
    stored: int = 0
    duplicates: int = 0
    dead: int = 0
    alarms_opened: int = 0
    alarms_updated: int = 0
    alarms_cleared: int = 0
    outcomes: list = field(default_factory=list)
    inserted_ts: list = field(default_factory=list)  # ts of new rows (benchmark latency)
    opened_alarm_ts: list = field(default_factory=list)  # ts of readings that opened an alarm


class Reject(Exception):
    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _no_constants(name):
    raise Reject(DeadLetterReason.NOT_FINITE, f"JSON constant {name}")


_INF = (math.inf, -math.inf)
_RANGES = {name: spec[2] for name, spec in METRICS.items()}


def _number(value, key) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, int | float):
        raise Reject(DeadLetterReason.BAD_SHAPE, f"{key}: not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Reject(DeadLetterReason.NOT_FINITE, f"{key}: {value}")
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits (orjson refuses it, json reads it)
        raise Reject(DeadLetterReason.ABSURD_VALUE, f"{key}: {str(value)[:40]}…") from None


_SURROGATES = re.compile("[\ud800-\udfff]")


def _valid_text(value: str) -> str:
    """Lone surrogates (``"\\ud800"`` in JSON) cannot be stored as UTF-8 text or in a PostgreSQL
    ``jsonb``: they become U+FFFD."""
    return value if value.isascii() else _SURROGATES.sub("\ufffd", value)


def parse_body(body: bytes | str, limit: int | None = None):
    limit = limit or iot_setting("MAX_MESSAGE_BYTES")
    if len(body) > limit:
        raise Reject(DeadLetterReason.OVERSIZED, f"{len(body)} bytes > {limit}")
    try:
        return orjson.loads(body)  # strict RFC 8259, ~8x faster than json
    except orjson.JSONDecodeError:
        pass  # let the standard parser say precisely what is wrong (NaN, bad JSON, ...)
    try:
        return json.loads(body, parse_constant=_no_constants)
    except Reject:
        raise
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Reject(DeadLetterReason.BAD_JSON, str(exc)[:200]) from None


def split_envelope(doc, secret: str | None, max_items: int | None = None) -> tuple[list, str | None]:
    """(readings, secret) from ``{...}``, ``[{...}, ...]`` or ``{"secret":..., "readings":[...]}``."""
    if isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        if secret is None:
            secret = doc.get("secret")
        items = doc.get("readings", [doc])
    else:
        raise Reject(DeadLetterReason.BAD_SHAPE, _("报文应为对象或对象数组"))
    if not isinstance(items, list) or not items:
        raise Reject(DeadLetterReason.BAD_SHAPE, _("没有数据"))
    max_items = max_items or iot_setting("MAX_BATCH_READINGS")
    if len(items) > max_items:
        raise Reject(DeadLetterReason.OVERSIZED, f"{len(items)} readings > {max_items}")
    if secret is not None and not isinstance(secret, str):
        raise Reject(DeadLetterReason.BAD_SHAPE, "secret")
    return items, secret


def reading_limits(now_ms: int) -> tuple[int, int, int]:
    """(oldest ts, newest ts, max extra metrics): read once per batch, not per reading."""
    return (
        now_ms - iot_setting("MAX_TS_AGE_DAYS") * 86_400_000,
        now_ms + iot_setting("MAX_TS_FUTURE_SECONDS") * 1000,
        iot_setting("MAX_EXTRA_METRICS"),
    )


_NO_TS = object()


def clean_reading(item, now_ms: int, limits: tuple | None = None) -> tuple[int | None, dict, dict | None]:
    """(ts, standard values, extra values) of one reading, or Reject. ts None: the reading has none."""
    oldest, newest, max_extra = limits or reading_limits(now_ms)
    if not isinstance(item, dict):
        raise Reject(DeadLetterReason.BAD_SHAPE, _("每条数据应为对象"))
    values = item.get("values")
    if not isinstance(values, dict) or not values:
        raise Reject(DeadLetterReason.BAD_SHAPE, _("缺少 values"))
    ts = item.get("ts", _NO_TS)
    if ts is _NO_TS:
        ts = None  # the server assigns a distinct time of receipt (see ingest)
    elif isinstance(ts, bool) or not isinstance(ts, int | float) or (isinstance(ts, float) and not math.isfinite(ts)):
        raise Reject(DeadLetterReason.BAD_TS, f"ts={ts!r}"[:100])
    else:
        ts = int(ts)
        if not oldest <= ts <= newest:
            raise Reject(DeadLetterReason.BAD_TS, f"ts={ts} outside [{oldest}, {newest}]")
    std, extra = {}, None
    for key, value in values.items():
        bounds = _RANGES.get(key)
        if bounds is not None:
            if type(value) is not float or value != value or value in _INF:
                value = _number(value, key)
            if not bounds[0] <= value <= bounds[1]:
                raise Reject(DeadLetterReason.ABSURD_VALUE, f"{key}={value} outside [{bounds[0]}, {bounds[1]}]")
            std[key] = value
        else:
            if not isinstance(key, str) or len(key) > 64 or "\x00" in key or _valid_text(key) != key:
                raise Reject(DeadLetterReason.BAD_SHAPE, _("指标名称无效"))
            if isinstance(value, str):
                value = _valid_text(value[:64].replace("\x00", ""))  # JSON columns cannot hold NUL either
            elif value is not None and not isinstance(value, bool):
                v = _number(value, key)
                if abs(v) > EXTRA_ABS_MAX:
                    raise Reject(DeadLetterReason.ABSURD_VALUE, f"{key}={v}")
            extra = extra or {}
            extra[key] = value
            if len(extra) > max_extra:
                raise Reject(DeadLetterReason.OVERSIZED, _("自定义指标过多"))
    if "arc" in std:
        std["arc"] = 1 if std["arc"] >= 0.5 else 0
    return ts, std, extra


def _text(value, limit: int) -> str:
    """Printable text for a dead letter: PostgreSQL text cannot hold NUL, nor UTF-8 a lone
    surrogate: both become U+FFFD."""
    return _valid_text(str(value)[:limit].replace("\x00", "\ufffd"))


TOPIC_PREFIX = "safeserve/v1/telemetry/"


def dead_letter(*, message: Message, reason: str, detail: str = "") -> DeadLetter:
    """Keep a message refused before it reached the pipeline (e.g. the HTTP door's media type)."""
    letter = dead_row(message, reason, detail)
    letter.save()
    return letter


def dead_row(msg: Message, reason: str, detail: str, code: str | None = None) -> DeadLetter:
    body = msg.body
    if isinstance(body, bytes):
        body = body[: PAYLOAD_KEEP * 4].decode("utf-8", errors="replace")
    return DeadLetter(
        received_at=msg.received_at or timezone.now(),
        source=msg.source,
        device_code=_text(code if code is not None else msg.device_code or msg.topic or "", 64),
        reason=reason,
        detail=_text(detail, 500),
        payload=_text(body, PAYLOAD_KEEP),
    )
