"""The subsidy settings (``settings.SAFESERVE_SUBSIDIES`` overrides the defaults)."""

from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    # 工商贸 units, as GB/T 4754 codes (a section letter or a division code): 制造业 (C), 批发和零售业
    # (F), 住宿和餐饮业 (H) and 装卸搬运和仓储业 (G59). The registry has no 工商贸 flag; a new policy
    # starts from this list and the town may narrow or widen it.
    "INDUSTRY_CODES": ["C", "F", "H", "G59"],
    # Sizes a new policy covers: small and micro enterprises.
    "SIZE_CLASSES": ["small", "micro"],
    # A new policy's starting share of the service fee and cap per enterprise and year.
    "SHARE": Decimal("0.50"),
    "CAP": Decimal("5000.00"),
}


def setting(name: str):
    return getattr(settings, "SAFESERVE_SUBSIDIES", {}).get(name, DEFAULTS[name])
