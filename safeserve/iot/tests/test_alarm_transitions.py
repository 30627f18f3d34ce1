"""The alarm state table, tested exhaustively FROM the table: every state × action × party."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.iot import actions, transitions
from safeserve.iot.choices import AlarmState
from safeserve.iot.ingest import bookkeeping
from safeserve.iot.models import Alarm

pytestmark = pytest.mark.django_db

# A persona of each party for ent_a's alarm (agency_a serves ent_a under a contract), and one outsider.
PERSONAS = {"county": "county", "town_a": "town", "ent_a": "enterprise", "agency_a": "agency", "expert_a": None}
ARGS = {
    "acknowledge": {},
    "assign": {"assignee": "town_a"},
    "record": {"measures": "断开照明回路"},
    "close": {"measures": "更换破损电缆", "result": "复测正常"},
}
FIELDS = ("state", "active", "acknowledged_at", "closed_at", "assignee_id", "measures", "result", "cleared_at")


def put_in_state(alarm: Alarm, state: str) -> Alarm:
    now = timezone.now()
    closed = state == transitions.CLOSED
    active = state in (AlarmState.ACTIVE_UNACK, AlarmState.ACTIVE_ACK)
    acked = closed or state in (AlarmState.ACTIVE_ACK, AlarmState.CLEARED_ACK)
    Alarm.objects.filter(pk=alarm.pk).update(
        active=active,
        state=AlarmState.CLEARED_ACK if closed else state,
        acknowledged_at=now if acked else None,
        cleared_at=None if active else now,
        closed_at=now if closed else None,
    )
    alarm = Alarm.objects.get(pk=alarm.pk)
    assert transitions.state_of(alarm) == state
    return alarm


def row(alarm):
    alarm.refresh_from_db()
    return {f: getattr(alarm, f) for f in FIELDS}


CASES = [
    (state, action, persona)
    for state in transitions.STATES
    for action in transitions.PEOPLES_ACTIONS
    for persona in PERSONAS
]


@pytest.mark.parametrize(("state", "action", "persona"), CASES)
def test_every_cell_of_the_table(world, state, action, persona):
    alarm = put_in_state(world["alarm_a"], state)
    user = world.user(persona)
    cell = transitions.lookup(state, action)
    allowed = cell is not None and PERSONAS[persona] in cell.parties
    assert (action in transitions.allowed_actions(user, alarm)) == allowed  # what the page offers
    kwargs = {k: world.user(v) if k == "assignee" else v for k, v in ARGS[action].items()}
    fn = getattr(actions, f"alarm_{action}")
    if allowed:
        done = fn(actor=user, alarm=alarm, **kwargs)
        assert transitions.state_of(done) == cell.target
        assert done.state == (AlarmState.CLEARED_ACK if cell.target == transitions.CLOSED else cell.target)
    else:
        before = row(alarm)
        with pytest.raises((PermissionDenied, ValidationError)):
            fn(actor=user, alarm=alarm, **kwargs)
        assert row(alarm) == before


@pytest.mark.parametrize("state", transitions.STATES)
def test_the_pipelines_clear_follows_the_table(world, state):
    alarm = put_in_state(world["alarm_a"], state)
    cell = transitions.lookup(state, "clear")
    before = row(alarm)
    bookkeeping.clear_alarms([alarm.pk], timezone.now())
    after = row(alarm)
    if cell is None:
        assert after == before
    else:
        assert transitions.SYSTEM in cell.parties and after["state"] == cell.target and not after["active"]


def test_no_person_clears_and_the_system_takes_no_peoples_step():
    for (_state, action), cell in transitions.TABLE.items():
        assert (cell.parties == {transitions.SYSTEM}) == (action == "clear")
    assert set(transitions.ACTIONS) == {a for _s, a in transitions.TABLE}


def test_only_the_alarms_handlers_may_be_assigned(world):
    """The rule lives in queries/actions, not in the page's form: a county officer sees the alarm but
    is not one of its handlers, so the action refuses them even without the form."""
    from safeserve.iot import queries

    alarm, ent = world["alarm_a"], world.user("ent_a")
    handlers = set(queries.alarm_handlers(alarm).values_list("username", flat=True))
    assert {"ent_a", "town_a", "agency_a"} <= handlers and not handlers & {"county", "town_b", "ent_b"}
    before = row(alarm)
    with pytest.raises(ValidationError) as exc:
        actions.alarm_assign(actor=ent, alarm=alarm, assignee=world.user("county"))
    assert "assignee" in exc.value.message_dict and row(alarm) == before
    assert actions.alarm_assign(actor=ent, alarm=alarm, assignee=world.user("agency_a")).assignee.username == "agency_a"
