"""Who may take which step of an alarm: ONE table (state × action × party), as for hazards.

The actions layer enforces it (``actions._locked`` for people's steps; the pipeline's clear takes
its target states from ``clear_targets``), the handling page offers exactly the buttons it allows
(``allowed_actions``), and ``tests/test_alarm_transitions.py`` is generated from it.

A state is the alarm's ``state`` (active/cleared × acknowledged or not), or ``closed`` once handled.
A party is the actor's account role; which alarms they reach is scoping (``Alarm.visible_to``), not
this table. ``system`` is the pipeline (readings back to normal).
"""

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.transitions import StateTable, Transition

from .choices import AlarmState

S = AlarmState
CLOSED = "closed"
STATES = (S.ACTIVE_UNACK, S.ACTIVE_ACK, S.CLEARED_UNACK, S.CLEARED_ACK, CLOSED)
SYSTEM = "system"
HANDLERS = frozenset({Role.COUNTY, Role.TOWN, Role.ENTERPRISE, Role.AGENCY})
PARTIES = (*sorted(HANDLERS), SYSTEM)

ACTIONS = {
    "acknowledge": _("确认报警"),
    "assign": _("指派处置人"),
    "record": _("记录处置措施"),
    "close": _("处置完成，关闭报警"),
    "clear": _("读数恢复正常，自动清除"),
}
PEOPLES_ACTIONS = ("acknowledge", "assign", "record", "close")


OPEN = (S.ACTIVE_UNACK, S.ACTIVE_ACK, S.CLEARED_UNACK, S.CLEARED_ACK)

TABLE = StateTable(
    {
        (S.ACTIVE_UNACK, "acknowledge"): Transition(S.ACTIVE_ACK, HANDLERS),
        (S.CLEARED_UNACK, "acknowledge"): Transition(S.CLEARED_ACK, HANDLERS),
        **{(s, "assign"): Transition(s, HANDLERS) for s in OPEN},
        **{(s, "record"): Transition(s, HANDLERS) for s in OPEN},
        **{(s, "close"): Transition(CLOSED, HANDLERS) for s in OPEN},  # closing also clears and acknowledges
        (S.ACTIVE_UNACK, "clear"): Transition(S.CLEARED_UNACK, frozenset({SYSTEM})),
        (S.ACTIVE_ACK, "clear"): Transition(S.CLEARED_ACK, frozenset({SYSTEM})),
    }
)


def state_of(alarm) -> str:
    if alarm.closed_at is not None:
        return CLOSED
    if alarm.active:
        return S.ACTIVE_ACK if alarm.acknowledged_at else S.ACTIVE_UNACK
    return S.CLEARED_ACK if alarm.acknowledged_at else S.CLEARED_UNACK


lookup = TABLE.lookup


def parties_of(user) -> frozenset:
    """A superuser acts as every handler; others as their role if it handles alarms."""
    if user is None:
        return frozenset({SYSTEM})
    if user.is_superuser:
        return HANDLERS
    return frozenset({user.role}) & HANDLERS


def allowed_actions(user, alarm) -> list[str]:
    """People's steps the user may take on the alarm now (scoping aside), in the table's order."""
    if user is None or not user.has_perm("iot.change_alarm"):
        return []
    parties, state = parties_of(user), state_of(alarm)
    return [a for a in PEOPLES_ACTIONS if (t := lookup(state, a)) is not None and parties & t.parties]


def clear_targets() -> dict[str, str]:
    """{state: state after an automatic clear}: what the pipeline writes when readings recover."""
    return {state: t.target for (state, action), t in TABLE.items() if action == "clear"}
