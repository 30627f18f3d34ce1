"""Every write of the iot capability: the ingestion pipeline, alarm handling, devices, periodic jobs.

``ingest(messages)`` is the one pipeline behind both doors (HTTP and MQTT): validate, dead-letter
what is malformed, store the readings in bulk (idempotently), evaluate thresholds on the rows that
were really new, and open, update or clear alarms. It never raises for a bad message; it raises only
when the database itself is unreachable, so that a worker retries instead of acknowledging.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import orjson
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import actions as core_actions
from safeserve.core.audit import AuditAction, diff, record, snapshot
from safeserve.notifications.models import Level

from . import alarm_order
from .choices import (
    AMPS,
    DEFAULT_SEVERITY,
    METRIC_NAMES,
    METRICS,
    TEMPS,
    VOLTS,
    AlarmState,
    AlarmType,
    DeadLetterReason,
    Severity,
    Source,
)
from .models import (
    ROLLUP_FIELDS,
    Alarm,
    DeadLetter,
    Device,
    DeviceProfile,
    Reading,
    ReadingHour,
    dt_to_ms,
    iot_setting,
    ms_to_dt,
    offline_after,
)

log = logging.getLogger(__name__)

PAYLOAD_KEEP = 2000  # characters of a refused payload kept in the dead-letter list
EXTRA_ABS_MAX = 1e12
DB_DOWN = (OperationalError, InterfaceError)


# ----------------------------------------------------------------------------- device secrets


def hash_secret(secret: str) -> str:
    """SHA-256 of a 256-bit random secret. High entropy makes a slow KDF unnecessary (see ADR 0006)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# ----------------------------------------------------------------------------- device cache


@dataclass
class DeviceInfo:
    id: int
    code: str
    enterprise_id: int
    town_id: int
    secret_hash: str
    is_active: bool
    thresholds: dict
    last_seen_at: Any = None


class DeviceCache:
    """Devices by code, per process. Changed devices and profiles are re-read every few seconds.

    A secret is hashed once per device and the verified value remembered; rotating a secret
    changes ``updated_at``, which drops the entry at the next refresh (immediately in this process).
    """

    def __init__(self):
        self.clear()

    def clear(self):
        self._by_code: dict[str, DeviceInfo] = {}
        self._verified: dict[str, str] = {}
        self._missing: dict[str, float] = {}
        self._checked = time.monotonic()
        self._since = timezone.now()
        self._count = 0

    def invalidate(self, code: str):
        self._by_code.pop(code, None)
        self._verified.pop(code, None)
        self._missing.pop(code, None)

    def _refresh(self):
        now_mono = time.monotonic()
        if now_mono - self._checked < iot_setting("DEVICE_CACHE_SECONDS"):
            return
        since = self._since - timedelta(seconds=2)
        self._checked, self._since = now_mono, timezone.now()
        count = Device.objects.count()
        if DeviceProfile.objects.filter(updated_at__gte=since).exists() or count < self._count:
            self._by_code.clear()  # a profile changed or a device was deleted: start afresh
            self._verified.clear()
        else:
            changed = dict(Device.objects.filter(updated_at__gte=since).values_list("pk", "code"))
            for code in [c for c, info in self._by_code.items() if info.id in changed] + list(changed.values()):
                self.invalidate(code)  # by id too: a device whose code changed drops its old code
        self._count = count
        self._missing = {c: t for c, t in self._missing.items() if t > now_mono}

    def get_many(self, codes) -> dict[str, DeviceInfo]:
        self._refresh()
        now_mono = time.monotonic()
        wanted = {c for c in codes if c and c not in self._by_code and self._missing.get(c, 0) <= now_mono}
        if wanted:
            found = Device.objects.filter(code__in=wanted).select_related("profile", "enterprise")
            for d in found:
                self._by_code[d.code] = DeviceInfo(
                    id=d.pk,
                    code=d.code,
                    enterprise_id=d.enterprise_id,
                    town_id=d.enterprise.town_id,
                    secret_hash=d.secret_hash,
                    is_active=d.is_active,
                    thresholds=d.thresholds(),
                    last_seen_at=d.last_seen_at,
                )
            for c in wanted - {d.code for d in found}:
                self._missing[c] = now_mono + iot_setting("DEVICE_CACHE_SECONDS")
        return {c: self._by_code[c] for c in codes if c in self._by_code}

    def verify(self, info: DeviceInfo, secret: str) -> bool:
        if not secret.isascii():  # our secrets are URL-safe base64; compare_digest refuses non-ASCII str
            return False
        known = self._verified.get(info.code)
        if known is not None and hmac.compare_digest(known, secret):
            return True
        if hmac.compare_digest(hash_secret(secret), info.secret_hash):
            self._verified[info.code] = secret
            return True
        return False


