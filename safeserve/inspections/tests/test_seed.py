import random

import pytest

from safeserve.core import draws
from safeserve.core.models import Draw
from safeserve.inspections.models import Inspection, InspectionPlan, PlanTarget
from safeserve_dev.inspections_seed import reset_inspections, seed_inspections
from safeserve_dev.testkit import make_credit_code

pytestmark = pytest.mark.django_db


class Out:
    def __init__(self):
        self.lines = []

    def write(self, s):
        self.lines.append(s)


def test_seed_makes_a_plan_with_verifiable_draws_and_inspections(world):
    from safeserve.registry.models import Enterprise

    Enterprise.objects.filter(pk=world["ent_a"].pk).update(risk_level="red")
    for n in range(5):
        Enterprise.objects.create(
            credit_code=make_credit_code(500 + n),
            name=f"演示{n}",
            address="路",
            town=world["town_a"],
            industry=world["industry"],
            legal_representative="甲",
        )
    counts = seed_inspections(random.Random(3), Out())
    plan = InspectionPlan.objects.get()
    assert plan.status == "committed" and counts["plans"] == 1
    assert PlanTarget.objects.filter(plan=plan, kind="mandatory", enterprise=world["ent_a"]).exists()
    for d in Draw.objects.filter(purpose__startswith="inspections.", status="drawn"):
        assert draws.verify(d).ok
    assert Inspection.objects.count() == counts["inspections"]
    reset_inspections()
    assert not InspectionPlan.objects.exists() and not Draw.objects.filter(purpose__startswith="inspections.").exists()
