"""The state table, tested exhaustively FROM the table: every state × action × party × level."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.hazards import actions, transitions
from safeserve.hazards.choices import HazardLevel, HazardState
from safeserve.hazards.models import Hazard, HazardEvent, MajorHazardCriterion, RemediationPlan
from safeserve_dev.services_fixtures import make_contract, png

pytestmark = pytest.mark.django_db

# Each persona's relation to the test hazard (ent_a's, reported by agency_a, acceptance appointed to agency_b).
PERSONA_RELATIONS = {
    "county": {transitions.COUNTY},
    "town_a": {transitions.TOWN},
    "town_b": set(),
    "ent_a": {transitions.ENTERPRISE},
    "agency_a": {transitions.AGENCY},
    "agency_b": {transitions.APPOINTED},
}
PLAN = {
    "objective": "消除除尘系统爆炸风险",
    "method": "加装泄爆片和锁气卸灰装置",
    "funding": "企业自筹 8 万元",
    "organization": "设备部，负责人张三",
    "timeline": "30 日内完成",
    "safety_measures": "停用相关工段，配备灭火器材，制定专项应急预案",
}


def make_hazard(world, level, state):
    criterion = MajorHazardCriterion.objects.get(code="SP-FC-3") if level == HazardLevel.MAJOR else None
    h = Hazard.objects.create(
        enterprise=world["ent_a"],
        town=world["town_a"],
        agency=world["agency_a"],
        source="visit",
        level=level,
        criterion=criterion,
        location="抛光车间除尘器",
        description="干式除尘系统未采取泄爆措施",
        responsible_person="张三",
        deadline=timezone.localdate() + timedelta(days=10),
        state=state,
        acceptor_agency=world["agency_b"],
        supervised=level == HazardLevel.MAJOR,
    )
    if level == HazardLevel.MAJOR:
        RemediationPlan.objects.create(hazard=h, **PLAN)
    return h


@pytest.fixture
def parties(world):
    make_contract(world)  # agency_a serves ent_a
    u = User(username="agency_b", role=Role.AGENCY, agency=world["agency_b"], full_name="钱工")
    u.set_password("x")
    u.save()
    world.users["agency_b"] = u
    return world


CASES = [
    (level, state, action, persona)
    for level in (HazardLevel.GENERAL, HazardLevel.MAJOR)
    for state in HazardState.values
    for action in transitions.ACTIONS
    for persona in PERSONA_RELATIONS
]


@pytest.mark.parametrize(("level", "state", "action", "persona"), CASES)
def test_every_cell_of_the_table(parties, level, state, action, persona):
    world = parties
    hazard = make_hazard(world, level, state)
    user = world.user(persona)
    t = transitions.lookup(state, action)
    expected = bool(t and PERSONA_RELATIONS[persona] & t.roles[level])
    events_before = HazardEvent.objects.filter(hazard=hazard).count()

    def do():
        if action == "plan":
            return actions.hazard_save_plan(actor=user, hazard=hazard, **PLAN)
        return actions.hazard_transition(
            actor=user,
            hazard=hazard,
            action=action,
            note="整改完成，已加装泄爆片",
            photos=[png()],
            acceptor_agency=world["agency_b"],
        )

    assert transitions.allowed(user, Hazard.objects.get(pk=hazard.pk), action) == expected
    if expected:
        do()
        hazard.refresh_from_db()
        assert hazard.state == t.target
        event = HazardEvent.objects.filter(hazard=hazard).latest("id")
        assert (event.action, event.actor_id, event.from_state, event.to_state) == (action, user.pk, state, t.target)
        assert event.at is not None
        if t.target == HazardState.CLOSED:
            assert hazard.closed_at is not None
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            do()
        hazard.refresh_from_db()
        assert hazard.state == state
        assert HazardEvent.objects.filter(hazard=hazard).count() == events_before


def test_relations_match_the_personas(parties):
    hazard = make_hazard(parties, HazardLevel.MAJOR, HazardState.AWAITING)
    for persona, rel in PERSONA_RELATIONS.items():
        assert transitions.relations(parties.user(persona), hazard) == rel, persona


def test_table_covers_only_known_states_and_actions():
    for (state, action), t in transitions.TABLE.items():
        assert state in HazardState.values and t.target in HazardState.values
        assert action in transitions.ACTIONS
        for roles in t.roles.values():
            assert roles <= set(transitions.RELATIONS)
    # Nothing leaves the closed state; a major hazard is accepted only by officers or the appointed agency.
    assert not any(s == HazardState.CLOSED for s, _ in transitions.TABLE)
    assert transitions.TABLE[(HazardState.AWAITING, "accept")].roles[HazardLevel.MAJOR] == {
        "appointed",
        "town",
        "county",
    }


def test_major_needs_complete_plan_before_rectifying(parties):
    world = parties
    h = make_hazard(world, HazardLevel.MAJOR, HazardState.REPORTED)
    RemediationPlan.objects.filter(hazard=h).delete()
    with pytest.raises(ValidationError, match="治理方案"):
        actions.hazard_transition(actor=world.user("ent_a"), hazard=h, action="start")
    with pytest.raises(ValidationError):
        actions.hazard_save_plan(actor=world.user("ent_a"), hazard=h, **{**PLAN, "funding": ""})
    actions.hazard_save_plan(actor=world.user("ent_a"), hazard=h, **PLAN)
    h = actions.hazard_transition(actor=world.user("ent_a"), hazard=h, action="start", note="开始整改")
    assert h.state == HazardState.RECTIFYING


def test_guards_submit_and_reject_need_content(parties):
    world = parties
    h = make_hazard(world, HazardLevel.GENERAL, HazardState.RECTIFYING)
    with pytest.raises(ValidationError):
        actions.hazard_transition(actor=world.user("ent_a"), hazard=h, action="submit")
    h = actions.hazard_transition(actor=world.user("ent_a"), hazard=h, action="submit", photos=[png()])
    with pytest.raises(ValidationError):
        actions.hazard_transition(actor=world.user("agency_a"), hazard=h, action="reject")
    h = actions.hazard_transition(actor=world.user("agency_a"), hazard=h, action="reject", note="照片不清晰")
    assert h.state == HazardState.RECTIFYING
