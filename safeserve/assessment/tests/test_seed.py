import io
import random

import pytest

from safeserve.assessment import actions
from safeserve.assessment.models import Assessment
from safeserve.registry.models import Agency, Enterprise
from safeserve_dev.assessment_seed import seed_assessment
from safeserve_dev.services_seed import seed_services

pytestmark = pytest.mark.django_db


def test_demo_has_a_finalised_assessment_for_last_year_and_an_open_one_for_this_year(world):
    rng = random.Random(7)
    seed_services(rng, Enterprise.objects.all(), Agency.objects.all(), contracts=2, visits=40, hazards=60)
    assert seed_assessment(rng, io.StringIO()) == {"assessments": 2}
    old, new = Assessment.objects.order_by("year")
    assert old.state == "final" and new.state == "open" and new.year == old.year + 1
    assert old.sheets.count() == new.sheets.count() == 2
    assert actions.verify_assessment(old) == [] and actions.verify_assessment(new) == []
    assert seed_assessment(rng, io.StringIO()) == {"assessments": 0}  # once only
    # With coverage installed, the demo scheme scores the policy's 5% participation target too.
    assert new.scheme.indicators.filter(source="coverage.overall").exists()
    assert sum(i.weight for i in new.scheme.indicators.all()) == 100
