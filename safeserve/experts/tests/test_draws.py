"""Recusal, the auditable draw, reserves, re-draws, jobs and ratings, on the real database."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from safeserve.core import draws
from safeserve.core.models import AuditLog, Draw
from safeserve.experts import actions, recusal
from safeserve.experts.choices import InterestKind, InvitationState, PoolStatus, ProposalState, Recusal
from safeserve.experts.models import Absence, ExpertRequest, Interest, Invitation, RemovalProposal
from safeserve.hazards.choices import HazardSource
from safeserve.notifications.models import Notification
from safeserve.registry.models import Expert
from safeserve.services import actions as service_actions
from safeserve_dev import permsuite
from safeserve_dev.experts_fixtures import draw, extend_world, make_request, profile
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract
from safeserve_dev.testkit import make_id_number

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root


def expert(name, *, specialty="机械", **fields):
    e = Expert.objects.create(name=name, specialties=specialty, **fields)
    profile(e, specialty)
    return e


def user_for(e):
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User

    return User.objects.create(username=f"u{e.pk}", role=Role.EXPERT, expert=e)


def test_each_recusal_rule_excludes_exactly_its_experts_and_says_why(world, db):
    ent = world["ent_a"]
    county = world.user("county")
    today = timezone.localdate()
    e = {
        "clean": expert("甲清白"),
        "same": expert("乙同单位", employer_enterprise=ent),
        "same_name": expert("丙同名单位", employer=ent.name),
        "agency": expert("丁服务机构", employer_agency=world["agency_a"]),
        "visit": expert("戊上门服务", id_number=world["staff_a"].id_number),
        "job": expert("己近期检查"),
        "old_job": expert("庚早年检查"),
        "relative": expert("辛亲属"),
        "invest": expert("壬投资"),
        "past_recent": expert("癸近年曾任职"),
        "past_old": expert("子多年前任职"),
        "away": expert("丑出差"),
        "away_other": expert("寅别日出差"),
        "manual": expert("卯人工排除"),
        "suspended": expert("辰暂停"),
        "other": expert("巳电气", specialty="电气"),
    }
    # agency_a serves ent_a and staff_a (whose ID number 戊 holds) visited it two hours ago.
    contract = make_contract(world, number="HT-REC")
    t = general_template()
    service_actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=ent,
        visited_at=timezone.now() - timedelta(hours=2),
        staff=[world["staff_a"]],
        template=t,
        results=all_ok(t),
    )
    for key, months_ago in (("job", 10), ("old_job", 40)):
        past = ExpertRequest.objects.create(
            purpose="recheck",
            title="往期",
            places=1,
            work_date=today - timedelta(days=30 * months_ago),
            requested_by=county,
        )
        past.enterprises.set([ent])
        d = Draw.objects.create(
            number=f"T-{key}",
            purpose="expert",
            purpose_label="t",
            candidates=[],
            candidates_hash="x",
            places=1,
            algorithm="t",
        )
        Invitation.objects.create(
            request=past, draw=d, expert=e[key], rank=1, state=InvitationState.ACCEPTED, deadline=timezone.now()
        )
    Interest.objects.create(expert=e["relative"], kind=InterestKind.RELATIVE, enterprise=ent, party_name=ent.name)
    Interest.objects.create(expert=e["invest"], kind=InterestKind.INVESTMENT, party_name=ent.name)
    Interest.objects.create(
        expert=e["past_recent"], kind=InterestKind.PAST_EMPLOYER, party_name=ent.name, end=today - timedelta(days=365)
    )
    Interest.objects.create(
        expert=e["past_old"], kind=InterestKind.PAST_EMPLOYER, party_name=ent.name, end=today - timedelta(days=5 * 365)
    )
    work = today + timedelta(days=7)
    Absence.objects.create(
        expert=e["away"], start=work - timedelta(days=1), end=work + timedelta(days=1), reason="培训"
    )
    Absence.objects.create(expert=e["away_other"], start=work + timedelta(days=3), end=work + timedelta(days=4))
    actions.profile_set_status(
        actor=county, profile=e["suspended"].pool_profile, status=PoolStatus.SUSPENDED, reason="测试"
    )

    req = make_request(county, [ent], ["机械"])
    req.manual_exclusions = [{"expert": e["manual"].pk, "reason": "与企业存在诉讼"}]
    req.save()
    result = recusal.eligibility(req)

    expected = {
        "same": {Recusal.SAME_EMPLOYER},
        "same_name": {Recusal.SAME_EMPLOYER},
        "agency": {Recusal.AGENCY_SERVING},
        "visit": {Recusal.SERVED_RECENTLY},
        "job": {Recusal.SERVED_RECENTLY},
        "relative": {Recusal.DECLARED},
        "invest": {Recusal.DECLARED},
        "past_recent": {Recusal.DECLARED},
        "away": {Recusal.UNAVAILABLE},
        "manual": {Recusal.MANUAL},
    }
    for key, ex in e.items():
        assert result.rules_of(ex.pk) == expected.get(key, set()), key
    candidate_ids = {c.pk for c in result.candidates}
    for key in ("clean", "old_job", "past_old", "away_other"):
        assert e[key].pk in candidate_ids, key
    for key in ("suspended", "other"):  # not in the pool drawn from at all
        assert e[key].pk not in candidate_ids and e[key].pk not in result.excluded, key
    reasons = {x["label"]: x["reason"] for x in result.exclusions()}
    assert ent.name in reasons["乙同单位"]
    assert "嘉善安达安全咨询有限公司" in reasons["丁服务机构"]
    assert "36个月内曾为“嘉善甲五金有限公司”服务" in reasons["戊上门服务"]
    assert "检查" in reasons["己近期检查"]
    assert "培训" in reasons["丑出差"]
    assert "与企业存在诉讼" in reasons["卯人工排除"]
    # The frozen draw carries the same exclusions, with their reasons.
    frozen = actions.request_freeze(actor=county, request=req)
    assert {x["id"] for x in frozen.exclusions} == {str(e[k].pk) for k in expected}
    assert not {c["id"] for c in frozen.candidates} & {x["id"] for x in frozen.exclusions}


def _five(world, tag):
    return [expert(f"{tag}{i}号", specialty="消防") for i in range(5)]


def test_a_draw_is_reproducible_and_a_tampered_list_fails_verification(world, db):
    county = world.user("county")
    _five(world, "复核")
    req = draw(county, make_request(county, [world["ent_a"]], ["消防"], places=2, reserves=2), value="88-12-07")
    d = req.draw
    assert draws.verify(d).ok
    assert d.result == draws.rank(d.candidates, "88-12-07")  # anyone can recompute it from list and value
    assert [i.expert_id for i in req.invitations.order_by("rank")] == [int(x) for x in draws.chosen(d)]
    assert not d.publish_labels  # expert names are not published on the public page
    Draw.objects.filter(pk=d.pk).update(candidates=d.candidates[1:])  # someone drops a candidate afterwards
    d.refresh_from_db()
    check = draws.verify(d)
    assert not check.hash_ok and not check.ok


def test_decline_then_no_answer_call_the_reserves_in_order_then_the_requester_is_told(world, db):
    county = world.user("county")
    five = _five(world, "备选")
    users = {e.pk: user_for(e) for e in five}
    req = draw(county, make_request(county, [world["ent_a"]], ["消防"], places=2, reserves=2))
    order = [int(x) for x in req.draw.result]
    first = Invitation.objects.get(request=req, expert_id=order[0])
    with pytest.raises(ValidationError):
        actions.invitation_answer(
            actor=users[order[0]], invitation=first, accept=False, reason=""
        )  # a reason is required
    actions.invitation_answer(actor=users[order[0]], invitation=first, accept=False, reason="出差在外")
    third = Invitation.objects.get(request=req, expert_id=order[2])
    assert third.is_reserve and third.rank == 3 and third.state == InvitationState.INVITED
    # The second drawn expert never answers: the job expires it and calls the fourth.
    second = Invitation.objects.get(request=req, expert_id=order[1])
    Invitation.objects.filter(pk=second.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    assert actions.expire_invitations() == 1
    second.refresh_from_db()
    assert second.state == InvitationState.EXPIRED
    fourth = Invitation.objects.get(request=req, expert_id=order[3])
    assert fourth.rank == 4 and fourth.is_reserve
    assert order[4] not in set(req.invitations.values_list("expert_id", flat=True))  # beyond the reserves
    # The reserves are used up: the next decline tells the requester to re-draw.
    actions.invitation_answer(actor=users[order[2]], invitation=third, accept=False, reason="身体原因")
    assert Notification.objects.filter(recipient=county, kind="expert_reserves_exhausted").exists()
    notes = list(
        AuditLog.objects.filter(object_id=str(req.pk), changes__has_key="called_reserve")
        .order_by("id")
        .values_list("note", flat=True)
    )
    assert len(notes) == 2 and "出差在外" in notes[0] and "超时未答复" in notes[1]

    # A re-draw is a new numbered draw citing the old one; those who declined or expired are excluded.
    old = req.draw
    new = actions.request_redraw(actor=county, request=req, reason="备选用完")
    assert new.supersedes == old and new.number != old.number and new.redraw_reason == "备选用完"
    excluded = {x["id"]: x["reason"] for x in new.exclusions}
    assert str(order[0]) in excluded and old.number in excluded[str(order[0])]
    assert str(order[1]) in excluded
    fourth.refresh_from_db()
    assert fourth.state == InvitationState.CANCELLED


def test_findings_become_expert_hazards_and_the_opinion_is_a_stored_pdf(world, db):
    job = world["job_a"]
    expert_user = world.user("expert_a")
    finding = actions.job_record_finding(
        actor=expert_user,
        job=job,
        enterprise=world["ent_a"],
        location="冲压车间",
        description="双手按钮失效",
        responsible_person="李四",
        level="general",
    )
    hazard = finding.hazard
    assert hazard.source == HazardSource.EXPERT
    assert hazard.enterprise == world["ent_a"] and hazard.town == world["town_a"]
    with pytest.raises(ValidationError):  # an enterprise outside the job
        actions.job_record_finding(
            actor=expert_user,
            job=job,
            enterprise=world["ent_b"],
            location="x",
            description="y",
            responsible_person="z",
            level="general",
        )
    done = actions.job_record_opinion(actor=expert_user, job=job, opinion="整改已落实，同意销号。", fee=800)
    with done.opinion_file.open("rb") as f:
        assert f.read(5) == b"%PDF-"
    assert done.finished_at is not None and len(done.opinion_sha256) == 64
    done.request.refresh_from_db()
    assert done.request.status == "closed"  # its one place is accepted and done


def test_a_low_average_proposes_removal_and_is_audited(world, db, settings):
    county = world.user("county")
    job = world["job_b"]
    Invitation.objects.filter(pk=job.pk).update(finished_at=timezone.now())
    job.refresh_from_db()
    actions.job_rate(actor=county, job=job, score=55)
    proposal = RemovalProposal.objects.get(expert=world["expert_b"])
    assert proposal.state == ProposalState.PROPOSED and proposal.average == 55
    assert AuditLog.objects.filter(object_id=str(proposal.pk), note__contains="建议移出专家库").exists()
    with pytest.raises(ValidationError):
        actions.job_rate(actor=county, job=job, score=90)  # once per job
    # The county removes the expert from the pool: the proposal is closed, the history kept.
    actions.profile_set_status(
        actor=county, profile=world["profile_b"], status=PoolStatus.WITHDRAWN, reason="评分不合格"
    )
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.REMOVED
    assert world["profile_b"].status_changes.first().reason == "评分不合格"


def test_a_good_average_proposes_nothing_and_a_late_rating_is_marked(world, db):
    town_a = world.user("town_a")
    job = world["job_a"]
    Invitation.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(days=10))
    job.refresh_from_db()
    rating = actions.job_rate(actor=town_a, job=job, score=85)
    assert rating.late
    assert not RemovalProposal.objects.filter(expert=world["expert_a"]).exists()
    assert actions.add_working_days(timezone.datetime(2026, 11, 27).date(), 2).isoformat() == "2026-12-01"  # Fri -> Tue


def test_an_expert_sees_only_their_own(world, db):
    other = expert("午他人")
    mine = Invitation.objects.visible_to(world.user("expert_a"))
    assert set(mine.values_list("expert_id", flat=True)) == {world["expert_a"].pk}
    from safeserve.experts.models import ExpertProfile

    assert list(ExpertProfile.objects.visible_to(world.user("expert_a"))) == [world["profile_a"]]
    assert other.pool_profile not in ExpertProfile.objects.visible_to(world.user("town_a"))
    with pytest.raises(PermissionDenied):
        actions.invitation_answer(actor=world.user("expert_a"), invitation=world["job_b"], accept=True)


def test_pool_import_is_all_or_nothing_with_row_errors(world, db, tmp_path):
    from openpyxl import Workbook

    from safeserve.experts.pool_import import import_pool

    def book(rows):
        wb = Workbook()
        ws = wb.active
        ws.append(["姓名", "身份证号", "专业领域", "专家库"])
        for r in rows:
            ws.append(r)
        path = tmp_path / f"{len(rows)}-{rows[-1][0]}.xlsx"
        wb.save(path)
        return path

    county = world.user("county")
    before = Expert.objects.count()
    bad = book([["未甲", make_id_number(501), "机械", "县级"], ["未乙", make_id_number(502), "航天", "县级"]])
    result = import_pool(bad, actor=county)
    assert not result.ok and [(e.row, e.column) for e in result.errors] == [(3, "专业领域")]
    assert Expert.objects.count() == before
    good = book(
        [["未甲", make_id_number(501), "机械安全、电气", "县级"], ["未乙", make_id_number(502), "消防", "市级"]]
    )
    result = import_pool(good, actor=county)
    assert result.ok and result.created == 2
    imported = Expert.objects.get(name="未甲").pool_profile
    assert {s.name for s in imported.specialty_list.all()} == {"机械", "电气"}
    assert imported.status == PoolStatus.ACTIVE


def test_an_enterprise_sees_accepted_jobs_about_itself_with_the_expert_name_only(world, db):
    from django.urls import reverse

    ent_user = world.user("ent_a")
    assert list(Invitation.objects.visible_to(ent_user)) == [world["job_a"]]
    Invitation.objects.filter(pk=world["job_a"].pk).update(state=InvitationState.INVITED)
    assert not Invitation.objects.visible_to(ent_user).exists()  # an open invitation is not a job yet
    Invitation.objects.filter(pk=world["job_a"].pk).update(state=InvitationState.ACCEPTED, fee=800)
    from django.test import Client

    c = Client()
    c.force_login(ent_user)
    html = c.get(reverse("experts:job_detail", args=[world["job_a"].pk])).content.decode()
    assert world["expert_a"].name in html
    for private in (world["expert_a"].phone, world["expert_a"].id_number, "800"):
        assert private not in html


def test_list_pages_cost_the_same_number_of_queries_whatever_the_rows(world, db):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    county = world.user("county")
    c = Client()
    c.force_login(county)
    urls = [reverse(n) for n in ("experts:job_list", "experts:expertrequest_list", "experts:expertprofile_list")]

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    before = counts()
    _five(world, "计数")
    for i in range(3):
        draw(county, make_request(county, [world["ent_b"]], ["消防"], title=f"计数{i}"), value=f"v{i}")
    assert counts() == before
