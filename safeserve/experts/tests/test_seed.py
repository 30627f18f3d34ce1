"""The demo seeder: 300 experts with profiles, and draws that verify."""

import io
import random

from safeserve.core import draws
from safeserve.core.models import Draw
from safeserve.experts.models import ExpertProfile, Invitation
from safeserve_dev.experts_seed import seed_experts


def test_seed_fills_the_pool_and_every_draw_verifies(world):
    out = io.StringIO()
    seed_experts(random.Random(7), out)
    assert ExpertProfile.objects.count() == 300
    expert_draws = list(Draw.objects.filter(purpose="expert"))
    assert expert_draws and all(draws.verify(d).ok for d in expert_draws)
    assert Invitation.objects.exists()
    seed_experts(random.Random(7), out)  # a second run adds nothing
    assert Draw.objects.filter(purpose="expert").count() == len(expert_draws)
