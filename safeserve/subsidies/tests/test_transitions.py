"""The application's and the policy's state tables, tested exhaustively FROM the tables: every
state × action × persona, through the actions layer."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.subsidies import actions, transitions
from safeserve.subsidies.choices import ApplicationStatus, PolicyStatus
from safeserve.subsidies.models import SubsidyApplication, SubsidyPolicy
from safeserve_dev.subsidies_fixtures import make_application, make_own_contract, make_policy

pytestmark = pytest.mark.django_db

# Each persona's relation to town A's policy and enterprise A's application.
PERSONA_RELATIONS = {
    "county": {transitions.COUNTY},
    "town_a": {transitions.TOWN},
    "town_b": set(),
    "ent_a": {transitions.ENTERPRISE},
    "agency_a": set(),
    "insurer_a": set(),
}

CASES = [
    (state, action, persona)
    for state in ApplicationStatus.values
    for action in transitions.ACTIONS
    for persona in PERSONA_RELATIONS
]


def _app(world, state):
    policy = make_policy(world)
    contract = make_own_contract(world, number="T-1")
    extra = {}
    if state in (ApplicationStatus.APPROVED, ApplicationStatus.PAID):
        extra["approved_amount"] = Decimal("4000.00")
    return make_application(world, policy, contract, status=state, **extra)


def _do(world, user, app, action):
    if action == "pay":
        return actions.application_pay(
            actor=user, application=app, paid_on=timezone.localdate(), amount=Decimal("4000.00"), voucher_number="PZ-1"
        )
    return actions.application_step(actor=user, application=app, action=action, reason="理由")


@pytest.mark.parametrize(("state", "action", "persona"), CASES)
def test_every_cell_of_the_application_table(world, state, action, persona):
    app = _app(world, state)
    user = world.user(persona)
    row = transitions.lookup(state, action)
    expected = bool(row and PERSONA_RELATIONS[persona] & row[1])
    assert transitions.allowed(user, SubsidyApplication.objects.get(pk=app.pk), action) == expected
    if expected:
        _do(world, user, app, action)
        app.refresh_from_db()
        assert app.status == row[0]
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            _do(world, user, app, action)
        app.refresh_from_db()
        assert app.status == state


POLICY_CASES = [
    (state, action, persona)
    for state in PolicyStatus.values
    for action in transitions.POLICY_ACTIONS
    for persona in PERSONA_RELATIONS
]


@pytest.mark.parametrize(("state", "action", "persona"), POLICY_CASES)
def test_every_cell_of_the_policy_table(world, state, action, persona):
    policy = make_policy(world, status=state)
    user = world.user(persona)
    row = transitions.lookup(state, action, transitions.POLICY_TABLE)
    expected = bool(row and PERSONA_RELATIONS[persona] & row[1])
    assert transitions.policy_allowed(user, policy, action) == expected
    if expected:
        actions.policy_step(actor=user, policy=policy, action=action)
        policy.refresh_from_db()
        assert policy.status == row[0]
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            actions.policy_step(actor=user, policy=policy, action=action)
        assert SubsidyPolicy.objects.get(pk=policy.pk).status == state


def test_relations_match_the_personas(world):
    app = _app(world, ApplicationStatus.SUBMITTED)
    for persona, rel in PERSONA_RELATIONS.items():
        assert transitions.relations(world.user(persona), app) == rel, persona
        assert transitions.relations(world.user(persona), app.policy) == rel - {transitions.ENTERPRISE}, persona


def test_the_tables_hold_only_known_states_and_actions():
    for (state, action), (target, parties) in transitions.TABLE.items():
        assert state in ApplicationStatus.values and target in ApplicationStatus.values
        assert action in transitions.ACTIONS and parties <= set(transitions.PARTIES)
    for (state, action), (target, parties) in transitions.POLICY_TABLE.items():
        assert state in PolicyStatus.values and target in PolicyStatus.values
        assert action in transitions.POLICY_ACTIONS and parties <= set(transitions.PARTIES)
    # Nothing leaves a final state; money moves only by the town.
    finals = {ApplicationStatus.PAID, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}
    assert not any(s in finals for s, _a in transitions.TABLE)
    for a in ("approve", "pay"):
        assert all(parties == {transitions.TOWN} for (s, act), (_t, parties) in transitions.TABLE.items() if act == a)
