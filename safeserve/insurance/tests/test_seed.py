import io
import random

import pytest
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.insurance import queries
from safeserve.insurance.models import Claim, Complaint, Evaluation, Policy, PreventionPlan
from safeserve.services.models import ServiceVisit
from safeserve_dev.insurance_seed import reset_insurance, seed_insurance

pytestmark = pytest.mark.django_db


def test_seed_makes_policies_plans_visits_and_resets(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from safeserve.registry.models import Enterprise, Industry

    Enterprise.objects.filter(pk=world["ent_a"].pk).update(industry=Industry.objects.get(code="C31"))  # mandatory
    User.objects.create(username="demo_agency", role=Role.AGENCY, agency=world["agency_a"])
    User.objects.create(username="demo_expert", role=Role.EXPERT, expert=world["expert_a"])
    out = io.StringIO()
    counts = seed_insurance(random.Random(5), out, policies=2)
    assert Policy.objects.count() == counts["policies"] == 1  # ent_b; ent_a is left uninsured (85% of 1)
    assert PreventionPlan.objects.count() == counts["plans"]
    assert Claim.objects.count() >= 1 and Complaint.objects.count() == min(60, counts["plans"])
    assert "安责险" in out.getvalue()
    assert Evaluation.objects.count() == counts["evaluations"]
    for ev in Evaluation.objects.all():
        assert ev.year == timezone.localdate().year and ev.get_conclusion_display()
    assert ServiceVisit.objects.filter(contract__payer_type="insurer").count() == counts["visits"]
    # A contract whose policy year is over is not left 履行中 (visits on it would be refused).
    from safeserve.services.models import ServiceContract

    assert not ServiceContract.objects.filter(status="active", end_date__lt=timezone.localdate()).exists()
    assert list(queries.uninsured(world.user("county"), timezone.localdate())) == [world["ent_a"]]
    # Expert-only plans record their visits through the insurance action (the expert's chain).
    from django.core.management import call_command

    from safeserve.insurance.models import PreventionVisit

    assert PreventionVisit.objects.count() == counts["expert_visits"]
    call_command("verify_records", stdout=io.StringIO())
    reset_insurance(out)
    assert not Policy.objects.exists() and not PreventionVisit.objects.exists()
