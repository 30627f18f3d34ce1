"""Prevention services: the plan's commission contract (payer: the insurer), visits through the
services machinery, 保而不防 on a date, the fee ledger against the floor, complaints' deadlines, the
insured's file, and the retention jobs that must not touch any of it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from safeserve.insurance import actions, queries
from safeserve.insurance.models import Claim, Complaint, Policy, PreventionExpense, PreventionPlan
from safeserve.services import actions as service_actions
from safeserve.services.choices import ContractStatus, PayerType
from safeserve_dev.insurance_fixtures import make_policy
from safeserve_dev.services_fixtures import all_ok, general_template, png
from safeserve_dev.testkit import on_day

TODAY = timezone.localdate()


def _at(day: date):
    return on_day(day)


def _plan(world, policy, **kw):
    data = {
        "policy": policy,
        "items": ["hazard"],
        "visits_per_year": 4,
        "agency": world["agency_a"],
        "goals": "隐患排查全覆盖",
        **kw,
    }
    return actions.plan_save(actor=world.user("insurer_a"), plan=None, data=data, m2m={"staff": [world["staff_a"]]})


def _visit(world, plan, day):
    t = general_template()
    return service_actions.visit_record(
        actor=world.user("agency_a"),
        contract=plan.contract,
        enterprise=plan.policy.enterprise,
        visited_at=_at(day),
        staff=[world["staff_a"]],
        template=t,
        results=all_ok(t),
        photos=[png()],
        findings="配电箱未上锁",
    )


def test_a_plan_commissions_the_agency_with_the_insurer_as_payer(world):
    policy = make_policy(world)
    plan = _plan(world, policy)
    c = plan.contract
    assert (c.payer_type, c.payer_insurer, c.agency, c.status) == (
        PayerType.INSURER,
        world["insurer_a"],
        world["agency_a"],
        ContractStatus.ACTIVE,
    )
    assert list(c.enterprises.all()) == [world["ent_a"]]
    assert list(c.staff.all()) == [world["staff_a"]]
    assert c.fee == policy.prevention_planned
    # The agency records the visit on the contract (the services machinery: chain, confirmation).
    visit = _visit(world, plan, TODAY)
    assert list(queries.policy_visits(policy)) == [visit]
    assert visit.seq >= 1 and visit.content_hash


def test_a_plan_needs_an_agency_or_an_expert(world):
    with pytest.raises(ValidationError) as exc:
        _plan(world, make_policy(world), agency=None)
    assert exc.value.message_dict["agency"] == ["须填写服务机构或服务专家"]


def test_a_contract_cannot_claim_the_insurer_as_payer_by_hand(world):
    from safeserve.services.models import ServiceContract

    c = ServiceContract(
        number="HT-X",
        agency=world["agency_a"],
        payer_type=PayerType.INSURER,
        items=["hazard"],
        start_date=TODAY,
        end_date=TODAY + timedelta(days=30),
        fee=Decimal("1"),
    )
    with pytest.raises(ValidationError) as exc:
        c.full_clean()
    assert "保险机构委托的合同由保险机构在安责险事故预防服务计划中建立" in exc.value.messages


def test_no_prevention_visit_in_six_months_is_listed_on_a_date(world):
    """保而不防: valid that day, running at least six months, no visit in the six months up to it."""
    county = world.user("county")
    start = TODAY - timedelta(days=300)
    policy = make_policy(world, start=start, end=start + timedelta(days=364))
    plan = _plan(world, policy)
    fresh = make_policy(world, number="PA-FRESH", start=TODAY - timedelta(days=30))
    _plan(world, fresh)
    d1 = start + timedelta(days=250)  # 8 months in, no visit yet
    assert list(queries.idle_policies(county, d1)) == [policy]
    _visit(world, plan, start + timedelta(days=100))
    assert list(queries.idle_policies(county, d1)) == []  # a visit within the six months before d1
    later = start + timedelta(days=100) + timedelta(days=190)
    assert list(queries.idle_policies(county, later)) == [policy]  # and none since
    # Not on the list of a town that does not see it, nor of another insurer.
    assert list(queries.idle_policies(world.user("town_b"), later)) == []
    assert list(queries.idle_policies(world.user("insurer_a"), later)) == [policy]


def test_the_ledger_page_shows_idle_policies_on_a_date(world, client_for):
    start = TODAY - timedelta(days=300)
    make_policy(world, number="PA-IDLE", start=start, end=start + timedelta(days=364))
    c = client_for("county")
    on = (start + timedelta(days=200)).isoformat()
    page = c.get(reverse("insurance:ledger"), {"on": on, "year": str(start.year)}).content.decode()
    assert "PA-IDLE" in page
    page = c.get(reverse("insurance:ledger"), {"on": (start + timedelta(days=100)).isoformat()}).content.decode()
    assert "PA-IDLE" not in page  # under six months in


def test_ledger_flags_insurers_under_the_floor_and_counts_spending(world, settings):
    a = make_policy(world, number="PA-1", start=date(TODAY.year, 1, 10), end=date(TODAY.year, 12, 31))
    b = make_policy(world, number="PA-2", start=date(TODAY.year, 2, 1), end=date(TODAY.year + 1, 1, 31))
    Policy.objects.filter(pk=b.pk).update(prevention_share=Decimal("10"))
    PreventionExpense.objects.create(policy=a, spent_on=TODAY, amount=Decimal("1500"), description="服务费")
    make_policy(world, insurer="insurer_b", enterprise="ent_b", number="PB-1", start=date(TODAY.year, 3, 1))
    rows = {r.insurer.name: r for r in queries.ledger(world.user("county"), TODAY.year)}
    ra = rows[world["insurer_a"].name]
    assert (ra.policies, ra.collected, ra.planned, ra.spent) == (2, Decimal("20000"), Decimal("3000"), Decimal("1500"))
    assert (ra.planned_share, ra.spent_share, ra.under_floor) == (Decimal("15.00"), Decimal("7.50"), True)
    assert rows[world["insurer_b"].name].under_floor is False
    settings.SAFESERVE_INSURANCE = {"PREVENTION_FLOOR": Decimal("15")}
    assert not queries.ledger(world.user("county"), TODAY.year)[0].under_floor
    # An insurer sees only its own row.
    assert [r.insurer for r in queries.ledger(world.user("insurer_a"), TODAY.year)] == [world["insurer_a"]]


def test_complaint_deadlines_in_working_days_and_one_extension(world, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "TIPOFF_HOLIDAYS": ["2026-10-01", "2026-10-02", "2026-10-05"]}
    policy = make_policy(world)
    ent = world.user("ent_a")
    c = actions.complaint_file(
        actor=ent,
        data={"policy": policy, "received_on": date(2026, 9, 28), "complainant": "王", "content": "走过场"},
    )
    # 10 working days from Mon 28 Sep, skipping 1, 2, 5 Oct and the weekends: 15 Oct.
    assert c.due_on == date(2026, 10, 15)
    checked = actions.complaint_file(
        actor=ent,
        data={
            "policy": policy,
            "received_on": date(2026, 9, 28),
            "complainant": "王",
            "content": "记录造假",
            "needs_checking": True,
        },
    )
    assert checked.due_on > c.due_on + timedelta(days=20)
    insurer = world.user("insurer_a")
    with pytest.raises(ValidationError):
        actions.complaint_extend(actor=insurer, complaint=c, days=31, reason="需现场核查")
    with pytest.raises(ValidationError):
        actions.complaint_extend(actor=insurer, complaint=c, days=10, reason=" ")
    c = actions.complaint_extend(actor=insurer, complaint=c, days=30, reason="需现场核查")
    assert c.extended_to == date(2026, 11, 14)
    with pytest.raises(ValidationError) as exc:
        actions.complaint_extend(actor=insurer, complaint=c, days=5, reason="再延")
    assert "只能延长一次" in str(exc.value)
    assert c.overdue_on(date(2026, 11, 15)) and not c.overdue_on(date(2026, 11, 14))
    c = actions.complaint_answer(actor=insurer, complaint=c, answer="已更换服务人员", on=date(2026, 11, 1))
    assert c.state == "answered" and not c.overdue_on(date(2027, 1, 1))


def test_overdue_complaints_are_shown(world, client_for):
    policy = make_policy(world)
    Complaint.objects.create(
        policy=policy,
        received_on=TODAY - timedelta(days=40),
        complainant="逾期甲",
        content="x",
        due_on=TODAY - timedelta(days=1),
    )
    Complaint.objects.create(
        policy=policy, received_on=TODAY, complainant="未逾期乙", content="y", due_on=TODAY + timedelta(days=5)
    )
    page = client_for("insurer_a").get(reverse("insurance:complaint_list"), {"overdue": "true"}).content.decode()
    assert "逾期甲" in page and "未逾期乙" not in page


def test_the_insured_file_holds_everything_and_exports_one_bundle(world, client_for):
    import io

    from openpyxl import load_workbook

    policy = make_policy(world, number="PA-FILE")
    plan = _plan(world, policy)
    _visit(world, plan, TODAY)
    PreventionExpense.objects.create(policy=policy, spent_on=TODAY, amount=Decimal("800"), description="排查服务费")
    Complaint.objects.create(policy=policy, received_on=TODAY, complainant="赵", content="服务太少", due_on=TODAY)
    Claim.objects.create(policy=policy, occurred_on=TODAY, reported_on=TODAY, accident_ref="机械伤害")
    c = client_for("insurer_a")
    page = c.get(reverse("insurance:insured_file", args=[world["ent_a"].pk])).content.decode()
    for text in ("PA-FILE", "隐患排查全覆盖", "配电箱未上锁", "排查服务费", "服务太少", "机械伤害"):
        assert text in page
    wb = load_workbook(io.BytesIO(c.get(reverse("insurance:insured_file_export", args=[world["ent_a"].pk])).getvalue()))
    assert wb.sheetnames[:8] == [
        "保单",
        "服务计划",
        "服务记录",
        "专家服务记录",
        "费用台账",
        "投诉",
        "出险理赔",
        "年度评估",
    ]
    assert wb.sheetnames[8:] == ["服务预约", "未提前确认的服务记录"]  # AQ 9010 advance confirmation


def test_retention_jobs_never_purge_the_insurance_file(world):
    """The file is kept at least five years: the purges that exist (pending photos, IoT readings)
    leave every insurance record, however old, in place."""
    from safeserve.iot import maintenance
    from safeserve.services.actions import purge_pending_photos

    old = TODAY - timedelta(days=6 * 365)
    policy = make_policy(world, number="PA-OLD", start=old, end=old + timedelta(days=364))
    PreventionPlan.objects.create(policy=policy, items=["hazard"], agency=world["agency_a"], goals="目标")
    PreventionExpense.objects.create(policy=policy, spent_on=old, amount=Decimal("1"), description="旧支出")
    Complaint.objects.create(policy=policy, received_on=old, complainant="旧", content="旧", due_on=old)
    Claim.objects.create(policy=policy, occurred_on=old, reported_on=old)
    before = [m.objects.count() for m in (Policy, PreventionPlan, PreventionExpense, Complaint, Claim)]
    purge_pending_photos(timezone.now() + timedelta(days=3650))
    maintenance.purge()
    assert [m.objects.count() for m in (Policy, PreventionPlan, PreventionExpense, Complaint, Claim)] == before
    # And nothing deletes a policy that has records hanging on it.
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        policy.delete()


def test_hazards_found_on_a_prevention_visit_get_a_written_notice(world):
    """AQ 9010: hazards found → a written notice to the insured. The agency reports them from the visit
    and issues its 隐患整改建议书 through the issued-document machinery (ADR 0022): numbered, a stored PDF."""
    from safeserve.hazards import actions as hazard_actions

    policy = make_policy(world)
    plan = _plan(world, policy)
    visit = _visit(world, plan, TODAY)
    agency = world.user("agency_a")
    hazard = hazard_actions.hazard_report(
        actor=agency,
        enterprise=world["ent_a"],
        location="配电房",
        description="配电箱未上锁",
        responsible_person="李四",
        visit=visit,
    )
    notice = hazard_actions.hazard_issue_notice(actor=agency, hazards=[hazard], visit=visit)
    assert notice.enterprise == world["ent_a"] and notice.visit == visit
    assert notice.number and notice.kind == "advice" and notice.sha256


def test_a_ledger_entry_names_a_commissioned_visit_of_the_insured(world, client_for):
    policy = make_policy(world)
    visit = _visit(world, _plan(world, policy), TODAY)
    c = client_for("insurer_a")
    body = {"policy": policy.pk, "spent_on": TODAY.isoformat(), "amount": "600", "description": "排查服务费"}
    resp = c.post(reverse("insurance:preventionexpense_add"), {**body, "visit": visit.pk})
    assert resp.status_code == 302
    assert PreventionExpense.objects.get().visit == visit
