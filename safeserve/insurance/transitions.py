"""Who may take which step of a prevention visit's appointment (预约): ONE table (state × action × party).

The same shape as ``hazards/transitions.py`` and ``procurement/transitions.py``. The actions layer
enforces it (``actions.appointment_act``), the pages offer exactly the buttons it allows, and the
tests are generated from it. A party is the actor's relation to the appointment's plan:

- ``insured``   a user of the policy's insured enterprise (confirms or declines)
- ``proposer``  staff of the plan's agency, or staff of the policy's insurer (proposes, reschedules,
                cancels)

Officers (county, town) read appointments and take no step.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role

from .choices import AppointmentState

S = AppointmentState
INSURED, PROPOSER = "insured", "proposer"
PARTIES = (INSURED, PROPOSER)

ACTIONS = {
    "confirm": _("确认预约"),
    "decline": _("拒绝预约"),
    "reschedule": _("改期"),
    "cancel": _("取消预约"),
}
# Steps that need a reason (a decline, a cancellation).
NEEDS_REASON = frozenset({"decline", "cancel"})


@dataclass(frozen=True)
class Transition:
    target: str
    parties: frozenset


def _t(target, *parties):
    return Transition(target, frozenset(parties))


TABLE: dict[tuple[str, str], Transition] = {
    (S.PROPOSED, "confirm"): _t(S.CONFIRMED, INSURED),
    (S.PROPOSED, "decline"): _t(S.DECLINED, INSURED),
    (S.PROPOSED, "reschedule"): _t(S.RESCHEDULED, PROPOSER),
    (S.PROPOSED, "cancel"): _t(S.CANCELLED, PROPOSER),
    (S.CONFIRMED, "reschedule"): _t(S.RESCHEDULED, PROPOSER),
    (S.CONFIRMED, "cancel"): _t(S.CANCELLED, PROPOSER),
    (S.DECLINED, "reschedule"): _t(S.RESCHEDULED, PROPOSER),
    (S.DECLINED, "cancel"): _t(S.CANCELLED, PROPOSER),
}
OPEN_STATES = frozenset({S.PROPOSED, S.CONFIRMED, S.DECLINED})


def plan_relations(user, plan) -> set[str]:
    """The actor's relation to a plan (and so to each of its appointments)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    rel = set()
    policy = plan.policy
    insurer = user.role == Role.INSURER and user.insurer_id and user.insurer_id == policy.insurer_id
    agency = user.role == Role.AGENCY and user.agency_id and user.agency_id == plan.agency_id
    if user.role == Role.ENTERPRISE and user.enterprise_id and user.enterprise_id == policy.enterprise_id:
        rel.add(INSURED)
    if insurer or agency:
        rel.add(PROPOSER)
    return rel


def relations(user, appointment) -> set[str]:
    return plan_relations(user, appointment.plan)


def may_propose(user, plan) -> bool:
    return PROPOSER in plan_relations(user, plan) and user.has_perm("insurance.add_appointment")


def lookup(state: str, action: str) -> Transition | None:
    return TABLE.get((state, action))


def allowed(user, appointment, action: str) -> bool:
    t = lookup(appointment.state, action)
    return bool(t and relations(user, appointment) & t.parties and user.has_perm("insurance.change_appointment"))


def available_actions(user, appointment) -> list[str]:
    rel = relations(user, appointment)
    if not rel or not user.has_perm("insurance.change_appointment"):
        return []
    return [a for (state, a), t in TABLE.items() if state == appointment.state and rel & t.parties]