device_cache = DeviceCache()


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
    letter = _dead(message, reason, detail)
    letter.save()
    return letter


def _dead(msg: Message, reason: str, detail: str, code: str | None = None) -> DeadLetter:
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


# ----------------------------------------------------------------------------- thresholds


def evaluate(values: dict, th: dict) -> list[tuple[str, bool, float, float]]:
    """(alarm type, breached, value, threshold) for every condition the reading says something about."""
    out = []
    v = values.get("residual_ma")
    if v is not None:
        out.append((AlarmType.RESIDUAL, v >= th["residual_ma"], v, th["residual_ma"]))
    temps = [values[k] for k in TEMPS if k in values]
    if temps:
        v = max(temps)
        out.append((AlarmType.TEMPERATURE, v >= th["temperature_c"], v, th["temperature_c"]))
    volts = [values[k] for k in VOLTS if k in values]
    if volts:
        hi, lo = max(volts), min(volts)
        out.append((AlarmType.OVER_VOLTAGE, hi > th["over_voltage_v"], hi, th["over_voltage_v"]))
        out.append((AlarmType.UNDER_VOLTAGE, lo < th["under_voltage_v"], lo, th["under_voltage_v"]))
    amps = [values[k] for k in AMPS if k in values]
    if amps:
        v = max(amps)
        out.append((AlarmType.OVER_CURRENT, v > th["over_current_a"], v, th["over_current_a"]))
    if th["arc"] and values.get("arc") is not None:
        out.append((AlarmType.ARC, values["arc"] >= 1, float(values["arc"]), 1.0))
    return out


def any_breach(values: dict, th: dict) -> bool:
    """Whether ``evaluate`` would report any condition as breached, without building its list."""
    get = values.get
    v = get("residual_ma")
    if v is not None and v >= th["residual_ma"]:
        return True
    limit = th["temperature_c"]
    for k in TEMPS:
        v = get(k)
        if v is not None and v >= limit:
            return True
    high, low = th["over_voltage_v"], th["under_voltage_v"]
    for k in VOLTS:
        v = get(k)
        if v is not None and (v > high or v < low):
            return True
    limit = th["over_current_a"]
    for k in AMPS:
        v = get(k)
        if v is not None and v > limit:
            return True
    v = get("arc")
    return bool(th["arc"] and v is not None and v >= 1)


def _peak(kind, a, b):
    return min(a, b) if kind == AlarmType.UNDER_VOLTAGE else max(a, b)


@dataclass
class Track:
    """What one batch does to the alarm of one (device, type)."""

    device: DeviceInfo
    type: str
    alarm_id: int | None  # an alarm active at the start of the batch, or None for a new one
    threshold: float
    streak: int = 0
    count_inc: int = 0
    first_value: float | None = None
    last_value: float | None = None
    peak_value: float | None = None
    started_ts: int | None = None
    last_ts: int | None = None
    cleared: bool = False
    touched: bool = False


# ----------------------------------------------------------------------------- the pipeline

INSERT_COLUMNS = ("device_id", "ts", *METRIC_NAMES, "extra")


def _insert_readings(rows: list[tuple]) -> list[tuple[int, int]]:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING: only the rows that were really new come back."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _insert_readings_pg(rows)
    table = Reading._meta.db_table
    cols = ", ".join(INSERT_COLUMNS)
    one = "(" + ", ".join(["?"] * len(INSERT_COLUMNS)) + ")"
    inserted = []
    chunk = 100  # 1,500 parameters per statement: the fastest of 30 to 500 rows in a measurement
    connection.ensure_connection()
    # The sqlite3 cursor itself, with "?" placeholders: Django's wrapper would rewrite every "%s" of
    # the 30 KB statement with a regular expression on each execute.
    cur = connection.connection.cursor()
    try:
        for i in range(0, len(rows), chunk):
            part = rows[i : i + chunk]
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(part))} ON CONFLICT DO NOTHING RETURNING device_id, ts"  # noqa: S608 - identifiers are ours, values are parameters
            cur.execute(sql, [v for row in part for v in row])
            inserted.extend(cur.fetchall())
    finally:
        cur.close()
    return inserted


_PG_COLUMN_TYPES = ("bigint", "bigint", *("float8" for _m in METRIC_NAMES[:-1]), "smallint", "text")


