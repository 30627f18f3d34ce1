import io
import random

import pytest

from safeserve.core.draws import verify
from safeserve.supervision.models import PracticeNotice, ReCheck, SamplingDraw
from safeserve_dev.services_seed import seed_services
from safeserve_dev.supervision_seed import reset_supervision, seed_supervision

pytestmark = pytest.mark.django_db


def test_seed_files_notices_and_runs_a_round_with_rechecks(world, settings, tmp_path):
    from safeserve.registry.models import Agency, Enterprise

    settings.MEDIA_ROOT = tmp_path
    rng = random.Random(3)
    # Visits over the last two years, so the last complete half year has some.
    seed_services(rng, Enterprise.objects.all(), Agency.objects.all(), contracts=4, visits=80, hazards=0)
    out = io.StringIO()
    counts = seed_supervision(rng, out)
    assert counts["recorded"] >= 1 and PracticeNotice.objects.exists()
    assert "执业告知" in out.getvalue() and "服务抽查" in out.getvalue()
    assert counts["items"] > 0, counts
    assert ReCheck.objects.count() == counts["rechecks"] > 0
    assert all(verify(sd.draw).ok for sd in SamplingDraw.objects.select_related("draw"))
    # One finalised yearly agency grading of the agencies in the register, each graded, published.
    from safeserve.assessment.actions import verify_assessment
    from safeserve.assessment.models import Assessment
    from safeserve.core import hooks

    grading = Assessment.objects.get(pk=counts["grading"])
    assert grading.subject == "agency" and grading.is_final and verify_assessment(grading) == []
    graded = set(grading.sheets.values_list("subject_id", flat=True))
    assert graded == set(Agency.objects.filter(is_active=True).values_list("pk", flat=True))
    assert set(hooks.agency_yearly_grades(graded)) == graded
    assert "机构年度考评" in out.getvalue()
    reset_supervision(out)
    assert not PracticeNotice.objects.exists()
