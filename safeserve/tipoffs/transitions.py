"""Who may take which step of a report, and of its reward: tables (state × action -> target, parties).

A party is the actor's relation to the report: ``handler`` (a 举报受理 county officer, models.is_handler)
or ``town`` (an officer of the town the report is assigned to). The actions layer enforces the tables,
the detail page offers exactly the buttons they allow, and the tests are generated from them.
"""

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.transitions import StateTable
from safeserve.core.transitions import step as _t

from .choices import RewardState, TipoffState
from .models import is_handler

S = TipoffState
HANDLER, TOWN = "handler", "town"

ACTIONS = {
    "accept": _("受理"),
    "reject": _("不予受理"),
    "forward": _("转送其他部门"),
    "assign": _("改派承办单位"),
    "extend": _("延期"),
    "verify": _("填报核查情况"),
    "close": _("办结"),
    "penalty": _("登记处罚结果"),
}


TABLE = StateTable(
    {
        (S.RECEIVED, "accept"): _t(S.ACCEPTED, HANDLER),
        (S.RECEIVED, "reject"): _t(S.REJECTED, HANDLER),
        (S.RECEIVED, "forward"): _t(S.FORWARDED, HANDLER),
        (S.ACCEPTED, "assign"): _t(S.ACCEPTED, HANDLER),
        (S.ACCEPTED, "extend"): _t(S.ACCEPTED, HANDLER),
        (S.ACCEPTED, "verify"): _t(S.ACCEPTED, HANDLER, TOWN),
        (S.ACCEPTED, "close"): _t(S.CLOSED, HANDLER),
        (S.CLOSED, "penalty"): _t(S.CLOSED, HANDLER),
    }
)

REWARD_ACTIONS = {"propose": _("拟定奖励"), "approve": _("批准奖励"), "pay": _("登记发放")}
R = RewardState
REWARD_TABLE = StateTable(
    {
        (None, "propose"): _t(R.PROPOSED, HANDLER),
        (R.PROPOSED, "approve"): _t(R.APPROVED, HANDLER),
        (R.APPROVED, "pay"): _t(R.PAID, HANDLER),
    }
)


def relations(user, tipoff) -> set[str]:
    out = set()
    if is_handler(user):
        out.add(HANDLER)
    if getattr(user, "role", None) == Role.TOWN and user.town_id and user.town_id == tipoff.assigned_town_id:
        out.add(TOWN)
    return out


def allowed(user, tipoff, action: str) -> bool:
    return TABLE.allows(tipoff.state, action, relations(user, tipoff))


# Steps the table allows that the page offers only when they can succeed (the action refuses the
# others with a message: one extension per report; closing needs the verification first).
READY = {
    "extend": lambda t: not t.extended_at,
    "close": lambda t: bool(t.verification.strip()),
}


def available(user, tipoff) -> list[str]:
    return [a for a in ACTIONS if allowed(user, tipoff, a) and READY.get(a, lambda t: True)(tipoff)]
