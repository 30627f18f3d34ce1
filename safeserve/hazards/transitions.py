"""Who may take which step of a hazard: ONE table (state × action × role), per hazard level.

The actions layer enforces it (``hazards.actions.hazard_transition``), the pages offer exactly the
buttons it allows, and the tests are generated from it. A role here is the actor's relation to the
hazard, not only their account role:

- ``county``     a county officer
- ``town``       an officer of the hazard's town
- ``enterprise`` a user of the hazard's enterprise
- ``agency``     staff of the agency that reported it or serves the enterprise under a contract
- ``appointed``  staff of the agency a town/county officer appointed to accept a major hazard
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.services.models import served_enterprise_ids

from .choices import ExtensionState, HazardLevel, HazardState, NoticeKind

S = HazardState
COUNTY, TOWN, ENTERPRISE, AGENCY, APPOINTED = "county", "town", "enterprise", "agency", "appointed"
RELATIONS = (COUNTY, TOWN, ENTERPRISE, AGENCY, APPOINTED)
GENERAL, MAJOR = HazardLevel.GENERAL.value, HazardLevel.MAJOR.value

ACTIONS = {
    "plan": _("填报治理方案"),
    "start": _("开始整改"),
    "submit": _("申请验收"),
    "accept": _("验收通过（销号）"),
    "reject": _("验收不通过，退回整改"),
    "appoint": _("委托验收机构"),
}


@dataclass(frozen=True)
class Transition:
    target: str
    roles: dict  # level -> frozenset of relations


def _t(target, general=(), major=()):
    return Transition(target, {GENERAL: frozenset(general), MAJOR: frozenset(major)})


ALL_PARTIES = (ENTERPRISE, AGENCY, TOWN, COUNTY)
OFFICERS = (TOWN, COUNTY)

TABLE: dict[tuple[str, str], Transition] = {
    (S.REPORTED, "plan"): _t(S.REPORTED, major=ALL_PARTIES),
    (S.REPORTED, "start"): _t(S.RECTIFYING, general=ALL_PARTIES, major=ALL_PARTIES),
    (S.REPORTED, "appoint"): _t(S.REPORTED, major=OFFICERS),
    (S.RECTIFYING, "plan"): _t(S.RECTIFYING, major=ALL_PARTIES),
    (S.RECTIFYING, "submit"): _t(S.AWAITING, general=(ENTERPRISE, AGENCY), major=(ENTERPRISE, AGENCY)),
    (S.RECTIFYING, "appoint"): _t(S.RECTIFYING, major=OFFICERS),
    (S.AWAITING, "accept"): _t(S.CLOSED, general=(AGENCY, TOWN, COUNTY), major=(APPOINTED, TOWN, COUNTY)),
    (S.AWAITING, "reject"): _t(S.RECTIFYING, general=(AGENCY, TOWN, COUNTY), major=(APPOINTED, TOWN, COUNTY)),
    (S.AWAITING, "appoint"): _t(S.AWAITING, major=OFFICERS),
}


# Steps beside the state machine: they leave the hazard's state alone. action -> (states, parties).
OPEN = (S.REPORTED, S.RECTIFYING, S.AWAITING)
SIDE_ACTIONS: dict[str, tuple[frozenset, frozenset]] = {
    # 申请延期: the party that rectifies (the enterprise, or its agency on its behalf, as with "submit").
    "extend": (frozenset({S.REPORTED, S.RECTIFYING}), frozenset({ENTERPRISE, AGENCY})),
    # 督办/催办: the county on any hazard, a town officer on its own town's.
    "urge": (frozenset({S.REPORTED, S.RECTIFYING}), frozenset(OFFICERS)),
    # 签发整改文书: every party; what it issues depends on who it is (ISSUED_KIND).
    "issue_notice": (frozenset(OPEN), frozenset({COUNTY, TOWN, ENTERPRISE, AGENCY, APPOINTED})),
}
SIDE_LABELS = {
    "extend": _("申请延期"),
    "urge": _("督办催办"),
    "issue_notice": _("签发整改文书"),
}
ISSUED_KIND = {
    COUNTY: NoticeKind.ORDER,
    TOWN: NoticeKind.ORDER,
    AGENCY: NoticeKind.ADVICE,
    APPOINTED: NoticeKind.ADVICE,
    ENTERPRISE: NoticeKind.SELF_PLAN,
}

# A deadline extension's life: (its state, decision) -> (new state, who decides).
E = ExtensionState
EXTENSION_TABLE: dict[tuple[str, str], tuple[str, frozenset]] = {
    (E.PENDING, "approve"): (E.APPROVED, frozenset(OFFICERS)),
    (E.PENDING, "refuse"): (E.REFUSED, frozenset(OFFICERS)),
}
EXTENSION_ACTIONS = {"approve": _("批准延期"), "refuse": _("不批准延期")}


def relations(user, hazard) -> set[str]:
    """The actor's relations to the hazard (empty for a stranger)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    rel = set()
    if user.role == Role.COUNTY:
        rel.add(COUNTY)
    elif user.role == Role.TOWN and user.town_id == hazard.town_id:
        rel.add(TOWN)
    elif user.role == Role.ENTERPRISE and user.enterprise_id == hazard.enterprise_id:
        rel.add(ENTERPRISE)
    elif user.role == Role.AGENCY and user.agency_id:
        if hazard.acceptor_agency_id == user.agency_id:
            rel.add(APPOINTED)
        if hazard.agency_id == user.agency_id:
            rel.add(AGENCY)
        else:
            if served_enterprise_ids(user.agency_id).filter(enterprise_id=hazard.enterprise_id).exists():
                rel.add(AGENCY)
    return rel


def lookup(state: str, action: str) -> Transition | None:
    return TABLE.get((state, action))


def allowed(user, hazard, action: str) -> bool:
    t = lookup(hazard.state, action)
    return bool(t and relations(user, hazard) & t.roles[hazard.level])


def available_actions(user, hazard) -> list[str]:
    rel = relations(user, hazard)
    return [a for (state, a), t in TABLE.items() if state == hazard.state and rel & t.roles[hazard.level]]


def side_allowed(user, hazard, action: str) -> bool:
    states, parties = SIDE_ACTIONS[action]
    return hazard.state in states and bool(relations(user, hazard) & parties)


def extension_allowed(user, extension, decision: str, hazard=None) -> bool:
    row = EXTENSION_TABLE.get((extension.state, decision))
    hazard = hazard or extension.hazard
    return bool(row and hazard.state != S.CLOSED and relations(user, hazard) & row[1])
