import random
from io import StringIO

import pytest
from django.utils import timezone

from safeserve.tipoffs import actions
from safeserve.tipoffs.choices import RewardState, TipoffState
from safeserve.tipoffs.models import Tipoff, TipoffReward, is_handler
from safeserve_dev.tipoffs_seed import PASSWORD, reset_tipoffs, seed_tipoffs

pytestmark = pytest.mark.django_db


def test_demo_reports_cover_every_state_and_open_with_the_demo_password(world):
    out = StringIO()
    assert seed_tipoffs(random.Random(3), out)["tipoffs"] == 12
    assert set(Tipoff.objects.values_list("state", flat=True)) == set(TipoffState.values)
    assert set(TipoffReward.objects.values_list("state", flat=True)) == set(RewardState.values)
    assert Tipoff.objects.filter(state="accepted", deadline__lt=timezone.localdate()).exists()  # overdue
    assert Tipoff.objects.exclude(extension_reason="").exists()
    assert is_handler(type(world.user("county")).objects.get(username="county"))
    t = Tipoff.objects.first()
    assert actions.tipoff_lookup(code=t.code, password=PASSWORD, client_ip="1.2.3.4") == t
    assert seed_tipoffs(random.Random(3), out)["tipoffs"] == 0  # a second run skips
    reset_tipoffs()
    assert not Tipoff.objects.exists()
