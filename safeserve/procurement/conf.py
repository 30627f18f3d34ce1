"""The procurement settings (``settings.SAFESERVE_PROCUREMENT`` overrides the defaults)."""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    # Term limits (财政部令第102号): one year; up to three with the stable-service justification.
    "MAX_TERM_MONTHS": 12,
    "MAX_STABLE_TERM_MONTHS": 36,
    # Share of the contract amount held back until the acceptance and performance evaluation.
    "HOLDBACK_SHARE": Decimal("0.30"),
    # Share of the held-back amount payable after the evaluation, by grade (payment by quality).
    "GRADE_PAY_SHARE": {"excellent": Decimal("1"), "good": Decimal("1"), "fair": Decimal("0.8"), "poor": Decimal("0")},
    # Grade thresholds on the 100-point evaluation: 优 >= 90, 良 >= 80, 中 >= 60, else 差.
    "GRADE_THRESHOLDS": ((90, "excellent"), (80, "good"), (60, "fair")),
    # A "major violation" of a supplier within the look-back: a penalty with 责令停产停业整顿, or a fine
    # at or above this amount (yuan). 吊销 removes the qualification itself (the qualification check).
    "MAJOR_FINE": Decimal("100000"),
    "VIOLATION_YEARS": 3,
}


def setting(name: str):
    return getattr(settings, "SAFESERVE_PROCUREMENT", {}).get(name, DEFAULTS[name])
