"""The SQL that stores readings in bulk (idempotently) and touches ``last_seen_at``."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection

from ..choices import METRIC_NAMES
from ..models import Device, Reading, iot_setting

INSERT_COLUMNS = ("device_id", "ts", *METRIC_NAMES, "extra")


def insert_readings(rows: list[tuple]) -> list[tuple[int, int]]:
    """INSERT .. ON CONFLICT DO NOTHING RETURNING: only the rows that were really new come back."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return insert_readings_pg(rows)
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


def insert_readings_pg(rows: list[tuple]) -> list[tuple[int, int]]:
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


def reading_row(device_id: int, ts: int, std: dict, extra) -> tuple:
    return (device_id, ts, *map(std.get, METRIC_NAMES), json.dumps(extra) if extra is not None else None)


def store_untimed(auto: dict, inserted: set, pending: dict) -> None:
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
            rows.append(reading_row(device_id, new_ts, std, extra))
        inserted.update(insert_readings(rows))


def touch_last_seen(new_by_device, now):
    resolution = timedelta(seconds=iot_setting("LAST_SEEN_RESOLUTION_SECONDS"))
    stale = []
    for readings in new_by_device.values():
        info = readings[0][2]
        if info.last_seen_at is None or now - info.last_seen_at >= resolution:
            stale.append(info.id)
            info.last_seen_at = now
    if stale:
        in_ids, params = id_list("id", stale)
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {Device._meta.db_table} SET last_seen_at = %s "  # noqa: S608 - identifiers are ours
                f"WHERE (last_seen_at < %s OR last_seen_at IS NULL) AND {in_ids}",
                [now, now, *params],
            )


def id_list(column: str, ids) -> tuple[str, list]:
    """``column IN ids`` as one parameter (an array or a JSON list), not thousands of placeholders."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]  # noqa: S608 - column is ours
