"""Who may take which step of a subsidy application, and of a policy: ONE table each.

The actions layer enforces them (``actions.application_step``, ``actions.policy_step``), the pages
offer exactly the buttons they allow, and the tests are generated from them. A party is the actor's
relation to the record, not only their account role:

- ``enterprise``  a user of the applying enterprise
- ``town``        an officer of the policy's town
- ``county``      a county officer (reads everything, decides nothing: the town pays its subsidies)
"""

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role

from .choices import ApplicationStatus as A
from .choices import PolicyStatus as P

ENTERPRISE, TOWN, COUNTY = "enterprise", "town", "county"
PARTIES = (ENTERPRISE, TOWN, COUNTY)

ACTIONS = {
    "approve": _("批准"),
    "reject": _("不予批准"),
    "withdraw": _("撤回申请"),
    "pay": _("登记拨付"),
}

# (state, action) -> (target state, parties allowed)
TABLE: dict[tuple[str, str], tuple[str, frozenset]] = {
    (A.SUBMITTED, "approve"): (A.APPROVED, frozenset({TOWN})),
    (A.SUBMITTED, "reject"): (A.REJECTED, frozenset({TOWN})),
    (A.SUBMITTED, "withdraw"): (A.WITHDRAWN, frozenset({ENTERPRISE})),
    (A.APPROVED, "pay"): (A.PAID, frozenset({TOWN})),
}

POLICY_ACTIONS = {"publish": _("发布"), "close": _("截止申请")}
POLICY_TABLE: dict[tuple[str, str], tuple[str, frozenset]] = {
    (P.DRAFT, "publish"): (P.PUBLISHED, frozenset({TOWN})),
    (P.PUBLISHED, "close"): (P.CLOSED, frozenset({TOWN})),
}


def _town_id(record):
    return record.town_id if hasattr(record, "town_id") else record.policy.town_id


def relations(user, record) -> set[str]:
    """The actor's relations to a policy or an application (empty for a stranger)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.role == Role.COUNTY:
        return {COUNTY}
    if user.role == Role.TOWN and user.town_id and user.town_id == _town_id(record):
        return {TOWN}
    if user.role == Role.ENTERPRISE and getattr(record, "enterprise_id", None) == user.enterprise_id:
        return {ENTERPRISE} if user.enterprise_id else set()
    return set()


def lookup(state: str, action: str, table=None):
    return (table or TABLE).get((state, action))


def allowed(user, application, action: str) -> bool:
    row = TABLE.get((application.status, action))
    return bool(row and relations(user, application) & row[1])


def available(user, application) -> list[str]:
    rel = relations(user, application)
    return [a for (s, a), (_t, parties) in TABLE.items() if s == application.status and rel & parties]


def policy_allowed(user, policy, action: str) -> bool:
    row = POLICY_TABLE.get((policy.status, action))
    return bool(row and relations(user, policy) & row[1])


def policy_available(user, policy) -> list[str]:
    rel = relations(user, policy)
    return [a for (s, a), (_t, parties) in POLICY_TABLE.items() if s == policy.status and rel & parties]
