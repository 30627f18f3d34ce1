"""Deadlines counted as the law counts them, across weekends and holidays.

``calendar`` (the default): N days after the start day; when the last day is a rest day (a weekend
not made a working day, or a statutory holiday), the period ends on the next working day.
``working``: N working days after the start day. The holiday table is one setting for every app
that counts deadlines (tip-offs, insurance complaints): ``SAFESERVE["TIPOFF_HOLIDAYS"]`` (statutory
holidays on weekdays, ISO dates; the name comes from the first app that needed it) and
``SAFESERVE["TIPOFF_WORKDAYS"]`` (the make-up working weekends of 调休). The default unit is
``SAFESERVE["TIPOFF_DEADLINE_UNIT"]`` (tip-offs' own setting), so callers name the unit they mean.
"""

from datetime import date, timedelta

from django.conf import settings

DEFAULT_UNIT = "calendar"


def _get(name: str):
    return getattr(settings, "SAFESERVE", {}).get(name)


def dates(name: str) -> frozenset[date]:
    out = set()
    for item in _get(name) or ():
        out.add(item if isinstance(item, date) else date.fromisoformat(str(item).strip()))
    return frozenset(out)


def is_working_day(day: date, holidays=None, workdays=None) -> bool:
    holidays = dates("TIPOFF_HOLIDAYS") if holidays is None else holidays
    workdays = dates("TIPOFF_WORKDAYS") if workdays is None else workdays
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def due_date(start: date, days: int, unit: str | None = None, holidays=None, workdays=None) -> date:
    unit = unit or _get("TIPOFF_DEADLINE_UNIT") or DEFAULT_UNIT
    holidays = dates("TIPOFF_HOLIDAYS") if holidays is None else holidays
    workdays = dates("TIPOFF_WORKDAYS") if workdays is None else workdays
    if unit == "working":
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            if is_working_day(day, holidays, workdays):
                left -= 1
        return day
    if unit != "calendar":
        raise ValueError(f"TIPOFF_DEADLINE_UNIT must be 'calendar' or 'working', not {unit!r}")
    day = start + timedelta(days=days)
    while not is_working_day(day, holidays, workdays):
        day += timedelta(days=1)
    return day
