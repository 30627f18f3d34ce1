"""The life of a listing on the serious-default list (严重失信主体名单): ONE table of
state × action -> (next state, who may take it, what the step must carry).

The actions layer enforces it (``actions.listing_transition``), the detail page offers exactly the
steps it allows, and the tests are generated from it. A party here is the actor's relation to the
listing: ``county`` (a county officer) or ``party`` (a user of the listed enterprise or agency).
Expiry is not a step: a listing ends on its date (``models.listed_on_q``), with no job.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role

from .choices import ListingState as S
from .choices import Subject

COUNTY, PARTY = "county", "party"


@dataclass(frozen=True)
class Step:
    target: str
    parties: frozenset
    reason: bool = False  # the step must give a reason (text)
    label: str = ""


def _s(target, parties, reason=False, label=""):
    return Step(target, frozenset(parties), reason, label)


ACTIONS = {
    "notify": _("发出列入前告知（异议期开始）"),
    "object": _("提出异议"),
    "uphold": _("异议不成立，维持列入"),
    "accept_objection": _("异议成立，不予列入"),
    "decide": _("作出列入决定（生成决定书）"),
    "publish": _("公示"),
    "request_repair": _("申请信用修复（提前移出）"),
    "approve_repair": _("同意提前移出"),
    "refuse_repair": _("不同意提前移出"),
    "revoke_removal": _("撤销提前移出（以欺骗手段取得），恢复列入"),
    "withdraw": _("撤回拟列入"),
}

TABLE: dict[tuple[str, str], Step] = {
    (S.PROPOSED, "notify"): _s(S.NOTICED, {COUNTY}),
    (S.PROPOSED, "withdraw"): _s(S.WITHDRAWN, {COUNTY}, reason=True),
    (S.NOTICED, "object"): _s(S.OBJECTED, {PARTY, COUNTY}, reason=True),
    (S.NOTICED, "decide"): _s(S.DECIDED, {COUNTY}),  # only once the objection period is over
    (S.NOTICED, "withdraw"): _s(S.WITHDRAWN, {COUNTY}, reason=True),
    (S.OBJECTED, "uphold"): _s(S.REVIEWED, {COUNTY}, reason=True),
    (S.OBJECTED, "accept_objection"): _s(S.WITHDRAWN, {COUNTY}, reason=True),
    (S.REVIEWED, "decide"): _s(S.DECIDED, {COUNTY}),
    (S.DECIDED, "publish"): _s(S.PUBLISHED, {COUNTY}),
    (S.PUBLISHED, "request_repair"): _s(S.REPAIR_REQUESTED, {PARTY, COUNTY}, reason=True),
    (S.REPAIR_REQUESTED, "approve_repair"): _s(S.REMOVED, {COUNTY}, reason=True),
    (S.REPAIR_REQUESTED, "refuse_repair"): _s(S.PUBLISHED, {COUNTY}, reason=True),
    (S.REMOVED, "revoke_removal"): _s(S.PUBLISHED, {COUNTY}, reason=True),
}


def relations(user, listing) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.role == Role.COUNTY:
        return {COUNTY}
    if listing.subject == Subject.ENTERPRISE and user.role == Role.ENTERPRISE:
        return {PARTY} if user.enterprise_id and user.enterprise_id == listing.enterprise_id else set()
    if listing.subject == Subject.AGENCY and user.role == Role.AGENCY:
        return {PARTY} if user.agency_id and user.agency_id == listing.agency_id else set()
    return set()


def allowed(user, listing, action: str) -> bool:
    step = TABLE.get((listing.state, action))
    return bool(step and relations(user, listing) & step.parties)


def available_actions(user, listing) -> list[str]:
    rel = relations(user, listing)
    return [a for (state, a), step in TABLE.items() if state == listing.state and rel & step.parties]
