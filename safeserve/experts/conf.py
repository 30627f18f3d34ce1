"""Expert-pool settings (DOMAIN.md marks them as settings): ``settings.SAFESERVE`` keys, else these defaults."""

from django.conf import settings

DEFAULTS = {
    "EXPERT_SERVED_MONTHS": 36,  # served or inspected the enterprise within this many months -> recusal
    "EXPERT_PAST_EMPLOYER_YEARS": 3,  # a past employer (or a relative's) within this many years -> recusal
    "EXPERT_ANSWER_HOURS": 24,  # an invited expert accepts or declines within
    "EXPERT_RATING_WORKING_DAYS": 2,  # the requester rates the expert within this many working days
    "EXPERT_RATING_THRESHOLD": 60,  # an average below this proposes removal from the pool
    "EXPERT_RATING_PERIOD_DAYS": 365,  # the period the average is taken over
}


def get(name: str) -> int:
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return int(configured if configured is not None else DEFAULTS[name])
