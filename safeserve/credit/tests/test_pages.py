"""The grade's page explains it; the enterprise 360° page carries the credit panel for those who see it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from safeserve.credit import actions
from safeserve.credit.models import Accident, CreditGrade

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(world):
    today = timezone.localdate()
    acc = Accident.objects.create(
        title="甲五金冲压伤手事故", enterprise=world["ent_a"], occurred_on=today - timedelta(days=3), level="general"
    )
    actions.recompute_grades("enterprise", [world["ent_a"].pk, world["ent_b"].pk], today)
    return acc, CreditGrade.objects.get(enterprise=world["ent_a"], is_current=True)


def test_grade_page_lists_its_facts(world, client_for, graded):
    acc, grade = graded
    text = client_for("ent_a").get(reverse("credit:creditgrade_detail", args=[grade.pk])).content.decode()
    assert "甲五金冲压伤手事故" in text and f'data-source="credit.accident:{acc.pk}"' in text
    assert 'data-testid="grade-final">D<' in text  # no 标准化: C, and an accident −2 levels (floor D)
    assert client_for("ent_a").get(reverse("credit:creditgrade_detail", args=[grade.pk + 1])).status_code == 404


def test_enterprise_page_has_the_credit_panel(world, client_for, graded):
    url = reverse("registry:enterprise_detail", args=[world["ent_a"].pk])
    for persona in ("county", "town_a", "ent_a"):
        text = client_for(persona).get(url).content.decode()
        assert 'data-panel="credit"' in text and "甲五金冲压伤手事故" in text, persona
    text = client_for("assoc_a").get(url).content.decode()  # reads the enterprise, not its credit
    assert 'data-panel="credit"' not in text


def test_an_agency_sees_its_own_grade_only(world, client_for):
    actions.recompute_grades("agency", [world["agency_a"].pk, world["agency_b"].pk], timezone.localdate())
    own = CreditGrade.objects.get(agency=world["agency_a"], is_current=True)
    other = CreditGrade.objects.get(agency=world["agency_b"], is_current=True)
    agency = client_for("agency_a")
    assert agency.get(reverse("credit:creditgrade_detail", args=[own.pk])).status_code == 200
    assert agency.get(reverse("credit:creditgrade_detail", args=[other.pk])).status_code == 404
    listed = agency.get(reverse("credit:creditgrade_list")).content.decode()
    assert world["agency_a"].name in listed and world["agency_b"].name not in listed
    assert client_for("town_a").get(reverse("credit:creditgrade_detail", args=[own.pk])).status_code == 404


def test_an_accident_attachment_has_its_own_door(world, client_for, graded, media_root):
    """Uploaded on the accident's page (credit:accident_upload), checked by content; never through the
    generic edit form (core/tests/test_uploads.py)."""
    from safeserve_dev.services_fixtures import pdf
    from safeserve_dev.testfiles import SCRIPT, upload

    acc, _grade = graded
    url = reverse("credit:accident_upload", args=[acc.pk])
    detail = acc.get_absolute_url()
    assert 'data-testid="accident-upload"' in client_for("town_a").get(detail).content.decode()
    assert 'data-testid="accident-upload"' not in client_for("ent_a").get(detail).content.decode()
    resp = client_for("town_a").post(url, {"upload": upload("报告.pdf", SCRIPT)}, follow=True)
    acc.refresh_from_db()
    assert not acc.attachment and "报告.pdf" in resp.content.decode()  # refused, named, nothing stored
    assert client_for("ent_a").post(url, {"upload": pdf("事故调查报告.pdf")}).status_code == 403
    assert client_for("town_a").post(url, {"upload": pdf("事故调查报告.pdf")}).status_code == 302
    acc.refresh_from_db()
    assert acc.attachment and acc.attachment_name == "事故调查报告.pdf"
    assert client_for("town_a").get(reverse("credit:accident_attachment", args=[acc.pk])).status_code == 200
