"""Two officers record payments on the same project at the same moment: the project row is locked
for each payment, so the sum never exceeds the contract (or the pre-evaluation share). Real
concurrency needs PostgreSQL (SQLite serialises writers on its own); skipped elsewhere."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from safeserve.procurement import actions
from safeserve.procurement.models import Payment
from safeserve_dev.procurement_fixtures import make_awarded

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_concurrent_payments_never_exceed_the_contract(world):
    if connection.vendor != "postgresql":
        pytest.skip("real row locks: run with DATABASE_URL=postgres://…")
    p = make_awarded(world, amount="100000")
    town = world.user("town_a")
    barrier = threading.Barrier(2)
    outcomes = []

    def pay():
        try:
            barrier.wait()
            actions.payment_record(
                actor=town, project=p, kind="progress", amount=Decimal("50000"), paid_on=timezone.localdate()
            )
            outcomes.append("paid")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # 70% of 100,000 may be paid before the evaluation: one 50,000 passes, the other is refused.
    assert sorted(outcomes) == ["paid", "refused"]
    assert Payment.objects.filter(project=p).aggregate(s=Sum("amount"))["s"] == Decimal("50000")
