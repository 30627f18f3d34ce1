"""Assessment settings (DOMAIN.md: settings with defaults): ``settings.SAFESERVE`` keys, else these."""

from django.conf import settings

DEFAULTS = {
    "ASSESSMENT_OBJECTION_DAYS": 10,  # a town may object within this many days of the opening
    "ASSESSMENT_REMINDER_DAYS": 2,  # towns are reminded this many days before the objection deadline
}


def get(name: str) -> int:
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return int(configured if configured is not None else DEFAULTS[name])
