"""Who may take which step of a purchase project: ONE table (state × action × party).

The same shape as ``hazards/transitions.py``. The actions layer enforces it
(``procurement.actions.project_transition`` and the steps with their own forms: award, evaluate),
the project page offers exactly the buttons it allows, and the tests are generated from it.
A party is the actor's relation to the project:

- ``buyer``   the buyer: an officer of the buying town for a town's project, a county officer for
              the county's own project
- ``county``  a county officer on any project (oversight: may cancel a town's project)

Agencies (suppliers) never move a project: the buyer records their bids.
"""

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.transitions import StateTable
from safeserve.core.transitions import step as _t

from .choices import BuyerKind, ProjectStatus

S = ProjectStatus
BUYER, COUNTY = "buyer", "county"
PARTIES = (BUYER, COUNTY)

ACTIONS = {
    "approve": _("立项（冻结企业名单）"),
    "open": _("启动采购"),
    "award": _("确定中标（成交）并签订合同"),
    "evaluate": _("验收与绩效评价"),
    "close": _("结项"),
    "cancel": _("撤销项目"),
}
# Steps with their own form (the page shows the form, not a bare button).
FORM_ACTIONS = frozenset({"award", "evaluate"})


TABLE = StateTable(
    {
        (S.DRAFT, "approve"): _t(S.APPROVED, BUYER),
        (S.DRAFT, "cancel"): _t(S.CANCELLED, BUYER, COUNTY),
        (S.APPROVED, "open"): _t(S.PROCURING, BUYER),
        (S.APPROVED, "cancel"): _t(S.CANCELLED, BUYER, COUNTY),
        (S.PROCURING, "award"): _t(S.PERFORMING, BUYER),
        (S.PROCURING, "cancel"): _t(S.CANCELLED, BUYER, COUNTY),
        (S.PERFORMING, "evaluate"): _t(S.EVALUATED, BUYER),
        (S.EVALUATED, "close"): _t(S.CLOSED, BUYER),
    }
)

# Steps beside the state machine: action -> (states, parties). Bids are recorded while procuring;
# payments while the contract runs and after the evaluation (the final one needs the evaluation).
SIDE_ACTIONS: dict[str, tuple[frozenset, frozenset]] = {
    "bid": (frozenset({S.PROCURING}), frozenset({BUYER})),
    "pay": (frozenset({S.PERFORMING, S.EVALUATED}), frozenset({BUYER})),
    "edit": (frozenset({S.DRAFT}), frozenset({BUYER})),
}


def relations(user, project) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    rel = set()
    if user.role == Role.COUNTY:
        rel.add(COUNTY)
        if project.buyer_kind == BuyerKind.COUNTY:
            rel.add(BUYER)
    elif user.role == Role.TOWN and project.buyer_kind == BuyerKind.TOWN and user.town_id == project.buyer_town_id:
        rel.add(BUYER)
    return rel


lookup = TABLE.lookup
parties_for = TABLE.parties_for


def allowed(user, project, action: str) -> bool:
    return TABLE.allows(project.status, action, relations(user, project))


def side_allowed(user, project, action: str) -> bool:
    states, parties = SIDE_ACTIONS[action]
    return project.status in states and bool(relations(user, project) & parties)


def available_actions(user, project) -> list[str]:
    return TABLE.actions_from(project.status, relations(user, project))
