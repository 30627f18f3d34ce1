"""The supervision settings (``settings.SAFESERVE_SUPERVISION`` overrides the defaults)."""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    # Share of each agency's service visits drawn per half year (Zhejiang: at least 15%), rounded up.
    "SAMPLING_SHARE": Decimal("0.15"),
    # Whether a visit made without a valid practice notice (执业告知) counts as a credit fact.
    "NO_NOTICE_COUNTS": True,
    # Full-time certified staff an agency must have (Zhejiang entry rule: 5).
    "MIN_CERTIFIED_STAFF": 5,
}


def setting(name: str):
    return getattr(settings, "SAFESERVE_SUPERVISION", {}).get(name, DEFAULTS[name])
