"""The scoring rules, as pure functions of an indicator and its frozen figure.

The same functions score an assessment when it is opened and recompute it in ``verify_assessment``,
so a stored result can always be checked against its frozen inputs.

- linear: 0 points at ``low``, full weight at ``high``, in proportion between (either way round: with
  ``low`` > ``high`` a smaller figure is better, e.g. days to close a hazard).
- deduction: full weight minus ``per_event`` for each event (the figure is a count), never below
  ``floor`` (0 when empty).
- pass/fail: full weight when the figure is ``direction`` (≥ or ≤) ``threshold``, else 0.
- manual: the county enters the score (0 until it does).

A figure of None means there was nothing to measure (no hazards found, no visits due): the indicator
is not failed, so it scores its full weight. A veto indicator vetoes when it is failed: pass/fail not
met, any event of a deduction, or 0 points on a linear scale. A vetoed sheet totals 0 (一票否决).
"""

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from .choices import Direction, Grade, Rule

CENT = Decimal("0.01")
ZERO = Decimal(0)


def q2(x) -> Decimal:
    return Decimal(x).quantize(CENT, rounding=ROUND_HALF_UP)


def score(indicator, value) -> tuple[Decimal, bool]:
    """(points, vetoes) of ``indicator`` for the figure ``value`` (a Decimal or None)."""
    weight = Decimal(indicator.weight)
    rule = indicator.rule
    if rule == Rule.MANUAL:
        return ZERO, False
    if value is None:
        return q2(weight), False
    value = Decimal(value)
    if rule == Rule.LINEAR:
        low, high = Decimal(indicator.low), Decimal(indicator.high)
        share = (value - low) / (high - low)
        share = min(Decimal(1), max(ZERO, share))
        points = q2(weight * share)
        return points, bool(indicator.veto and points == 0)
    if rule == Rule.DEDUCTION:
        floor = Decimal(indicator.floor or 0)
        points = max(floor, weight - Decimal(indicator.per_event) * value)
        return q2(points), bool(indicator.veto and value > 0)
    if rule == Rule.PASS_FAIL:
        threshold = Decimal(indicator.threshold)
        ok = value >= threshold if indicator.direction == Direction.AT_LEAST else value <= threshold
        return (q2(weight) if ok else ZERO), bool(indicator.veto and not ok)
    raise ValueError(f"unknown rule {rule!r}")


def total(finals: list[Decimal], vetoed: bool) -> Decimal:
    return ZERO.quantize(CENT) if vetoed else q2(sum(finals, ZERO))


def grade(total_points, vetoed: bool, thresholds: tuple) -> str:
    """优/良/中/差 of a total: ``thresholds`` = (excellent, good, fair) lower bounds, inclusive; a
    vetoed sheet is 差 (一票否决)."""
    if vetoed:
        return Grade.POOR
    excellent, good, fair = (Decimal(str(t)) for t in thresholds)
    value = Decimal(total_points)
    if value >= excellent:
        return Grade.EXCELLENT
    if value >= good:
        return Grade.GOOD
    if value >= fair:
        return Grade.FAIR
    return Grade.POOR


def ranks(rows: list[tuple[int, Decimal, bool]]) -> dict[int, int]:
    """{key: rank} for (key, total, vetoed) rows: higher total first, vetoed last; ties share a rank
    (1, 1, 3)."""
    ordered = sorted(rows, key=lambda r: (r[2], -r[1]))
    out, previous, rank = {}, None, 0
    for n, (key, tot, vetoed) in enumerate(ordered, start=1):
        if (vetoed, tot) != previous:
            rank, previous = n, (vetoed, tot)
        out[key] = rank
    return out


def _plain(v):
    return None if v is None else str(Decimal(v).normalize())


def inputs_digest(rows) -> str:
    """SHA-256 of the frozen inputs: (subject id, indicator id, value, numerator, denominator, records)."""
    payload = sorted(
        (
            int(sid),
            int(iid),
            _plain(value),
            _plain(num),
            _plain(den),
            {k: sorted(int(i) for i in ids) for k, ids in sorted((records or {}).items())},
        )
        for sid, iid, value, num, den, records in rows
    )
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def result_digest(rows) -> str:
    """SHA-256 of a result: (subject id, indicator id, final points) and (subject id, total, vetoed, rank)."""
    payload = sorted([[str(x) for x in r] for r in rows])
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()
