"""互查 findings become hazards of the inspected member (its town, source 协会互查, the normal loop);
who may inspect whom; both sides confirm; membership periods are audited and bound the dashboard."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.associations import actions, queries
from safeserve.associations.models import Membership, MutualInspection
from safeserve.core.models import AuditLog
from safeserve.hazards import actions as hazard_actions
from safeserve.hazards.choices import HazardSource, HazardState
from safeserve.hazards.models import Hazard
from safeserve_dev import permsuite
from safeserve_dev.memberwork_fixtures import extend_associations
from safeserve_dev.testkit import earlier_today

world = permsuite.shared_world(extend_associations)
media_root = permsuite.shared_media_root

pytestmark = pytest.mark.django_db


def _record(world, actor_key="user_ent_c", inspected="ent_a", **kw):
    o = world.objs
    results = kw.pop(
        "results", {o["mutual_item_1"].pk: ("problem", "砂轮机无防护罩"), o["mutual_item_2"].pk: ("ok", "")}
    )
    return actions.inspection_record(
        actor=o[actor_key],
        campaign=o["campaign_a"],
        inspected=o[inspected],
        inspected_at=earlier_today(minutes=5),
        inspector_names="张检查",
        results=results,
        **kw,
    )


def test_a_finding_becomes_a_hazard_of_the_inspected_member_and_its_town(world):
    inspection = _record(world)
    hazard = Hazard.objects.get(pk=inspection.hazard_links.get().hazard_id)
    assert hazard.enterprise_id == world["ent_a"].pk
    assert hazard.town_id == world["town_a"].pk
    assert hazard.source == HazardSource.MUTUAL
    assert hazard.state == HazardState.REPORTED
    assert "砂轮机无防护罩" in hazard.description
    assert hazard.reported_by == world.objs["user_ent_c"]
    # The normal closed loop: the inspected enterprise starts rectifying, its town sees it.
    hazard = hazard_actions.hazard_transition(actor=world.user("ent_a"), hazard=hazard, action="start")
    assert hazard.state == HazardState.RECTIFYING
    assert Hazard.objects.visible_to(world.user("town_a")).filter(pk=hazard.pk).exists()
    assert not Hazard.objects.visible_to(world.user("town_b")).filter(pk=hazard.pk).exists()
    # The inspector (another enterprise) does not see the inspected member's hazard afterwards.
    assert not Hazard.objects.visible_to(world.objs["user_ent_c"]).filter(pk=hazard.pk).exists()
    # The record is hashed as stored.
    assert actions.stored_digest(inspection) == inspection.content_hash


def test_only_members_of_the_same_group_inspect_each_other(world):
    with pytest.raises(PermissionDenied):
        _record(world, actor_key="user_ent_c", inspected="ent_b")  # another association's member
    with pytest.raises(PermissionDenied):
        _record(world, actor_key="user_ent_c", inspected="ent_c")  # itself
    o = world.objs
    yesterday = timezone.localdate() - timedelta(days=1)
    actions.membership_update(actor=world.user("assoc_a"), membership=o["membership_a"], left_on=yesterday)
    with pytest.raises(PermissionDenied):  # a former member is no longer inspected in the campaign
        _record(world)


def test_every_item_is_answered_and_a_problem_explained(world):
    o = world.objs
    with pytest.raises(ValidationError, match="未作答"):
        _record(world, results={o["mutual_item_1"].pk: ("ok", "")})
    with pytest.raises(ValidationError, match="须填写说明"):
        _record(world, results={o["mutual_item_1"].pk: ("problem", ""), o["mutual_item_2"].pk: ("ok", "")})
    assert MutualInspection.objects.count() == 2  # the world's two, nothing half-written
    assert Hazard.objects.filter(source=HazardSource.MUTUAL).count() == 2


def test_both_sides_confirm_and_only_the_inspected_member_may(world):
    inspection = world["inspection_a"]
    with pytest.raises(PermissionDenied):
        actions.inspection_confirm(actor=world.objs["user_ent_c"], inspection=inspection)
    done = actions.inspection_confirm(actor=world.user("ent_a"), inspection=inspection)
    assert done.confirmed_at is not None and done.confirmed_by == world.user("ent_a")
    with pytest.raises(ValidationError):
        actions.inspection_confirm(actor=world.user("ent_a"), inspection=inspection)


def test_leaving_is_audited_and_ends_current_membership_but_keeps_history(world):
    o = world.objs
    assoc = world.user("assoc_a")
    left = timezone.localdate()
    actions.membership_update(actor=assoc, membership=o["membership_c"], left_on=left)
    assert not o["assoc_a"].members.filter(pk=o["ent_c"].pk).exists()
    log = AuditLog.objects.filter(object_id=str(o["membership_c"].pk)).first()
    assert log is not None and log.changes["left_on"][1] == left.isoformat()
    # The association still sees the period and the dashboard counts its hazards while a member.
    assert Membership.objects.visible_to(assoc).filter(pk=o["membership_c"].pk).exists()
    rows = {r["membership"].pk: r for r in queries.member_rows(o["assoc_a"])}
    assert rows[o["membership_c"].pk]["current"] is False
    # Joining again opens a new period, audited; a second open period for the same member is refused.
    with pytest.raises(ValidationError):
        actions.membership_join(actor=assoc, credit_code=o["ent_a"].credit_code, joined_on=left)
    again = actions.membership_join(actor=assoc, credit_code=o["ent_c"].credit_code, joined_on=left + timedelta(days=1))
    assert again.left_on is None and o["assoc_a"].members.filter(pk=o["ent_c"].pk).exists()


def test_dashboard_counts_members_hazards_and_campaign_progress(world):
    board = queries.dashboards_for(world.user("assoc_a"))
    assert [b["association"] for b in board] == [world["assoc_a"]]
    b = board[0]
    assert b["members"] == 2 and b["hazards"] == 1 and b["open"] == 1
    ((campaign, progress),) = b["campaigns"]
    assert campaign == world["campaign_a"]
    assert progress == {"members": 2, "inspected": 1, "percent": 50, "records": 1, "confirmed": 0}
    assert queries.dashboards_for(world.user("town_a")) == []


def test_dashboard_and_lists_query_counts_do_not_grow_with_members(world, client, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safeserve.registry.models import Enterprise
    from safeserve_dev.testkit import make_credit_code

    client.force_login(world.user("assoc_a"))
    urls = ["/associations/dashboard/", "/associations/inspections/", "/associations/members/"]

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx))
        return out

    counts()  # warm the per-process caches (content types)
    before = counts()
    today = timezone.localdate()
    for n in range(5):
        e = Enterprise.objects.create(
            credit_code=make_credit_code(900 + n),
            name=f"新会员{n}",
            address="x",
            town=world["town_a"],
            industry=world["industry"],
            legal_representative="某",
        )
        actions.membership_join(actor=world.user("assoc_a"), credit_code=e.credit_code, joined_on=today)
    _record(world)
    assert counts() == before
