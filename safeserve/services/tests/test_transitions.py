"""The contract state table, tested exhaustively FROM the table: every state × action × party × payer."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from safeserve.core.audit import AuditLog
from safeserve.services import actions, transitions
from safeserve.services.choices import ContractStatus, PayerType
from safeserve.services.models import ServiceContract
from safeserve_dev.services_fixtures import make_contract

pytestmark = pytest.mark.django_db

T = transitions
# Each persona's relation to the test contract (agency_a serving ent_a), by who pays for it.
# ``None`` stands for the daily job (no user).
PERSONA_RELATIONS = {
    PayerType.ENTERPRISE: {
        None: {T.SYSTEM},
        "county": {T.COUNTY},
        "town_a": set(),  # sees it (ent_a is in its town) but does not pay for it
        "town_b": set(),
        "ent_a": {T.ENTERPRISE},
        "agency_a": {T.AGENCY},
        "expert_a": set(),
    },
    PayerType.TOWN: {
        None: {T.SYSTEM},
        "county": {T.COUNTY},
        "town_a": {T.TOWN},
        "town_b": set(),
        "ent_a": set(),  # served, but the town pays
        "agency_a": {T.AGENCY},
        "expert_a": set(),
    },
}

CASES = [
    (payer, state, action, persona)
    for payer in PERSONA_RELATIONS
    for state in ContractStatus.values
    for action in T.ACTIONS
    for persona in PERSONA_RELATIONS[payer]
]


def _contract(world, payer, state):
    town = world["town_a"] if payer == PayerType.TOWN else None
    return make_contract(world, status=state, payer_type=payer, payer_town=town)


@pytest.mark.parametrize(("payer", "state", "action", "persona"), CASES)
def test_every_cell_of_the_table(world, payer, state, action, persona):
    contract = _contract(world, payer, state)
    user = world.user(persona) if persona else None
    t = T.lookup(state, action)
    expected = bool(t and PERSONA_RELATIONS[payer][persona] & t.parties)
    audits_before = AuditLog.objects.count()

    assert T.allowed(user, contract, action) == expected
    if user is not None:
        offered = action in actions.contract_actions_for(user, contract)
        assert offered == (expected and action not in T.NOT_ON_PAGES)
    if expected:
        fresh = actions.contract_transition(actor=user, contract=contract, action=action)
        assert fresh.status == t.target
        assert ServiceContract.objects.get(pk=contract.pk).status == t.target
        log = AuditLog.objects.latest("id")
        assert log.changes == {"status": [state, t.target]}
        assert log.actor_id == (user.pk if user else None)
        if action == "terminate":
            assert fresh.terminated_on is not None
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            actions.contract_transition(actor=user, contract=contract, action=action)
        assert ServiceContract.objects.get(pk=contract.pk).status == state
        assert AuditLog.objects.count() == audits_before


def test_relations_match_the_personas(world):
    for payer, personas in PERSONA_RELATIONS.items():
        contract = _contract(world, payer, ContractStatus.ACTIVE)
        for persona, rel in personas.items():
            user = world.user(persona) if persona else None
            assert T.relations(user, contract) == rel, (payer, persona)
        contract.delete()


def test_table_covers_only_known_states_actions_and_parties():
    for (state, action), t in T.TABLE.items():
        assert state in ContractStatus.values and t.target in ContractStatus.values
        assert action in T.ACTIONS
        assert t.parties <= set(T.PARTIES)
    # Nothing leaves an ended contract; only the county and the job expire one; the job does nothing else.
    ended = {ContractStatus.EXPIRED, ContractStatus.TERMINATED}
    assert not any(s in ended for s, _ in T.TABLE)
    assert T.parties_for("expire") == {T.COUNTY, T.SYSTEM}
    assert {a for (_s, a), t in T.TABLE.items() if T.SYSTEM in t.parties} == {"expire"}
    assert set(T.ACTIONS) == {a for _s, a in T.TABLE}


def test_unknown_action_is_refused(world):
    contract = _contract(world, PayerType.ENTERPRISE, ContractStatus.DRAFT)
    with pytest.raises(ValidationError):
        actions.contract_transition(actor=world.user("county"), contract=contract, action="approve")
