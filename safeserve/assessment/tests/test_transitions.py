"""The workflow table, tested FROM the table: every state × action × persona, through the actions."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.assessment import actions, transitions
from safeserve.assessment.choices import AssessmentState, ObjectionState
from safeserve.assessment.models import Assessment, Objection, Score
from safeserve_dev import permsuite
from safeserve_dev.assessment_fixtures import extend_world

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

# Each persona's relation to sheet A (town A's): the county, its own town, another town, strangers.
PERSONA_PARTIES = {
    "county": {transitions.COUNTY},
    "town_a": {transitions.SUBJECT},
    "town_b": set(),
    "ent_a": set(),
    "agency_a": set(),
}


def run(action, actor, w):
    o = w.objs
    if action == "object":
        return actions.objection_raise(actor=actor, score=o["score_a"], note="再次提出")
    if action == "rule":
        return actions.objection_rule(actor=actor, objection=o["objection_a"], upheld=False, reason="数据无误")
    if action == "adjust":
        return actions.score_adjust(actor=actor, score=o["score_a"], points=1, reason="核减")
    if action == "finalise":
        return actions.assessment_finalise(actor=actor, assessment=o["assessment"])
    raise AssertionError(action)


def prepare_finalise(w):
    """Make finalising possible but for the table: deadline past, objections ruled, manual scores in."""
    county = w.user("county")
    a = w["assessment"]
    for side in ("a", "b"):
        Objection.objects.filter(pk=w[f"objection_{side}"].pk).update(state=ObjectionState.DISMISSED, ruling="x")
    Score.objects.filter(sheet__assessment=a, indicator__rule="manual").update(adjusted=5, adjust_reason="x")
    Assessment.objects.filter(pk=a.pk).update(
        cut_off=timezone.localdate() - timedelta(days=3), objection_deadline=timezone.localdate() - timedelta(days=1)
    )
    return county


CASES = [
    (state, action, persona)
    for state in AssessmentState.values
    for action in transitions.ACTIONS
    for persona in PERSONA_PARTIES
]


@pytest.mark.parametrize(("state", "action", "persona"), CASES)
def test_every_cell_of_the_table(world, db, state, action, persona):
    a = world["assessment"]
    Assessment.objects.filter(pk=a.pk).update(state=state)
    if action == "finalise":
        prepare_finalise(world)
    row = transitions.TABLE.get((state, action))
    expected = bool(row and PERSONA_PARTIES[persona] & row[1])
    fresh = Assessment.objects.get(pk=a.pk)
    assert transitions.allowed(world.user(persona), fresh, action, world["sheet_a"]) == expected
    before = (fresh.state, list(Score.objects.filter(sheet__assessment=a).values_list("pk", "adjusted")))
    if expected:
        run(action, world.user(persona), world)
        after = Assessment.objects.get(pk=a.pk).state
        assert after == row[0]
    else:
        with pytest.raises((PermissionDenied, ValidationError)):
            run(action, world.user(persona), world)
        fresh = Assessment.objects.get(pk=a.pk)
        assert (fresh.state, list(Score.objects.filter(sheet__assessment=a).values_list("pk", "adjusted"))) == before


def test_the_table_names_only_known_states_actions_and_parties():
    for (state, action), (target, parties) in transitions.TABLE.items():
        assert state in AssessmentState.values and target in AssessmentState.values
        assert action in transitions.ACTIONS and parties <= set(transitions.PARTIES)
    assert not [k for k in transitions.TABLE if k[0] == AssessmentState.FINAL], "a final assessment takes no step"
