"""``ingest(messages)``: the pipeline behind both doors (HTTP and MQTT).

Validate, dead-letter what is malformed, store the readings in bulk (idempotently), evaluate
thresholds on the rows that were really new, and open, update or clear alarms. It never raises for a bad message; it raises only
when the database itself is unreachable, so that a worker retries instead of acknowledging.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import DeadLetterReason
from ..models import DeadLetter, dt_to_ms, iot_setting
from . import alarm_order
from .devices import DeviceCache, device_cache
from .parsing import (
    TOPIC_PREFIX,
    IngestResult,
    Message,
    MessageOutcome,
    Reject,
    clean_reading,
    dead_row,
    parse_body,
    reading_limits,
    split_envelope,
)
from .storage import insert_readings, reading_row, store_untimed, touch_last_seen
from .thresholds import any_breach

log = logging.getLogger(__name__)


DB_DOWN = (OperationalError, InterfaceError)


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
                    dead_row(msg, DeadLetterReason.INTERNAL, _("处理异常")).save()
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
            dead.append(dead_row(msg, r.reason, r.detail))
        except Exception as exc:
            outcome.rejected.append((DeadLetterReason.BAD_SHAPE, type(exc).__name__))
            dead.append(dead_row(msg, DeadLetterReason.BAD_SHAPE, type(exc).__name__))

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
            dead.append(dead_row(msg, reason, detail))
            continue
        for index, item in enumerate(items):
            try:
                ts, std, extra = clean_reading(item, now_ms, limits)
            except Reject as r:
                detail = f"#{index}: {r.detail}" if len(items) > 1 else r.detail
                outcome.rejected.append((r.reason, detail))
                dead.append(dead_row(msg, r.reason, detail))
                continue
            except Exception:  # a bug: this reading alone is dead-lettered, before any transaction
                log.exception("iot: reading failed validation unexpectedly, dead-lettered")
                outcome.rejected.append((DeadLetterReason.INTERNAL, _("处理异常")))
                dead.append(dead_row(msg, DeadLetterReason.INTERNAL, _("处理异常")))
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
            rows.append(reading_row(info.id, ts, std, extra))

    for info, std, extra, outcome in untimed:  # never a duplicate of another reading
        ts = max(now_ms, auto_next.get(info.id, now_ms))
        while (info.id, ts) in pending:
            ts += 1
        auto_next[info.id] = ts + 1
        auto[(info.id, ts)] = (std, extra)
        pending[(info.id, ts)] = (std, outcome, info)
        rows.append(reading_row(info.id, ts, std, extra))
    breach_ts: dict[int, int] = {}
    for (device_id, ts), (std, _outcome, info) in pending.items():
        if any_breach(std, info.thresholds) and ts > breach_ts.get(device_id, -1):
            breach_ts[device_id] = ts
    with transaction.atomic():
        inserted = set(insert_readings(rows))
        if auto:
            store_untimed(auto, inserted, pending)
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
            touch_last_seen(new_by_device, now)
        alarm_order.mark_breaches(breach_ts)
    # Alarms after the commit, from the committed readings in ts order (ADR 0016). Duplicates count
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
