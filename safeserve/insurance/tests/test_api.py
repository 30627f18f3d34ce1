"""The complaints API: the same scope as the pages, the filters (state, overdue, policy), and the
insured filing a complaint through the same action as the page (deadline computed, audited)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from safeserve.core.models import AuditLog
from safeserve.insurance.models import Complaint
from safeserve_dev.insurance_fixtures import extend_world

URL = "/api/v1/insurance/complaints/"
TODAY = timezone.localdate()


@pytest.fixture
def iw(world):
    return extend_world(world)


def _ids(resp):
    assert resp.status_code == 200, resp.content
    body = resp.json()
    return {row["id"] for row in body.get("results", body)}


def test_each_persona_lists_the_complaints_of_its_scope(iw, client_for):
    a, b = iw["complaint_a"].pk, iw["complaint_b"].pk
    expected = {
        "county": {a, b},
        "town_a": {a},
        "town_b": {b},
        "ent_a": {a},
        "insurer_a": {a},
    }
    for persona, ids in expected.items():
        assert _ids(client_for(persona).get(URL)) == ids, persona
    for persona in ("agency_a", "expert_a", "assoc_a", "norole"):
        assert client_for(persona).get(URL).status_code == 403, persona
    assert client_for("ent_a").get(f"{URL}{b}/").status_code == 404
    row = client_for("ent_a").get(f"{URL}{a}/").json()
    assert row["policy_number"] == iw["policy_a"].number and row["complainant"] == "甲投诉人"


def test_filters_state_overdue_and_policy(iw, client_for):
    c = client_for("county")
    a, b = iw["complaint_a"], iw["complaint_b"]
    Complaint.objects.filter(pk=a.pk).update(due_on=TODAY - timedelta(days=3))
    Complaint.objects.filter(pk=b.pk).update(state="answered", answer="已答复", answered_on=TODAY)
    assert _ids(c.get(URL, {"overdue": "true"})) == {a.pk}
    assert _ids(c.get(URL, {"overdue": "false"})) == {b.pk}
    assert _ids(c.get(URL, {"state": "answered"})) == {b.pk}
    assert _ids(c.get(URL, {"state": "open"})) == {a.pk}
    assert _ids(c.get(URL, {"policy": iw["policy_b"].pk})) == {b.pk}
    assert c.get(URL, {"policy": "1e30"}).status_code == 400
    assert c.get(f"{URL}{a.pk}/").json()["overdue"] is True


def test_the_insured_files_a_complaint_through_the_api(iw, client_for):
    c = client_for("ent_a")
    body = {
        "policy": iw["policy_a"].pk,
        "received_on": TODAY.isoformat(),
        "complainant": "甲企业安全员",
        "content": "服务人员未到现场",
        "needs_checking": True,
        "due_on": "2000-01-01",  # not the caller's to set: ignored, the action computes it
    }
    resp = c.post(URL, body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    made = Complaint.objects.get(pk=resp.json()["id"])
    from safeserve.insurance.actions import complaint_due

    assert made.due_on == complaint_due(TODAY, True) and made.state == "open"
    assert AuditLog.objects.filter(object_id=str(made.pk), action="create").exists()
    # Another insured's policy is not among the caller's: refused, nothing written.
    before = Complaint.objects.count()
    resp = c.post(URL, {**body, "policy": iw["policy_b"].pk}, content_type="application/json")
    assert resp.status_code == 400 and "policy" in resp.json()
    # A town officer reads complaints but files none.
    resp = client_for("town_a").post(URL, {**body}, content_type="application/json")
    assert resp.status_code == 403
    assert Complaint.objects.count() == before
