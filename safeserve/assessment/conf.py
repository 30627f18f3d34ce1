"""Assessment settings (DOMAIN.md: settings with defaults): ``settings.SAFESERVE`` keys, else these."""

from django.conf import settings

DEFAULTS = {
    "ASSESSMENT_OBJECTION_DAYS": 10,  # a town may object within this many days of the opening
    "ASSESSMENT_REMINDER_DAYS": 2,  # towns are reminded this many days before the objection deadline
    # Grades from the total (points out of 100): 优 from 90, 良 from 75, 中 from 60, else 差; a vetoed
    # sheet is 差 whatever its points.
    "ASSESSMENT_GRADE_EXCELLENT": 90,
    "ASSESSMENT_GRADE_GOOD": 75,
    "ASSESSMENT_GRADE_FAIR": 60,
}


def get(name: str) -> int:
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return int(configured if configured is not None else DEFAULTS[name])
