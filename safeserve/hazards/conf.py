"""Hazard settings (DOMAIN.md marks them as settings): ``settings.SAFESERVE`` keys (read from the
environment by the settings module only), else these defaults (a test may override SAFESERVE partly)."""

from django.conf import settings

DEFAULTS = {
    "HAZARD_GENERAL_DAYS": 15,  # 一般隐患整改期限 (no national default)
    "HAZARD_MAJOR_DAYS": 60,  # 重大隐患治理期限 default, overridable per hazard
    "HAZARD_REMINDER_DAYS": 3,  # reminder this many days before the deadline
    "HAZARD_MAJOR_REPORT_HOURS": 2,  # a major hazard reaches the regulator within (Hangzhou rule)
    "HAZARD_ACCEPTANCE_DAYS": 10,  # on-site acceptance within (provincial rule)
    "HAZARD_GENERAL_MAX_DAYS": 90,  # latest deadline of a 一般 hazard, days after discovery
    "HAZARD_MAJOR_MAX_DAYS": 180,  # latest deadline of a 重大 hazard (its 治理方案 sets it within this)
    "HAZARD_EXTENSION_MAX_DAYS": 30,  # one approved extension moves the deadline by at most
}


def get(name: str) -> int:
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return int(configured if configured is not None else DEFAULTS[name])
