"""The one shape of the platform's state machines (CONVENTIONS: state machines in one place).

Each app's ``transitions.py`` declares its table as data, ``(state, action) -> Transition(target,
parties)``, and decides the actor's *relations* to a record (their parties: ``county``, ``town``,
``buyer``, ``handler``...). The questions every app asks of its table live here once: the step for a
state and action, whether any of the actor's relations may take it, the actions open from a state, and
every party that may take an action somewhere. The actions layer enforces the table, pages offer the
buttons it allows, and tests are generated from it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Transition:
    target: str
    parties: frozenset


def step(target, *parties) -> Transition:
    return Transition(target, frozenset(parties))


class StateTable(dict):
    """``{(state, action): Transition}`` with the questions asked of it."""

    def lookup(self, state, action: str) -> Transition | None:
        return self.get((state, action))

    def allows(self, state, action: str, relations) -> bool:
        t = self.get((state, action))
        return bool(t and set(relations) & t.parties)

    def actions_from(self, state, relations) -> list[str]:
        rel = set(relations)
        return [a for (s, a), t in self.items() if s == state and rel & t.parties]

    def parties_for(self, action: str) -> frozenset:
        """Every party that may take ``action`` in some state."""
        return frozenset().union(*(t.parties for (_s, a), t in self.items() if a == action))
