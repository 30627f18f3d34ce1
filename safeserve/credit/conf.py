"""Credit settings (DOMAIN.md marks the notice period as a setting): ``settings.SAFESERVE`` keys,
else these defaults."""

from django.conf import settings

DEFAULTS = {
    "CREDIT_OBJECTION_DAYS": 10,  # 异议期: days the party has to object after the advance notice (setting)
    "CREDIT_LISTING_YEARS": 3,  # a listing lasts this long from its decision (11号令)
    "CREDIT_REPAIR_MONTHS": 12,  # early removal (信用修复) may be requested after this many months (11号令)
    "CREDIT_EXPIRY_WARNING_DAYS": 30,  # the county is warned this many days before a listing expires
    "CREDIT_ISSUER": "嘉善县应急管理局",  # the issuer named on the written decision and its number
}


def get(name: str):
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    value = configured if configured is not None else DEFAULTS[name]
    return value if isinstance(DEFAULTS[name], str) else int(value)