def _insert_readings_pg(rows: list[tuple]) -> list[tuple[int, int]]:
    """PostgreSQL: one statement per batch with one array parameter per column (unnest).

    Thousands of ``(%s, %s, ...)`` groups cost more to build and parse than to insert; 15 arrays
    are bound in binary and parsed once.
    """
    import psycopg

    table = Reading._meta.db_table
    names = ", ".join(INSERT_COLUMNS)
    unnest = ", ".join(f"%b::{t}[]" for t in _PG_COLUMN_TYPES)
    select = ", ".join([*INSERT_COLUMNS[:-1], "extra::jsonb"])
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {select} FROM unnest({unnest}) AS u({names}) "  # noqa: S608 - identifiers are ours
        "ON CONFLICT DO NOTHING RETURNING device_id, ts"
    )
    connection.ensure_connection()
    # Django's cursors bind client-side (values spelled into the SQL text); this one binds on the
    # server, in binary: the arrays are not escaped and quoted value by value.
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(sql, [list(c) for c in zip(*rows, strict=True)])
        return cur.fetchall()


def ingest(messages: list[Message], *, cache: DeviceCache | None = None) -> IngestResult:
    """Run one batch of messages through the pipeline in one transaction.

    Bad input is refused message by message before the transaction. A message that still makes
    the pipeline fail (a bug) is isolated by halving the batch, and dead-lettered as ``internal``.
    Only a database outage raises.
    """
    cache = cache or device_cache
    try:
        return _ingest_batch(messages, cache)
    except DB_DOWN:
        raise
    except Exception:
        if len(messages) == 1:
            log.exception("iot: message failed, dead-lettered")
            msg = messages[0]
            result = IngestResult(messages=1, dead=1)
            try:
                with transaction.atomic():
                    _dead(msg, DeadLetterReason.INTERNAL, _("处理异常")).save()
            except DB_DOWN:
                raise
            except Exception:
                log.exception("iot: could not dead-letter a message from %r", msg.device_code[:64])
            result.outcomes.append(MessageOutcome(rejected=[(DeadLetterReason.INTERNAL, _("处理异常"))]))
            return result
        # Validation happens before the transaction, so this is a bug or a row the database refuses:
        # halve the batch until the message that fails stands alone (k bad messages cost about
        # 2k·log2(n) transactions, not n).
        log.warning("iot: a batch of %d messages failed; splitting it", len(messages))
        total = IngestResult()
        half = len(messages) // 2
        for part in (messages[:half], messages[half:]):
            _merge(total, ingest(part, cache=cache))
        return total


