"""The demo seed: every state, bids with their checks, contracts paid by the buyer, the rules hold."""

import random
from decimal import Decimal

from django.db.models import Sum

from safeserve.procurement.models import Bid, Payment, Project
from safeserve.registry.models import Enterprise
from safeserve_dev.procurement_seed import reset_procurement, seed_procurement


def test_seed_and_reset(world):
    counts = seed_procurement(random.Random(7))
    assert counts["projects"] == 20
    states = set(Project.objects.values_list("status", flat=True))
    assert states == {"draft", "approved", "procuring", "performing", "evaluated", "closed", "cancelled"}
    assert Bid.objects.exists() and all(b.checks for b in Bid.objects.all())
    for p in Project.objects.exclude(contract=None).select_related("contract"):
        c = p.contract
        assert (c.payer_type, c.payer_town_id) == (("town", p.buyer_town_id) if p.buyer_town_id else ("county", None))
        paid = Payment.objects.filter(project=p).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        assert paid <= c.fee
        assert not Enterprise.objects.filter(pk__in=p.targets.values("pk"), is_hazchem=True).exists() or (
            p.service_type not in ("evaluation", "testing", "training")
        )
    assert reset_procurement() > 0
    assert not Project.objects.exists()
