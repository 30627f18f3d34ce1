"""The scoring rules, exact to the cent (no database: an unsaved indicator is all a rule reads)."""

from decimal import Decimal as D

import pytest

from safeserve.assessment import scoring
from safeserve.assessment.models import Indicator


def ind(rule, weight=40, veto=False, **params):
    return Indicator(name="x", weight=D(weight), rule=rule, veto=veto, **params)


@pytest.mark.parametrize(
    ("value", "points"),
    [
        (D(60), D("0.00")),
        (D(100), D("40.00")),
        (D(80), D("20.00")),
        (D("87.5"), D("27.50")),
        (D("61.11"), D("1.11")),  # 40 × 1.11 / 40 = 1.11
        (D("60.01"), D("0.01")),
        (D(30), D("0.00")),  # below the zero threshold: clamped
        (D(120), D("40.00")),  # above the full threshold: clamped
    ],
)
def test_linear_between_two_thresholds(value, points):
    assert scoring.score(ind("linear", low=D(60), high=D(100)), value) == (points, False)


def test_linear_the_other_way_round_smaller_is_better():
    rule = ind("linear", weight=10, low=D(60), high=D(15))  # days to close: 15 or fewer full, 60 or more nil
    assert scoring.score(rule, D(15))[0] == D("10.00")
    assert scoring.score(rule, D(10))[0] == D("10.00")
    assert scoring.score(rule, D("37.5"))[0] == D("5.00")
    assert scoring.score(rule, D(60))[0] == D("0.00")
    assert scoring.score(rule, D(90))[0] == D("0.00")


def test_linear_rounds_half_up_to_the_cent():
    rule = ind("linear", weight=10, low=D(0), high=D(3))
    assert scoring.score(rule, D(1))[0] == D("3.33")
    assert scoring.score(rule, D("0.0015"))[0] == D("0.01")  # 0.005 -> 0.01 (half up)


@pytest.mark.parametrize(
    ("events", "floor", "points"),
    [(0, 0, "20.00"), (1, 0, "15.00"), (3, 0, "5.00"), (4, 0, "0.00"), (9, 0, "0.00"), (3, 8, "8.00"), (1, 8, "15.00")],
)
def test_deduction_per_event_with_a_floor(events, floor, points):
    rule = ind("deduction", weight=20, per_event=D(5), floor=D(floor))
    assert scoring.score(rule, D(events)) == (D(points), False)


def test_deduction_without_a_floor_stops_at_zero():
    assert scoring.score(ind("deduction", weight=20, per_event=D("7.5")), D(3))[0] == D("0.00")


@pytest.mark.parametrize(
    ("direction", "value", "points"),
    [
        ("gte", D(80), D("10.00")),
        ("gte", D("79.99"), D("0.00")),
        ("lte", D(2), D("10.00")),
        ("lte", D("2.01"), D("0.00")),
    ],
)
def test_pass_fail(direction, value, points):
    threshold = D(80) if direction == "gte" else D(2)
    assert scoring.score(ind("pass_fail", weight=10, threshold=threshold, direction=direction), value) == (
        points,
        False,
    )


def test_veto_when_failed_and_only_then():
    pf = ind("pass_fail", weight=10, threshold=D(0), direction="lte", veto=True)  # deaths ≤ 0
    assert scoring.score(pf, D(0)) == (D("10.00"), False)
    assert scoring.score(pf, D(1)) == (D("0.00"), True)
    ded = ind("deduction", weight=10, per_event=D(2), veto=True)
    assert scoring.score(ded, D(0)) == (D("10.00"), False)
    assert scoring.score(ded, D(1)) == (D("8.00"), True)
    lin = ind("linear", weight=10, low=D(50), high=D(100), veto=True)
    assert scoring.score(lin, D(51)) == (D("0.20"), False)
    assert scoring.score(lin, D(50)) == (D("0.00"), True)
    # Without the flag the same failures veto nothing.
    assert scoring.score(ind("pass_fail", weight=10, threshold=D(0), direction="lte"), D(1)) == (D("0.00"), False)


def test_a_vetoed_sheet_totals_zero():
    assert scoring.total([D("30.50"), D("40")], vetoed=False) == D("70.50")
    assert scoring.total([D("30.50"), D("40")], vetoed=True) == D("0.00")


def test_nothing_to_measure_is_full_marks_and_manual_starts_at_zero():
    assert scoring.score(ind("linear", low=D(60), high=D(100), veto=True), None) == (D("40.00"), False)
    assert scoring.score(ind("manual", weight=10), None) == (D("0.00"), False)


def test_ranks_share_ties_and_put_vetoed_last():
    rows = [(1, D(80), False), (2, D(90), False), (3, D(80), False), (4, D(0), True), (5, D(70), False)]
    assert scoring.ranks(rows) == {2: 1, 1: 2, 3: 2, 5: 4, 4: 5}