def _merge(total: IngestResult, part: IngestResult):
    for name in ("messages", "readings", "stored", "duplicates", "dead", "alarms_opened", "alarms_updated"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    total.alarms_cleared += part.alarms_cleared
    total.outcomes.extend(part.outcomes)
    total.inserted_ts.extend(part.inserted_ts)
    total.opened_alarm_ts.extend(part.opened_alarm_ts)


def _ingest_batch(messages: list[Message], cache: DeviceCache) -> IngestResult:
    now = timezone.now()
    now_ms = dt_to_ms(now)
    result = IngestResult(messages=len(messages))
    dead: list[DeadLetter] = []
    parsed = []  # (msg, outcome, items, secret)
    max_bytes, max_items = iot_setting("MAX_MESSAGE_BYTES"), iot_setting("MAX_BATCH_READINGS")
    for msg in messages:
        outcome = MessageOutcome()
        result.outcomes.append(outcome)
        msg.received_at = msg.received_at or now
        try:
            if msg.topic is not None and (not msg.device_code or "/" in msg.device_code):
                raise Reject(DeadLetterReason.BAD_TOPIC, _("主题应为 %(t)s{设备编码}") % {"t": TOPIC_PREFIX})
            items, secret = split_envelope(parse_body(msg.body, max_bytes), msg.secret, max_items)
            parsed.append((msg, outcome, items, secret))
        except Reject as r:
            outcome.rejected.append((r.reason, r.detail))
            dead.append(_dead(msg, r.reason, r.detail))
        except Exception as exc:
            outcome.rejected.append((DeadLetterReason.BAD_SHAPE, type(exc).__name__))
            dead.append(_dead(msg, DeadLetterReason.BAD_SHAPE, type(exc).__name__))

    devices = cache.get_many({m.device_code for m, *_rest in parsed})
    limits = reading_limits(now_ms)
    rows: list[tuple] = []
    pending: dict[tuple[int, int], tuple] = {}  # (device id, ts) -> (values, outcome)
    auto: dict[tuple[int, int], tuple] = {}  # readings sent without ts: (device id, assigned ts) -> (std, extra)
    auto_next: dict[int, int] = {}
    untimed: list[tuple] = []
    for msg, outcome, items, secret in parsed:
        info = devices.get(msg.device_code)
        if info is None:
            reason, detail = DeadLetterReason.UNKNOWN_DEVICE, msg.device_code[:64]
        elif not secret or not cache.verify(info, secret):
            reason, detail = DeadLetterReason.BAD_SECRET, ""
        elif not info.is_active:
            reason, detail = DeadLetterReason.DISABLED, ""
        else:
            reason = None
        if reason:
            outcome.rejected.append((reason, detail))
            dead.append(_dead(msg, reason, detail))
            continue
        for index, item in enumerate(items):
            try:
                ts, std, extra = clean_reading(item, now_ms, limits)
            except Reject as r:
                detail = f"#{index}: {r.detail}" if len(items) > 1 else r.detail
                outcome.rejected.append((r.reason, detail))
                dead.append(_dead(msg, r.reason, detail))
                continue
            except Exception:  # a bug: this reading alone is dead-lettered, before any transaction
                log.exception("iot: reading failed validation unexpectedly, dead-lettered")
                outcome.rejected.append((DeadLetterReason.INTERNAL, _("处理异常")))
                dead.append(_dead(msg, DeadLetterReason.INTERNAL, _("处理异常")))
                continue
            result.readings += 1
            if ts is None:  # no ts: a distinct server time once the sent ones are known (below)
                untimed.append((info, std, extra, outcome))
                continue
            key = (info.id, ts)
            if key in pending:
                outcome.duplicates += 1
                continue
            pending[key] = (std, outcome, info)
            rows.append(_row(info.id, ts, std, extra))

    for info, std, extra, outcome in untimed:  # never a duplicate of another reading
        ts = max(now_ms, auto_next.get(info.id, now_ms))
        while (info.id, ts) in pending:
            ts += 1
        auto_next[info.id] = ts + 1
        auto[(info.id, ts)] = (std, extra)
        pending[(info.id, ts)] = (std, outcome, info)
        rows.append(_row(info.id, ts, std, extra))
    breach_ts: dict[int, int] = {}
    for (device_id, ts), (std, _outcome, info) in pending.items():
        if any_breach(std, info.thresholds) and ts > breach_ts.get(device_id, -1):
            breach_ts[device_id] = ts
    with transaction.atomic():
        inserted = set(_insert_readings(rows))
        if auto:
            _store_untimed(auto, inserted, pending)
        new_by_device: dict[int, list] = defaultdict(list)
        for key, (std, outcome, info) in pending.items():
            if key in inserted:
                outcome.stored += 1
                new_by_device[key[0]].append((key[1], std, info))
            else:
                outcome.duplicates += 1
        result.stored = len(inserted)
        result.duplicates = result.readings - result.stored
        result.inserted_ts = [ts for _d, ts in inserted]
        if dead:
            DeadLetter.objects.bulk_create(dead)
            result.dead = len(dead)
        if new_by_device:
            _touch_last_seen(new_by_device, now)
        alarm_order.mark_breaches(breach_ts)
    # Alarms after the commit, from the committed readings in ts order (ADR 0010). Duplicates count
    # too: a batch redelivered after a crash between the two steps is evaluated then.
    batch: dict[int, list] = {}
    for (device_id, ts), (_std, _outcome, info) in pending.items():
        entry = batch.get(device_id)
        if entry is None:
            batch[device_id] = [info, ts, device_id in new_by_device]
        elif ts < entry[1]:
            entry[1] = ts
    alarm_order.evaluate_devices(batch, set(breach_ts), now, result)
    return result


def _row(device_id: int, ts: int, std: dict, extra) -> tuple:
    return (device_id, ts, *map(std.get, METRIC_NAMES), json.dumps(extra) if extra is not None else None)


def _store_untimed(auto: dict, inserted: set, pending: dict) -> None:
    """Readings sent without ts whose assigned time met a stored reading: the next free millisecond.

    They have no identity of their own, so none of them may be dropped as a duplicate.
    """
    for _round in range(20):
        missed = [key for key in auto if key not in inserted]
        if not missed:
            return
        rows = []
        for device_id, ts in missed:
            std, extra = auto.pop((device_id, ts))
            entry = pending.pop((device_id, ts))
            new_ts = ts + 1
            while (device_id, new_ts) in pending:
                new_ts += 1
            pending[(device_id, new_ts)] = entry
            auto[(device_id, new_ts)] = (std, extra)
            rows.append(_row(device_id, new_ts, std, extra))
        inserted.update(_insert_readings(rows))


def _touch_last_seen(new_by_device, now):
    resolution = timedelta(seconds=iot_setting("LAST_SEEN_RESOLUTION_SECONDS"))
    stale = []
    for readings in new_by_device.values():
        info = readings[0][2]
        if info.last_seen_at is None or now - info.last_seen_at >= resolution:
            stale.append(info.id)
            info.last_seen_at = now
    if stale:
        in_ids, params = _id_list("id", stale)
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {Device._meta.db_table} SET last_seen_at = %s "  # noqa: S608 - identifiers are ours
                f"WHERE (last_seen_at < %s OR last_seen_at IS NULL) AND {in_ids}",
                [now, now, *params],
            )


