import io
import random

import pytest
from django.core.management import call_command

from safeserve.associations.models import Campaign, Membership
from safeserve.registry.models import Enterprise
from safeserve.training.models import Attendance, Certificate
from safeserve_dev.associations_seed import seed_associations
from safeserve_dev.training_seed import seed_training

pytestmark = pytest.mark.django_db


def test_seeds_make_memberships_campaigns_and_training_records(world):
    assoc = world["assoc_a"]
    for n in range(5):  # enough members for a campaign
        assoc.members.add(
            Enterprise.objects.create(**{**_copy(world["ent_a"]), "credit_code": _code(n), "name": f"会员{n}"})
        )
    rng = random.Random(3)
    out = io.StringIO()
    counts = seed_associations(rng, out)
    assert Membership.objects.filter(association=assoc, left_on__isnull=True).count() == 6
    assert counts["campaigns"] >= 1 and Campaign.objects.filter(association=assoc).exists()
    counts = seed_training(rng, out, records=300)
    assert counts["attendance"] == Attendance.objects.count() == 300
    assert Certificate.objects.count() == counts["certificates"]
    for a in Attendance.objects.all()[:50]:
        a.full_clean()  # bulk-created rows are valid records (ID check digits, hours within the course)


def _copy(ent):
    return {f: getattr(ent, f) for f in ("address", "town_id", "industry_id", "legal_representative", "size_class")}


def _code(n):
    from safeserve_dev.testkit import make_credit_code

    return make_credit_code(500 + n)


def test_seed_demo_command_calls_both(db):
    out = io.StringIO()
    call_command("seed_demo", "--enterprises", "60", "--no-accounts", "--services-scale", "0.002", stdout=out)
    text = out.getvalue()
    assert "互查活动" in text and "培训记录" in text
