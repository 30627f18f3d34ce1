"""The shared state-table questions (core/transitions.py) on a small table of their own."""

from safeserve.core.transitions import StateTable, Transition, step

TABLE = StateTable(
    {
        ("draft", "approve"): step("approved", "buyer"),
        ("draft", "cancel"): step("cancelled", "buyer", "county"),
        ("approved", "cancel"): step("cancelled", "county"),
    }
)


def test_a_step_is_its_target_and_parties():
    assert TABLE.lookup("draft", "cancel") == Transition("cancelled", frozenset({"buyer", "county"}))
    assert TABLE.lookup("approved", "approve") is None


def test_a_step_is_allowed_only_to_a_party_named_for_it_in_that_state():
    assert TABLE.allows("draft", "approve", {"buyer"})
    assert not TABLE.allows("draft", "approve", {"county"})
    assert not TABLE.allows("approved", "cancel", {"buyer"})  # the same action, another state
    assert not TABLE.allows("draft", "approve", set())  # no relation to the record: nothing
    assert not TABLE.allows("closed", "approve", {"buyer", "county"})  # no such step


def test_the_actions_open_from_a_state_and_the_parties_of_an_action():
    assert TABLE.actions_from("draft", {"county"}) == ["cancel"]
    assert TABLE.actions_from("draft", {"buyer"}) == ["approve", "cancel"]
    assert TABLE.actions_from("draft", set()) == []
    assert TABLE.parties_for("cancel") == {"buyer", "county"}
    assert TABLE.parties_for("nothing") == frozenset()