def _id_list(column: str, ids) -> tuple[str, list]:
    """``column IN ids`` as one parameter (an array or a JSON list), not thousands of placeholders."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]  # noqa: S608 - column is ours


def _active_alarms(device_ids) -> dict[tuple[int, str], tuple[int, int]]:
    """{(device id, type): (alarm id, normal streak)} of the active alarms of these devices."""
    in_ids, params = _id_list("device_id", device_ids)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, device_id, type, normal_streak FROM {Alarm._meta.db_table} "  # noqa: S608 - identifiers are ours
            f"WHERE active = %s AND {in_ids}",
            [True, *params],
        )
        return {(device_id, kind): (pk, streak) for pk, device_id, kind, streak in cur.fetchall()}


def _update_alarm(t: Track, now) -> bool:
    changes: dict[str, Any] = {"normal_streak": t.streak}
    if t.count_inc:
        changes.update(
            count=F("count") + t.count_inc,
            last_value=t.last_value,
            last_ts=Greatest(F("last_ts"), Value(t.last_ts)),
            peak_value=(Least if t.type == AlarmType.UNDER_VOLTAGE else Greatest)(F("peak_value"), Value(t.peak_value)),
        )
    if t.cleared:
        changes.update(
            active=False,
            cleared_at=now,
            state=Case(
                When(acknowledged_at__isnull=True, then=Value(AlarmState.CLEARED_UNACK)),
                default=Value(AlarmState.CLEARED_ACK),
            ),
        )
    n = Alarm.objects.filter(pk=t.alarm_id, active=True).update(**changes)
    if n and t.cleared:
        alarm = Alarm.objects.get(pk=t.alarm_id)
        record(actor=None, action=AuditAction.TRANSITION, instance=alarm, changes={}, note=_("读数恢复正常,自动清除"))
    return bool(n)


def _open_alarm(t: Track, now, recipients_cache: dict | None = None) -> Alarm | None:
    """Insert a new active alarm; if another worker got there first, update that one instead."""
    info = t.device
    alarm = Alarm(
        device_id=info.id,
        enterprise_id=info.enterprise_id,
        type=t.type,
        severity=DEFAULT_SEVERITY[t.type],
        threshold=t.threshold,
        first_value=t.first_value,
        last_value=t.last_value,
        peak_value=t.peak_value,
        count=t.count_inc,
        normal_streak=t.streak,
        started_ts=t.started_ts,
        last_ts=t.last_ts,
        raised_at=now,
    )
    if t.cleared:
        alarm.active, alarm.state, alarm.cleared_at = False, AlarmState.CLEARED_UNACK, now
    try:
        with transaction.atomic():
            alarm.save()
    except IntegrityError:
        existing = Alarm.objects.select_for_update().filter(device_id=info.id, type=t.type, active=True).first()
        if existing is None:  # pragma: no cover - the other one was cleared in between; try once more
            with transaction.atomic():
                alarm.save()
        else:
            t.alarm_id = existing.pk
            _update_alarm(t, now)
            return None
    record(actor=None, action=AuditAction.CREATE, instance=alarm, changes={}, note=_("设备读数触发"))
    _notify_new_alarm(alarm, info, recipients_cache)
    return alarm


def _clear_alarms(ids, now):
    Alarm.objects.filter(pk__in=ids, active=True).update(
        active=False,
        cleared_at=now,
        state=Case(
            When(acknowledged_at__isnull=True, then=Value(AlarmState.CLEARED_UNACK)),
            default=Value(AlarmState.CLEARED_ACK),
        ),
    )


# ----------------------------------------------------------------------------- notifications


def alarm_recipients(enterprise_id: int, step: int):
    """Step 0: the enterprise and its contracted agency; 1: the town office; 2: the county."""
    from safeserve.notifications.queries import agency_users, county_officers, enterprise_users, town_officers
    from safeserve.registry.models import Enterprise

    if step == 0:
        users = list(enterprise_users(enterprise_id))
        for agency_id in agencies_of(enterprise_id):
            users += list(agency_users(agency_id))
        return users
    if step == 1:
        return list(town_officers(Enterprise.objects.values_list("town_id", flat=True).get(pk=enterprise_id)))
    return list(county_officers())


def agencies_of(enterprise_id) -> list[int]:
    """Agencies serving an enterprise under a contract in force today: they hear of its alarms."""
    from safeserve.services.queries import agencies_in_force_for

    return agencies_in_force_for(enterprise_id)


def _alarm_text(alarm: Alarm, device_code: str) -> tuple[str, str]:
    title = _("【%(sev)s】%(type)s:设备 %(code)s") % {
        "sev": alarm.get_severity_display(),
        "type": alarm.get_type_display(),
        "code": device_code,
    }
    body = _("数值 %(v)s(阈值 %(th)s),首次 %(t)s") % {
        "v": alarm.last_value,
        "th": alarm.threshold,
        "t": timezone.localtime(ms_to_dt(alarm.started_ts)).strftime("%Y-%m-%d %H:%M:%S"),
    }
    return title, body


def _notify_new_alarm(alarm: Alarm, info: DeviceInfo, recipients_cache: dict | None = None):
    """``recipients_cache``: one batch's {enterprise id: recipients} (one transaction, so the same
    answer), sparing 2-3 queries per alarm when a storm opens many alarms of one enterprise."""
    from safeserve.notifications.actions import notify

    title, body = _alarm_text(alarm, info.code)
    cache = recipients_cache if recipients_cache is not None else {}
    if info.enterprise_id not in cache:
        cache[info.enterprise_id] = alarm_recipients(info.enterprise_id, 0)
    notify(
        recipients=cache[info.enterprise_id],
        kind="iot_alarm",
        title=title,
        body=body,
        link=reverse("iot:alarm_page", args=[alarm.pk]),
        level=Level.URGENT if alarm.severity == Severity.CRITICAL else Level.WARNING,
        dedup_key=f"alarm:{alarm.pk}:step:0",
    )


# ----------------------------------------------------------------------------- periodic jobs


def escalate_alarms(*, now=None) -> int:
    """Critical alarms still unacknowledged: step 1 to the town office, step 2 to the county.

    Idempotent: the step is stored on the alarm and the notification carries a per-step dedup key.
    """
    from safeserve.notifications.actions import notify

    now = now or timezone.now()
    steps = [
        (1, timedelta(minutes=iot_setting("ESCALATE_CRITICAL_MINUTES"))),
        (2, timedelta(minutes=iot_setting("ESCALATE_COUNTY_MINUTES"))),
    ]
    sent = 0
    for step, after in steps:
        due = Alarm.objects.filter(
            active=True,
            severity=Severity.CRITICAL,
            acknowledged_at__isnull=True,
            escalation_step__lt=step,
            raised_at__lte=now - after,
        ).select_related("device")
        for alarm in due:
            with transaction.atomic():
                n = Alarm.objects.filter(pk=alarm.pk, escalation_step__lt=step).update(escalation_step=step)
                if not n:
                    continue
                title, body = _alarm_text(alarm, alarm.device.code)
                minutes = int(after.total_seconds() // 60)
                notify(
                    recipients=alarm_recipients(alarm.enterprise_id, step),
                    kind="iot_alarm_escalation",
                    title=_("[升级]") + title,
                    body=body + _(";超过 %(m)s 分钟未确认") % {"m": minutes},
                    link=reverse("iot:alarm_page", args=[alarm.pk]),
                    level=Level.URGENT,
                    dedup_key=f"alarm:{alarm.pk}:step:{step}",
                )
                record(
                    actor=None,
                    action=AuditAction.TRANSITION,
                    instance=alarm,
                    changes={"escalation_step": [step - 1, step]},
                    note=_("超时未确认,升级通知"),
                )
                sent += 1
    return sent


def detect_offline(*, now=None) -> int:
    """Open an offline alarm for each active device silent for more than N reporting intervals
    (plus the resolution of ``last_seen_at``: see ``models.offline_after``)."""
    now = now or timezone.now()
    opened = 0
    already = set(Alarm.objects.filter(active=True, type=AlarmType.OFFLINE).values_list("device_id", flat=True))
    candidates = (
        Device.objects.filter(is_active=True, last_seen_at__isnull=False)
        .exclude(pk__in=already)
        .select_related("profile", "enterprise")
    )
    for d in candidates.iterator(chunk_size=1000):
        limit = offline_after(d.profile.offline_intervals, d.interval_s)
        if now - d.last_seen_at <= limit:
            continue
        info = DeviceInfo(d.pk, d.code, d.enterprise_id, d.enterprise.town_id, "", True, d.thresholds())
        silent = int((now - d.last_seen_at).total_seconds())
        t = Track(device=info, type=AlarmType.OFFLINE, alarm_id=None, threshold=limit.total_seconds())
        t.first_value = t.last_value = t.peak_value = float(silent)
        t.started_ts = t.last_ts = dt_to_ms(now)
        t.count_inc = 1
        with transaction.atomic():
            if _open_alarm(t, now) is not None:
                opened += 1
    return opened


def rollup_readings(*, since_ms: int | None = None, until_ms: int | None = None, device_ids=None) -> int:
    """(Re)compute the hourly rollup of the hours that have readings in [since, until). Idempotent.

    Works through the devices 500 at a time, so that every query walks the (device, ts) primary key
    of those devices inside the window instead of scanning the whole table (there is no index on
    ``ts`` alone: it would slow every insert), and memory holds one chunk's hours at a time.
    """
    from django.db.models import Avg, Count, Max, Min

    now_ms = dt_to_ms(timezone.now())
    until_ms = until_ms or now_ms
    since_ms = since_ms if since_ms is not None else now_ms - 2 * 3_600_000
    first_hour = since_ms // 3_600_000
    aggs = {"n": Count("ts")}
    fn = {"avg": Avg, "max": Max, "min": Min}
    for name, metric, agg in ROLLUP_FIELDS:
        aggs[name] = fn[agg](metric)
    if device_ids is None:
        device_ids = Device.objects.order_by("pk").values_list("pk", flat=True)
    device_ids = list(device_ids)
    total = 0
    for i in range(0, len(device_ids), 500):
        rows = (
            Reading.objects.filter(
                device_id__in=device_ids[i : i + 500], ts__gte=first_hour * 3_600_000, ts__lt=until_ms
            )
            .annotate(hour_n=F("ts") / 3_600_000)
            .values("device_id", "hour_n")
            .annotate(**aggs)
            .order_by()
        )
        objs = [ReadingHour(device_id=r["device_id"], hour=r["hour_n"], **{k: r[k] for k in aggs}) for r in rows]
        ReadingHour.objects.bulk_create(
            objs,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["device", "hour"],
            update_fields=list(aggs),
        )
        total += len(objs)
    return total


# ----------------------------------------------------------------------------- devices (people)


def _check_perm(actor, perm):
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("您没有该操作的权限"))


def device_create(*, actor, data: dict) -> tuple[Device, str]:
    """Register a device. Returns (device, secret): the secret is shown once and never stored in clear."""
    secret = new_secret()
    data = dict(data)
    system_fields = ["secret_hash"]
    if not data.get("profile"):
        data["profile"] = default_profile()
        system_fields.append("profile")  # the default, not the actor's choice
    with transaction.atomic():
        device = core_actions.create_record(
            actor=actor, model=Device, data={**data, "secret_hash": hash_secret(secret)}, system_fields=system_fields
        )
        device_cache.invalidate(device.code)
    return device, secret


def device_rotate_secret(*, actor, device: Device) -> str:
    secret = new_secret()
    with transaction.atomic():
        fresh = Device.objects.visible_to(actor, "change").select_for_update().filter(pk=device.pk).first()
        if fresh is None:
            raise PermissionDenied(_("该记录超出您的数据权限范围"))
        fresh.secret_hash = hash_secret(secret)
        fresh.secret_rotated_at = timezone.now()
        fresh.full_clean()
        fresh.save(update_fields=["secret_hash", "secret_rotated_at", "updated_at"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=fresh,
            changes={"secret": ["***", "***"]},
            note=_("更换设备密钥"),
        )
    device_cache.invalidate(fresh.code)
    return secret


def default_profile() -> DeviceProfile:
    profile = DeviceProfile.objects.filter(is_default=True).first()
    if profile is None:
        profile, _created = DeviceProfile.objects.get_or_create(
            name=_("标准电气火灾监控"), defaults={"is_default": True}
        )
    return profile


# ----------------------------------------------------------------------------- alarm handling (处置)

HANDLERS = frozenset({Role.COUNTY, Role.TOWN, Role.ENTERPRISE, Role.AGENCY})

# The state machine as data: action -> (allowed when, roles). Enforced here, tested from this table.
TRANSITIONS = {
    "acknowledge": ("unacknowledged", HANDLERS),
    "assign": ("open", HANDLERS),
    "record": ("open", HANDLERS),
    "close": ("open", HANDLERS),
}


def _allowed(alarm: Alarm, action: str) -> bool:
    when, _roles = TRANSITIONS[action]
    if alarm.closed_at is not None:
        return False
    if when == "unacknowledged":
        return alarm.acknowledged_at is None
    return True


def allowed_actions(user, alarm: Alarm) -> list[str]:
    if not (user.is_superuser or user.role in HANDLERS) or not user.has_perm("iot.change_alarm"):
        return []
    return [a for a in TRANSITIONS if _allowed(alarm, a) and (user.is_superuser or user.role in TRANSITIONS[a][1])]


def _locked(actor, alarm: Alarm, action: str) -> Alarm:
    _check_perm(actor, "iot.change_alarm")
    fresh = Alarm.objects.visible_to(actor, "change").select_for_update().filter(pk=alarm.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if action not in allowed_actions(actor, fresh):
        raise ValidationError(_("当前状态下不能执行该操作"))
    return fresh


def _save_transition(actor, fresh: Alarm, before: dict, note: str) -> Alarm:
    fresh.full_clean()
    fresh.save()
    record(actor=actor, action=AuditAction.TRANSITION, instance=fresh, changes=diff(before, snapshot(fresh)), note=note)
    return fresh


def _seconds_since_raised(alarm: Alarm, now) -> int:
    return max(0, int((now - alarm.raised_at).total_seconds()))


@transaction.atomic
def alarm_acknowledge(*, actor, alarm: Alarm) -> Alarm:
    fresh = _locked(actor, alarm, "acknowledge")
    before = snapshot(fresh)
    now = timezone.now()
    fresh.acknowledged_at, fresh.acknowledged_by = now, actor
    fresh.ack_seconds = _seconds_since_raised(fresh, now)
    fresh.state = AlarmState.ACTIVE_ACK if fresh.active else AlarmState.CLEARED_ACK
    return _save_transition(actor, fresh, before, _("确认报警"))


@transaction.atomic
def alarm_assign(*, actor, alarm: Alarm, assignee) -> Alarm:
    fresh = _locked(actor, alarm, "assign")
    if assignee is None or not Alarm.objects.visible_to(assignee, "change").filter(pk=fresh.pk).exists():
        raise ValidationError({"assignee": _("处置人无权处理该报警")})
    before = snapshot(fresh)
    fresh.assignee, fresh.assigned_at = assignee, timezone.now()
    return _save_transition(actor, fresh, before, _("指派处置人"))


@transaction.atomic
def alarm_record(*, actor, alarm: Alarm, measures: str, result: str = "") -> Alarm:
    fresh = _locked(actor, alarm, "record")
    before = snapshot(fresh)
    fresh.measures, fresh.result = measures.strip(), result.strip()
    return _save_transition(actor, fresh, before, _("记录处置措施"))


@transaction.atomic
def alarm_close(*, actor, alarm: Alarm, measures: str, result: str) -> Alarm:
    """Close after handling: measures and result are required; an active alarm is cleared by hand."""
    fresh = _locked(actor, alarm, "close")
    measures, result = (measures or "").strip(), (result or "").strip()
    errors = {}
    if not measures:
        errors["measures"] = _("关闭报警须填写处置措施")
    if not result:
        errors["result"] = _("关闭报警须填写处置结果")
    if errors:
        raise ValidationError(errors)
    before = snapshot(fresh)
    now = timezone.now()
    fresh.measures, fresh.result = measures, result
    if fresh.acknowledged_at is None:
        fresh.acknowledged_at, fresh.acknowledged_by = now, actor
        fresh.ack_seconds = _seconds_since_raised(fresh, now)
    if fresh.active:
        fresh.active, fresh.cleared_at = False, now
    fresh.state = AlarmState.CLEARED_ACK
    fresh.closed_at, fresh.closed_by = now, actor
    fresh.close_seconds = _seconds_since_raised(fresh, now)
    return _save_transition(actor, fresh, before, _("处置完成,关闭报警"))


@transaction.atomic
def alarm_to_hazard(*, actor, alarm: Alarm, responsible_person: str = "", deadline=None):
    """Turn a (repeated) alarm into a 一般 hazard of its enterprise in one step.

    The hazard enters the hidden-hazard closed loop (rectify, accept, close); the alarm keeps a link
    to it so the same alarm cannot become two hazards. Officers can raise it to 重大 on the hazard.
    """
    from safeserve.hazards.actions import hazard_report
    from safeserve.hazards.choices import HazardSource

    _check_perm(actor, "iot.change_alarm")
    fresh = Alarm.objects.visible_to(actor, "change").select_for_update(of=("self",)).filter(pk=alarm.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    if fresh.hazard_id:
        raise ValidationError(_("该报警已转为隐患"))
    device = fresh.device
    enterprise = fresh.enterprise
    since = timezone.now() - timedelta(days=30)
    repeats = Alarm.objects.filter(device=device, type=fresh.type, raised_at__gte=since).count()
    description = _(
        "智慧用电监测:%(type)s报警,本次累计 %(count)d 次(近30天同类报警 %(repeats)d 起),"
        "峰值 %(peak)s,阈值 %(threshold)s。设备 %(code)s,位置 %(place)s,回路 %(circuit)s。"
    ) % {
        "type": fresh.get_type_display(),
        "count": fresh.count,
        "repeats": repeats,
        "peak": "—" if fresh.peak_value is None else f"{fresh.peak_value:g}",
        "threshold": "—" if fresh.threshold is None else f"{fresh.threshold:g}",
        "code": device.code,
        "place": device.place,
        "circuit": device.circuit,
    }
    hazard = hazard_report(
        actor=actor,
        enterprise=enterprise,
        location=f"{device.place} {device.circuit}".strip()[:200],
        description=description,
        responsible_person=(responsible_person or enterprise.safety_manager or enterprise.legal_representative),
        source=HazardSource.IOT,
        deadline=deadline,
        note=_("由用电报警 #%(pk)d 转入") % {"pk": fresh.pk},
    )
    before = snapshot(fresh)
    fresh.hazard = hazard
    _save_transition(actor, fresh, before, _("转为隐患"))
    return hazard
