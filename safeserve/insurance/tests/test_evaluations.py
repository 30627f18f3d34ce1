"""The AQ 9010 yearly evaluation of a policy's prevention service: written by the policy's insurer
(figures frozen from the plan and the visits), one per policy and year, read by whoever reads the
policy, shown on the policy page and in the insured's file and its .xlsx bundle."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from safeserve.core.models import AuditLog
from safeserve.insurance import actions
from safeserve.insurance.models import Evaluation
from safeserve.insurance.tests.test_prevention import _plan, _visit
from safeserve_dev.insurance_fixtures import make_policy

TODAY = timezone.localdate()


@pytest.fixture
def setup(world):
    policy = make_policy(world, start=TODAY - timedelta(days=200), end=TODAY + timedelta(days=165))
    plan = _plan(world, policy)
    _visit(world, plan, TODAY)
    return policy


def _form(policy, **kw):
    return {
        "policy": policy.pk,
        "year": TODAY.year,
        "evaluated_on": TODAY.isoformat(),
        "evaluator": "张评估",
        "conclusion": "good",
        "enterprise_opinion": "服务认真",
        "note": "",
        **kw,
    }


def test_the_insurer_records_one_with_frozen_figures_and_a_second_is_refused(world, client_for, setup):
    policy = setup
    c = client_for("insurer_a")
    resp = c.post(reverse("insurance:evaluation_add"), _form(policy))
    assert resp.status_code == 302, resp.content.decode()[:2000]
    ev = Evaluation.objects.get(policy=policy)
    assert (ev.visits_planned, ev.visits_done, ev.written_by) == (4, 1, world.user("insurer_a"))
    assert ev.get_conclusion_display() == "良好"
    assert AuditLog.objects.filter(object_id=str(ev.pk), content_type__model="evaluation").exists()
    # The figures are frozen: a later visit does not change the record until it is saved again.
    _visit(world, policy.plan, TODAY - timedelta(days=1))
    ev.refresh_from_db()
    assert ev.visits_done == 1
    resp = c.post(reverse("insurance:evaluation_add"), _form(policy, evaluator="李评估"))
    assert resp.status_code == 200
    assert "该保单本年度已有服务评估，请修改原评估" in resp.content.decode()
    assert Evaluation.objects.filter(policy=policy).count() == 1
    # Shown on the policy page.
    page = c.get(policy.get_absolute_url()).content.decode()
    assert "年度服务评估" in page and "张评估" in page


def _insurer_b(world):
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User

    return User.objects.create(username="insurer_b", role=Role.INSURER, insurer=world["insurer_b"], full_name="乙")


def _data(policy, **kw):
    return {
        "policy": policy,
        "year": TODAY.year,
        "evaluated_on": TODAY,
        "evaluator": "张",
        "conclusion": "fair",
        **kw,
    }


def test_another_insurer_gets_404_and_cannot_write_on_the_policy(world, client, client_for, setup):
    policy = setup
    ev = actions.evaluation_save(actor=world.user("insurer_a"), evaluation=None, data=_data(policy))
    assert client_for("insurer_a").get(ev.get_absolute_url()).status_code == 200
    other = _insurer_b(world)
    assert other.has_perm("insurance.add_evaluation")
    client.force_login(other)
    assert client.get(ev.get_absolute_url()).status_code == 404
    assert client.get(reverse("insurance:evaluation_edit", args=[ev.pk])).status_code == 404
    # Its add form offers only its own policies: policy A is not a valid choice.
    resp = client.post(reverse("insurance:evaluation_add"), _form(policy, year=TODAY.year))
    assert resp.status_code in (200, 400)
    assert Evaluation.objects.count() == 1
    with pytest.raises(PermissionDenied):
        actions.evaluation_save(actor=other, evaluation=None, data=_data(policy, year=TODAY.year - 1))
    with pytest.raises(PermissionDenied):  # the county reads, never writes
        actions.evaluation_save(actor=world.user("county"), evaluation=None, data=_data(policy, year=TODAY.year - 1))
    assert Evaluation.objects.count() == 1
    for persona, code in (("county", 200), ("town_a", 200), ("ent_a", 200), ("town_b", 404)):
        assert client_for(persona).get(ev.get_absolute_url()).status_code == code, persona


def test_the_enterprise_sees_it_in_its_file_and_the_bundle_has_the_sheet(world, client_for, setup):
    policy = setup
    actions.evaluation_save(
        actor=world.user("insurer_a"),
        evaluation=None,
        data={
            "policy": policy,
            "year": TODAY.year,
            "evaluated_on": TODAY,
            "evaluator": "王评估",
            "conclusion": "poor",
            "enterprise_opinion": "希望增加培训",
        },
    )
    c = client_for("ent_a")
    page = c.get(reverse("insurance:insured_file", args=[policy.enterprise_id])).content.decode()
    assert "年度评估" in page and "王评估" in page and "较差" in page
    resp = c.get(reverse("insurance:insured_file_export", args=[policy.enterprise_id]))
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content) if resp.streaming else resp.content))
    assert "年度评估" in wb.sheetnames
    values = [c for row in wb["年度评估"].iter_rows(values_only=True) for c in row]
    assert "王评估" in values and "希望增加培训" in values and policy.number in values
    # Town B does not reach that file at all.
    assert client_for("town_b").get(reverse("insurance:insured_file", args=[policy.enterprise_id])).status_code == 404
