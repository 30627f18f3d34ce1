"""Training settings: ``settings.SAFESERVE`` keys, else these defaults (生产经营单位安全培训规定)."""

from django.conf import settings

DEFAULTS = {
    "TRAINING_INITIAL_HOURS": 32,  # principals and safety managers, first training
    "TRAINING_YEARLY_HOURS": 12,  # their yearly re-training
    "TRAINING_HIGH_RISK_INITIAL_HOURS": 48,  # 矿山、危化、烟花爆竹、金属冶炼
    "TRAINING_HIGH_RISK_YEARLY_HOURS": 16,
    "TRAINING_SPECIAL_REVIEW_YEARS": 3,  # a special-operations certificate is reviewed every 3 years
    "TRAINING_SPECIAL_REVIEW_HOURS": 8,  # with at least 8 h of training
    "TRAINING_CERT_REMINDER_DAYS": 60,  # remind the enterprise this many days before a certificate expires
}
# GB/T 4754 codes (prefixes) of the high-risk industries: 采矿业 (B), 化学原料和化学制品制造业 (C26, with
# 烟花爆竹 2672), 黑色/有色金属冶炼 (C31, C32); an enterprise flagged 危险化学品 is high-risk too.
HIGH_RISK_INDUSTRY_PREFIXES = ("B", "C26", "C31", "C32")


def get(name: str) -> int:
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return int(configured if configured is not None else DEFAULTS[name])
