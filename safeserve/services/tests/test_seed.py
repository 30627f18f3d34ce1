import random

import pytest
from django.core.management import call_command

from safeserve.hazards.models import Hazard
from safeserve.registry.models import Agency, Enterprise
from safeserve.services.chain import verify_all
from safeserve.services.models import ServiceContract, ServiceVisit
from safeserve_dev.services_seed import seed_services

pytestmark = pytest.mark.django_db


def test_seed_is_consistent_and_verifies(world):
    rng = random.Random(7)
    counts = seed_services(rng, Enterprise.objects.all(), Agency.objects.all(), contracts=2, visits=40, hazards=60)
    assert counts == {"contracts": 2, "visits": 40, "hazards": 60}
    assert ServiceContract.objects.count() == 2
    assert Hazard.objects.count() == 60
    assert ServiceVisit.objects.count() == counts["visits"]
    report = verify_all()
    assert report.ok, report.broken[:3]
    # Seeding again continues each agency's chain.
    seed_services(rng, Enterprise.objects.all(), Agency.objects.all(), contracts=2, visits=10, hazards=0)
    assert verify_all().ok
    call_command("verify_records")
