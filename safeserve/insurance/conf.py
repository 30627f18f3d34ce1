"""The insurance settings (``settings.SAFESERVE_INSURANCE`` overrides the defaults)."""

from decimal import Decimal

from django.conf import settings

# The 2025 measures (应急〔2025〕27号): an insurer may spend *up to* 21% of the premium actually
# collected on accident prevention. A ceiling in law, not a setting.
PREVENTION_CEILING = Decimal("21")

DEFAULTS = {
    # The county's floor for the prevention share (local rules such as Wuxi, Guangxi: at least 20%).
    "PREVENTION_FLOOR": Decimal("20"),
    # 保而不防: a valid policy with no prevention visit within this many months.
    "IDLE_MONTHS": 6,
    # Complaints: answered within 10 working days, 30 when they need checking; one extension ≤ 30 days.
    "COMPLAINT_DAYS": 10,
    "COMPLAINT_CHECK_DAYS": 30,
    "COMPLAINT_EXTENSION_MAX_DAYS": 30,
    # The insurer's home: policies ending within this many days.
    "EXPIRING_DAYS": 30,
}


def setting(name: str):
    return getattr(settings, "SAFESERVE_INSURANCE", {}).get(name, DEFAULTS[name])
