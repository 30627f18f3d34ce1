"""Who may take which step of a service contract: ONE table (state × action × party).

The same shape as ``hazards/transitions.py``. The actions layer enforces it
(``services.actions.contract_transition``), the contract page offers exactly the buttons it
allows (``contract_actions_for``), and the tests are generated from it. A party is the actor's
relation to the contract, which ``ServiceContract.owner_q`` decides (the payer owns a contract):

- ``county``     a county officer (owns every contract)
- ``town``       an officer of the town that pays for the contract (镇街购买)
- ``enterprise`` a user of an enterprise that pays for it and is served under it (企业自购)
- ``agency``     staff of the serving agency (the other party: it activates and terminates)
- ``system``     the daily job (no user)

Seeing a contract is not owning it: a town officer sees a county-paid contract covering one of its
enterprises, but has no relation to it here.
"""

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role
from safeserve.core.transitions import StateTable
from safeserve.core.transitions import step as _t

from .choices import ContractStatus
from .models import ServiceContract

S = ContractStatus
COUNTY, TOWN, ENTERPRISE, AGENCY, SYSTEM = "county", "town", "enterprise", "agency", "system"
PARTIES = (COUNTY, TOWN, ENTERPRISE, AGENCY, SYSTEM)
# The party a user's role can make them; owner_q decides whether they are it for a given contract.
ROLE_PARTY = {Role.COUNTY: COUNTY, Role.TOWN: TOWN, Role.ENTERPRISE: ENTERPRISE, Role.AGENCY: AGENCY}

ACTIONS = {"activate": _("生效"), "terminate": _("终止"), "expire": _("到期")}
# Steps taken by the daily job; the county may force them through the API, the page offers no button.
NOT_ON_PAGES = frozenset({"expire"})


TABLE = StateTable(
    {
        (S.DRAFT, "activate"): _t(S.ACTIVE, AGENCY, TOWN, COUNTY),
        (S.ACTIVE, "terminate"): _t(S.TERMINATED, AGENCY, ENTERPRISE, TOWN, COUNTY),
        (S.ACTIVE, "expire"): _t(S.EXPIRED, COUNTY, SYSTEM),
    }
)


lookup = TABLE.lookup
parties_for = TABLE.parties_for


def role_party(user) -> str | None:
    """The party ``user`` could be (``system`` for no user), before looking at any contract."""
    if user is None:
        return SYSTEM
    if not user.is_authenticated or not user.is_active:
        return None
    return ROLE_PARTY.get(user.role)


def relations(user, contract) -> set[str]:
    """The actor's relations to the contract: {their party} when they own it, else empty."""
    party = role_party(user)
    if party == SYSTEM:
        return {SYSTEM}
    if party is None:
        return set()
    owner = ServiceContract.owner_q(user)
    if owner is None:
        return set()
    mine = ServiceContract.objects.visible_to(user, "view").filter(owner, pk=contract.pk).exists()
    return {party} if mine else set()


def owns(user, contract) -> bool:
    """Whether ``user`` owns ``contract`` (its payer, or the county): who may attach its signed scan."""
    party = role_party(user)
    return party not in (None, SYSTEM, AGENCY) and party in relations(user, contract)


def allowed(user, contract, action: str) -> bool:
    return TABLE.allows(contract.status, action, relations(user, contract))


def available_actions(user, contract) -> list[str]:
    """The buttons the contract page offers ``user`` (one ownership query, only when a step could apply)."""
    party = role_party(user)
    names = [
        a
        for (state, a), t in TABLE.items()
        if state == contract.status and party in t.parties and a not in NOT_ON_PAGES
    ]
    return names if names and party in relations(user, contract) else []
