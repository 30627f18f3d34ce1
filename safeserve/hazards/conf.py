"""Hazard settings (DOMAIN.md marks them as settings): ``settings.SAFESERVE`` keys, then env, then default."""

import os

from django.conf import settings

DEFAULTS = {
    "HAZARD_GENERAL_DAYS": 15,  # 一般隐患整改期限 (no national default)
    "HAZARD_MAJOR_DAYS": 60,  # 重大隐患治理期限 default, overridable per hazard
    "HAZARD_REMINDER_DAYS": 3,  # reminder this many days before the deadline
    "HAZARD_MAJOR_REPORT_HOURS": 2,  # a major hazard reaches the regulator within (Hangzhou rule)
    "HAZARD_ACCEPTANCE_DAYS": 10,  # on-site acceptance within (provincial rule)
}


def get(name: str) -> int:
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    if configured is not None:
        return int(configured)
    return int(os.environ.get(f"SAFESERVE_{name}", DEFAULTS[name]))
