"""Settings of public reports (举报): ``settings.SAFESERVE`` keys, else these defaults.

The deadlines and rewards are the regulation's (《安全生产领域举报奖励办法》 and the handling rules in
docs/domain.md); the abuse limits and the holiday table are the county's.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    "TIPOFF_DEADLINE_DAYS": 60,  # handled within, from acceptance
    "TIPOFF_EXTENSION_DAYS": 30,  # one extension, with a reason the reporter sees
    # "calendar": days as the law counts them (a period ending on a rest day ends on the next working
    # day); "working": working days only. Both skip weekends and TIPOFF_HOLIDAYS, and count TIPOFF_WORKDAYS.
    "TIPOFF_DEADLINE_UNIT": "calendar",
    "TIPOFF_HOLIDAYS": (),  # statutory holidays on weekdays (the State Council's yearly table), ISO dates
    "TIPOFF_WORKDAYS": (),  # make-up working days on weekends (调休), ISO dates
    "TIPOFF_FILE_PER_ADDRESS_PER_DAY": 5,  # reports one client address may file in 24 hours
    "TIPOFF_ATTACHMENTS_MAX_MB": 40,  # all attachments of one submission together
    "TIPOFF_ATTACHMENTS_MAX_FILES": 10,
    "TIPOFF_LOOKUP_FAILURES_PER_CODE": 5,  # wrong tries per tracking code within the window
    "TIPOFF_LOOKUP_FAILURES_PER_ADDRESS": 20,  # wrong tries per client address within the window
    "TIPOFF_LOOKUP_WINDOW_MINUTES": 15,
    "TIPOFF_REWARD_RATE": "0.15",  # of the fine
    "TIPOFF_REWARD_MIN": "3000",
    "TIPOFF_REWARD_MAX": "300000",
    # per concealed death, by accident level (一般/较大/重大/特别重大)
    "TIPOFF_REWARD_PER_DEATH": {"general": "30000", "larger": "40000", "major": "50000", "extraordinary": "60000"},
}


def get(name: str):
    configured = getattr(settings, "SAFESERVE", {}).get(name)
    return configured if configured is not None else DEFAULTS[name]


def number(name: str) -> int:
    return int(get(name))


def money(name: str) -> Decimal:
    return Decimal(str(get(name)))


def dates(name: str) -> frozenset[date]:
    out = set()
    for item in get(name) or ():
        out.add(item if isinstance(item, date) else date.fromisoformat(str(item).strip()))
    return frozenset(out)
