"""The serious-default list: every step of the table for every party, a full run including a removal
revoked for fraud, the public page by date, and refusals that save nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeserve.accounts.models import User
from safeserve.credit import actions, transitions
from safeserve.credit.choices import ListingState as S
from safeserve.credit.models import Accident, Listing

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def make_accident(world):
    return Accident.objects.create(
        title="甲五金机械伤害事故",
        enterprise=world["ent_a"],
        occurred_on=TODAY - timedelta(days=40),
        level="major",
        deaths=3,
    )


def propose(world, **kw):
    data = {
        "subject": "enterprise",
        "enterprise": world["ent_a"],
        "situation": "major_accident",
        "accident": make_accident(world),
        "facts": "发生重大生产安全责任事故，死亡3人",
        **kw,
    }
    return actions.listing_propose(actor=world.user("county"), data=data)


def step(world, listing, action, persona="county", reason="依法办理", on=None, **kw):
    return actions.listing_transition(
        actor=world.user(persona), listing=listing, action=action, reason=reason, on=on, **kw
    )


def public_names(day=None):
    from safeserve.credit.queries import public_listings

    return [li.subject_name for li in public_listings(day)]


def test_a_listing_through_every_state_with_fraud_revocation(world):
    li = propose(world)
    assert li.state == S.PROPOSED and public_names() == []
    li = step(world, li, "notify")
    assert li.state == S.NOTICED and li.objection_deadline > TODAY
    # The enterprise objects within the period; the county upholds the listing with a reason.
    li = step(world, li, "object", persona="ent_a", reason="事故责任尚在调查")
    li = step(world, li, "uphold", reason="事故调查报告已认定企业负有责任")
    assert li.state == S.REVIEWED
    li = step(world, li, "decide")
    assert li.state == S.DECIDED and li.decision_number.endswith(f"〔{TODAY.year}〕1号")
    assert li.expires_on == actions.add_years(TODAY, 3) and li.decision_pdf.name.endswith(".pdf")
    assert public_names() == []  # decided but not yet published
    li = step(world, li, "publish")
    assert public_names() == [world["ent_a"].name]
    assert public_names(li.expires_on - timedelta(days=1)) == [world["ent_a"].name]
    assert public_names(li.expires_on) == []  # gone on the day it expires, with no job
    # Credit repair: refused before 12 months; allowed after, with a reason; approved -> gone that day.
    with pytest.raises(ValidationError) as exc:
        step(world, li, "request_repair", persona="ent_a", reason="已整改", on=TODAY + timedelta(days=200))
    assert "12 个月" in str(exc.value)
    later = actions.repair_allowed_from(li)
    li = step(world, li, "request_repair", persona="ent_a", reason="已整改并通过复查", on=later)
    li = step(world, li, "refuse_repair", reason="整改证明不充分", on=later)
    assert li.state == S.PUBLISHED
    li = step(world, li, "request_repair", persona="ent_a", reason="补充整改证明", on=later)
    li = step(world, li, "approve_repair", reason="已消除不良影响", on=later + timedelta(days=5))
    assert li.state == S.REMOVED and li.removed_on == later + timedelta(days=5)
    assert public_names(later + timedelta(days=4)) == [world["ent_a"].name]
    assert public_names(later + timedelta(days=5)) == []
    # The removal was obtained by fraud: revoked, listed again with the original dates.
    decided, expires = li.decided_on, li.expires_on
    li = step(world, li, "revoke_removal", reason="修复材料系伪造", on=later + timedelta(days=30))
    assert (li.state, li.removed_on, li.decided_on, li.expires_on) == (S.PUBLISHED, None, decided, expires)
    assert public_names(later + timedelta(days=30)) == [world["ent_a"].name]


def test_objection_accepted_withdraws(world):
    li = step(world, propose(world), "notify")
    li = step(world, li, "object", persona="ent_a", reason="非本单位责任")
    li = step(world, li, "accept_objection", reason="经核实责任在承包单位")
    assert li.state == S.WITHDRAWN and public_names() == []


def test_decision_waits_for_the_objection_period(world):
    li = step(world, propose(world), "notify")
    with pytest.raises(ValidationError):
        step(world, li, "decide")
    li = step(world, li, "decide", on=li.objection_deadline + timedelta(days=1))
    assert li.state == S.DECIDED


def test_listing_without_a_reason_saves_nothing(world):
    before = Listing.objects.count()
    with pytest.raises(ValidationError) as exc:
        propose(world, situation="")
    assert "列入情形" in str(exc.value)
    assert Listing.objects.count() == before
    resp = Client()
    resp.force_login(world.user("county"))
    r = resp.post(
        reverse("credit:listing_add"), {"subject": "enterprise", "enterprise": world["ent_a"].credit_code, "facts": "x"}
    )
    assert r.status_code == 200 and "列入情形" in r.content.decode() and Listing.objects.count() == before


def test_repair_before_twelve_months_saves_nothing(world):
    li = step(
        world, step(world, step(world, propose(world), "notify"), "decide", on=TODAY + timedelta(days=11)), "publish"
    )
    stored = Listing.objects.filter(pk=li.pk).values().get()
    c = Client()
    c.force_login(world.user("ent_a"))
    r = c.post(reverse("credit:listing_transition", args=[li.pk, "request_repair"]), {"reason": "已整改"}, follow=True)
    assert "列入满 12 个月后方可申请提前移出" in r.content.decode()
    assert Listing.objects.filter(pk=li.pk).values().get() == stored


# ---------------------------------------------------------------- every step from the table

STATE_SETUP = {
    S.PROPOSED: [],
    S.NOTICED: ["notify"],
    S.OBJECTED: ["notify", "object"],
    S.REVIEWED: ["notify", "object", "uphold"],
    S.DECIDED: ["notify", "object", "uphold", "decide"],
    S.PUBLISHED: ["notify", "object", "uphold", "decide", "publish"],
    S.REPAIR_REQUESTED: ["notify", "object", "uphold", "decide", "publish", "request_repair"],
    S.REMOVED: ["notify", "object", "uphold", "decide", "publish", "request_repair", "approve_repair"],
}
PERSONA_OF = {transitions.COUNTY: "county", transitions.PARTY: "ent_a"}
LATER = TODAY + timedelta(days=400)  # past the 12 months of credit repair


def _at(world, state):
    li = propose(world)
    for action in STATE_SETUP[state]:
        li = step(world, li, action, on=LATER if action in ("request_repair", "approve_repair") else None)
    assert li.state == state
    return li


CASES = list(transitions.TABLE)
PERSONAS = ("town_a", "agency_a", "ent_a", "county")  # strangers first, then the parties


@pytest.mark.parametrize(("state", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_table_step(world, state, action):
    """Each persona not named by the table's row is refused and changes nothing; the first named one
    takes the step and the listing reaches the row's target."""
    li = _at(world, state)
    on = LATER if action == "request_repair" else None
    if action == "decide" and state == S.NOTICED:
        on = li.objection_deadline + timedelta(days=1)
    row = transitions.TABLE[(state, action)]
    allowed = [p for p in PERSONAS if any(PERSONA_OF[r] == p for r in row.parties)]
    for persona in PERSONAS:
        if persona in allowed:
            continue
        stored = Listing.objects.filter(pk=li.pk).values().get()
        with pytest.raises(PermissionDenied):
            step(world, li, action, persona=persona, on=on)
        assert Listing.objects.filter(pk=li.pk).values().get() == stored
    li = step(world, li, action, persona=allowed[0], on=on)
    assert li.state == row.target


def test_steps_not_in_the_table_are_refused(world):
    li = _at(world, S.PROPOSED)
    for action in transitions.ACTIONS:
        if (S.PROPOSED, action) not in transitions.TABLE:
            with pytest.raises(ValidationError):
                step(world, li, action)


def test_expiry_warnings(world):
    from safeserve.notifications.models import Notification

    li = _at(world, S.PUBLISHED)
    sent = actions.warn_expiring(li.expires_on - timedelta(days=30))
    sent += actions.warn_expiring(li.expires_on)
    sent += actions.warn_expiring(li.expires_on)  # the same day twice: one message
    county = User.objects.get(username="county")
    titles = list(Notification.objects.filter(recipient=county).values_list("title", flat=True))
    assert sent == 2 and len(titles) == 2 and any("今日届满" in t for t in titles)


def test_the_party_only_objects_and_asks_for_repair():
    """Written from 11号令, not read from the table: the listed party never decides a step itself."""
    party_steps = {a for (_s, a), row in transitions.TABLE.items() if transitions.PARTY in row.parties}
    assert party_steps == {"object", "request_repair"}
