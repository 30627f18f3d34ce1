"""Inspection settings (DOMAIN.md marks them as settings): ``settings.SAFESERVE`` keys, else these."""

from django.conf import settings

DEFAULTS = {
    # Yearly cap of routine inspections per enterprise by 标准化 grade (Shanxi 2025): ordinary units,
    # and hazardous-chemical / metal-smelting units. Case-driven inspections never count.
    "INSPECTION_CAPS": {"1": 1, "2": 2, "3": 4, "none": 6},
    "INSPECTION_CAPS_HIGH": {"1": 2, "2": 4, "3": 8, "none": 12},
    # 一公开: results published within this many working days (Mon–Fri) of the inspection.
    "INSPECTION_PUBLISH_WORKING_DAYS": 20,
    # An officer who inspected an enterprise within this many days is not drawn for it again ("last round").
    "INSPECTION_LAST_ROUND_DAYS": 365,
    # Non-participants at this risk level or above are on the mandatory list.
    "INSPECTION_NONPARTICIPANT_MANDATORY_RISK": "orange",
    # Industry codes (GB/T 4754 divisions) that count as metal smelting.
    "INSPECTION_METAL_SMELTING_CODES": ("C31", "C32"),
}


def get(name: str):
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return configured if configured is not None else DEFAULTS[name]
