import io
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db.models import Sum

from safeserve.registry.models import Agency, Enterprise
from safeserve.subsidies.choices import GRANTED_STATES
from safeserve.subsidies.models import SubsidyApplication, SubsidyPolicy
from safeserve_dev.services_seed import seed_services
from safeserve_dev.subsidies_seed import reset_subsidies, seed_subsidies
from safeserve_dev.testkit import make_credit_code

pytestmark = pytest.mark.django_db


def test_seed_keeps_budget_and_cap_and_reaches_every_state(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rng = random.Random(5)
    common = {"address": "x", "industry": world["industry"], "legal_representative": "某"}
    Enterprise.objects.bulk_create(
        Enterprise(
            credit_code=make_credit_code(3000 + i),
            name=f"补贴种子{i}",
            town=world["town_a"] if i % 2 else world["town_b"],
            size_class="micro" if i % 3 else "small",
            is_hazchem=i % 10 == 0,
            **common,
        )
        for i in range(120)
    )
    seed_services(
        rng, Enterprise.objects.order_by("pk"), Agency.objects.order_by("pk"), contracts=120, visits=0, hazards=0
    )
    out = io.StringIO()
    counts = seed_subsidies(rng, out, applications=80)
    assert counts["policies"] == 4 and 30 <= counts["applications"] <= 80, counts
    assert "服务补贴" in out.getvalue()
    apps = SubsidyApplication.objects.select_related("enterprise", "policy")
    assert {a.status for a in apps} >= {"submitted", "approved", "paid", "rejected"}
    assert not any(a.enterprise.is_hazchem for a in apps)
    for policy in SubsidyPolicy.objects.all():
        granted = policy.applications.filter(status__in=GRANTED_STATES).aggregate(s=Sum("approved_amount"))["s"]
        assert (granted or 0) <= policy.budget
    per_ent = defaultdict(Decimal)
    for a in apps:
        if a.status in GRANTED_STATES:
            per_ent[(a.enterprise_id, a.policy.year)] += a.approved_amount
            assert a.approved_amount <= a.proposed_amount
    caps = {p.pk: p.cap for p in SubsidyPolicy.objects.all()}
    assert all(v <= max(caps.values()) for v in per_ent.values())
    assert all(a.invoice.storage.exists(a.invoice.name) for a in apps[:3])
    reset_subsidies(out)
    assert not SubsidyPolicy.objects.exists()
