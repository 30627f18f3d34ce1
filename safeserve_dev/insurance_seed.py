"""Demo data for 安责险: ~1,500 policies across the demo insurers (most mandatory-industry enterprises
insured, some not, so the 应保未保 list has rows), service plans with insurer-paid commission contracts,
a few prevention visits recorded by the demo agency through the services machinery, ledger entries,
complaints (some overdue) and claims. Bulk inserts; the visits go through ``visit_record`` (the chain).

``seed_insurance(rng, stdout)`` runs at the end of ``seed_demo``; ``reset_insurance(stdout)`` before
the services and registry resets."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.insurance import rules
from safeserve.insurance.models import (
    Appointment,
    Claim,
    Complaint,
    Evaluation,
    Policy,
    PremiumRuleTable,
    PreventionExpense,
    PreventionPlan,
    PreventionVisit,
)
from safeserve.registry.models import Agency, AgencyStaff, Enterprise, Expert, Industry, Insurer
from safeserve.services.choices import ContractStatus, PayerType
from safeserve.services.models import ContractEnterprise, ServiceContract
from safeserve_dev.testkit import on_day

POLICIES = 1500
# GB/T 4754 codes of the mandatory industries of the 2025 measures present in the demo register:
# mining (B), chemicals (C26), metal smelting (C31, C32), construction (E), transport (G), fishing (A04).
MANDATORY_CODES = ("B", "C26", "C31", "C32", "E", "G", "A04")


def reset_insurance(stdout=None) -> None:
    contracts = list(PreventionPlan.objects.exclude(contract=None).values_list("contract_id", flat=True))
    Appointment.objects.filter(replaces__isnull=False).delete()  # the reschedules first (PROTECT)
    for model in (
        Appointment,
        Evaluation,
        Claim,
        Complaint,
        PreventionExpense,
        PreventionVisit,
        PreventionPlan,
        Policy,
    ):
        model.objects.all().delete()
    # The commission contracts' visits are the services reset's; the contracts go with them.
    ServiceContract.objects.filter(pk__in=contracts, visits=None).delete()
    if stdout is not None:
        stdout.write("已清除安责险演示数据")


@transaction.atomic
def seed_insurance(rng, stdout=None, *, policies: int = POLICIES) -> dict:
    today = timezone.localdate()
    Industry.objects.filter(code__in=MANDATORY_CODES).update(insurance_mandatory=True)
    insurers = list(Insurer.objects.order_by("id"))
    if not insurers:
        return {}
    PremiumRuleTable.objects.get_or_create(
        year=today.year, defaults={"rules": dict(rules.DEFAULT_RULES), "note": "本地示例（默认规则）"}
    )
    mandatory = list(
        Enterprise.objects.filter(industry__insurance_mandatory=True, status="active").values_list("pk", flat=True)
    ) + list(
        Enterprise.objects.filter(industry__parent__insurance_mandatory=True, status="active").values_list(
            "pk", flat=True
        )
    )
    rng.shuffle(mandatory)
    insured = mandatory[: int(len(mandatory) * 0.85)]  # 15% of them stay uninsured (应保未保)
    others = list(
        Enterprise.objects.exclude(pk__in=mandatory).order_by("?").values_list("pk", flat=True)[: max(0, policies)]
    )
    chosen = (insured + others)[:policies]
    rows = []
    for n, ent_id in enumerate(chosen, start=1):
        start = today - timedelta(days=rng.randint(0, 420))
        premium = Decimal(rng.choice([3000, 5000, 8000, 12000, 20000, 36000]))
        collected = premium if rng.random() < 0.9 else (premium * Decimal("0.8")).quantize(Decimal("1"))
        rows.append(
            Policy(
                insurer=insurers[n % len(insurers)],
                enterprise_id=ent_id,
                number=f"AZX{today.year}{n:06d}",
                start_date=start,
                end_date=start + timedelta(days=364),
                premium=premium,
                premium_collected=collected,
                limit_per_person=Decimal(rng.choice([500000, 800000, 1000000])),
                limit_per_accident=Decimal(rng.choice([5000000, 8000000, 10000000])),
                employees_covered=rng.randint(5, 300),
                prevention_share=Decimal(rng.choice(["20", "20", "21", "18", "15"])),
                status="active" if rng.random() < 0.97 else "cancelled",
            )
        )
    created = Policy.objects.bulk_create(rows, batch_size=500)
    agencies = list(Agency.objects.filter(is_active=True).order_by("id")[:20])
    demo_agency = User.objects.filter(username="demo_agency", role=Role.AGENCY).select_related("agency").first()
    if demo_agency is not None and demo_agency.agency not in agencies:
        agencies.insert(0, demo_agency.agency)
    plans, contracts = [], []
    planned = [p for p in created if rng.random() < 0.7]
    experts = list(Expert.objects.order_by("id")[:20])
    demo_expert = User.objects.filter(username="demo_expert", role=Role.EXPERT).exclude(expert=None).first()
    if demo_expert is not None and demo_expert.expert_id not in {e.pk for e in experts}:
        experts.insert(0, demo_expert.expert)
    for n, p in enumerate(planned):
        agency = agencies[rng.randrange(len(agencies))] if agencies else None
        expert = None
        if experts and (agency is None or n % 8 == 0):  # one plan in eight is served by an expert alone
            agency, expert = None, experts[0] if n % 16 == 0 else experts[rng.randrange(len(experts))]
        plans.append(
            PreventionPlan(
                policy=p,
                items=rng.sample(["hazard", "training", "emergency", "standardization"], 2),
                measures="现场隐患排查、安全培训、应急演练指导",
                visits_per_year=rng.choice([2, 4, 4, 6]),
                agency=agency,
                expert=expert,
                goals="隐患排查全覆盖，全员安全培训，事故率下降",
            )
        )
        if agency is not None:
            contracts.append(
                ServiceContract(
                    number=f"AZX-{p.pk}-{agency.pk}",
                    agency=agency,
                    payer_type=PayerType.INSURER,
                    payer_insurer_id=p.insurer_id,
                    items=["hazard"],
                    start_date=p.start_date,
                    end_date=p.end_date,
                    fee=p.prevention_planned,
                    visits_per_year=4,
                    status=(
                        ContractStatus.TERMINATED
                        if p.status != "active"
                        else ContractStatus.EXPIRED
                        if p.end_date < today
                        else ContractStatus.ACTIVE
                    ),
                    note=f"安责险保单 {p.number} 事故预防服务委托",
                )
            )
    contracts = ServiceContract.objects.bulk_create(contracts, batch_size=500)
    by_number = {c.number: c for c in contracts}
    for plan in plans:
        if plan.agency is not None:
            plan.contract = by_number[f"AZX-{plan.policy.pk}-{plan.agency.pk}"]
    PreventionPlan.objects.bulk_create(plans, batch_size=500)
    ContractEnterprise.objects.bulk_create(
        [ContractEnterprise(contract=p.contract, enterprise_id=p.policy.enterprise_id) for p in plans if p.contract],
        batch_size=500,
    )
    visits = _visits(rng, plans, demo_agency, today)
    expert_visits = _expert_visits(rng, plans, today)
    PreventionExpense.objects.bulk_create(
        [
            PreventionExpense(
                policy=p.policy,
                spent_on=min(today, p.policy.start_date + timedelta(days=rng.randint(10, 300))),
                amount=(p.policy.prevention_planned * Decimal(rng.choice(["0.3", "0.5", "0.8"]))).quantize(
                    Decimal("0.01")
                ),
                description=rng.choice(["隐患排查服务费", "安全培训讲课费", "应急演练指导费"]),
            )
            for p in plans
            if rng.random() < 0.6
        ],
        batch_size=500,
    )
    complaints = []
    for p in rng.sample(planned, min(60, len(planned))):
        received = today - timedelta(days=rng.randint(0, 60))
        check = rng.random() < 0.3
        answered = rng.random() < 0.6
        complaints.append(
            Complaint(
                policy=p,
                received_on=received,
                complainant=rng.choice(["企业安全员", "企业负责人", "职工代表"]),
                content=rng.choice(["服务人员未按计划上门", "服务记录与现场不符", "培训流于形式"]),
                needs_checking=check,
                due_on=received + timedelta(days=42 if check else 14),
                state="answered" if answered else "open",
                answered_on=received + timedelta(days=7) if answered else None,
                answer="已更换服务人员并补做服务" if answered else "",
            )
        )
    Complaint.objects.bulk_create(complaints)
    claims = []
    for p in rng.sample(created, min(80, len(created))):
        occurred = min(today, p.start_date + timedelta(days=rng.randint(1, 300)))
        loss = Decimal(rng.randint(5, 400) * 1000)
        paid = rng.random() < 0.6
        claims.append(
            Claim(
                policy=p,
                occurred_on=occurred,
                reported_on=occurred,
                accident_ref=rng.choice(["机械伤害", "物体打击", "高处坠落", "触电"]),
                assessed_loss=loss,
                paid_amount=loss if paid else Decimal("0"),
                paid_on=occurred + timedelta(days=20) if paid else None,
            )
        )
    Claim.objects.bulk_create(claims)
    evaluations = _evaluations(rng, plans, today)
    appointments = _appointments(rng, plans, demo_agency, today)
    summary = {
        "policies": len(created),
        "plans": len(plans),
        "visits": visits,
        "expert_visits": expert_visits,
        "complaints": len(complaints),
        "evaluations": evaluations,
        "appointments": appointments,
    }
    if stdout is not None:
        stdout.write(
            f"安责险：保单 {len(created)} 份，服务计划 {len(plans)} 份，预防服务记录 {visits} 条，"
            f"专家服务记录 {expert_visits} 条"
        )
    return summary


def _evaluations(rng, plans, today, limit: int = 40) -> int:
    """A few AQ 9010 yearly evaluations of this year, for plans whose policy has run half a year, with the
    figures computed as the action freezes them (written by the insurer's demo account when there is one)."""
    from safeserve.insurance.actions import evaluation_figures

    year = today.year
    writers = dict(User.objects.filter(role=Role.INSURER, is_active=True).values_list("insurer_id", "pk"))
    due = [
        pl
        for pl in plans
        if pl.policy.start_date <= today - timedelta(days=180)
        and pl.policy.start_date.year <= year <= pl.policy.end_date.year
    ]
    rows = []
    for plan in rng.sample(due, min(limit, len(due))):
        figures = evaluation_figures(plan.policy, year)
        done, planned = figures["visits_done"], figures["visits_planned"]
        conclusion = "good" if planned and done >= planned else ("fair" if done else "poor")
        rows.append(
            Evaluation(
                policy=plan.policy,
                year=year,
                evaluated_on=today,
                evaluator=rng.choice(["风险管理部 张工", "风险管理部 李工", "防灾减损中心 王工"]),
                written_by_id=writers.get(plan.policy.insurer_id),
                conclusion=conclusion,
                enterprise_opinion=rng.choice(["", "服务认真，建议增加培训", "希望提前告知上门时间"]),
                **figures,
            )
        )
    Evaluation.objects.bulk_create(rows)
    return len(rows)


def _visits(rng, plans, demo_agency, today, limit: int = 30) -> int:
    """A few prevention visits by the demo agency, through the services action (hash chain, photos
    optional). Without the demo account (``--no-accounts``) there are none."""
    if demo_agency is None:
        return 0
    from safeserve.services import actions as service_actions

    staff = list(AgencyStaff.objects.filter(agency=demo_agency.agency, is_active=True))
    mine = [p for p in plans if p.agency_id == demo_agency.agency_id and p.policy.status == "active"]
    done = 0
    for plan in mine[: limit * 2]:
        day = min(today - timedelta(days=1), plan.policy.start_date + timedelta(days=rng.randint(5, 200)))
        present = [s for s in staff if s.is_qualified_on(day)][:1]
        try:
            service_actions.visit_record(
                actor=demo_agency,
                contract=plan.contract,
                enterprise=plan.policy.enterprise,
                visited_at=timezone.make_aware(datetime.combine(day, time(9, 30))),
                staff=present,
                findings="检查配电箱、消防通道、危化品储存，发现灭火器过期，已告知整改。",
            )
        except (ValidationError, PermissionDenied):
            continue  # e.g. the agency lacks a licence that day: the demo shows that plan as behind
        done += 1
        if done >= limit:
            break
    return done


def _expert_visits(rng, plans, today, limit: int = 24) -> int:
    """Prevention visits of the expert-only plans, through the insurance action (the expert's chain):
    recorded by the expert's own account (``demo_expert``) or, for the other experts, by the insurer's
    staff on their behalf. About one plan in three gets none, so 保而不防 lists some expert plans too;
    one item in six has a problem, which becomes a hazard of the insured."""
    from safeserve.insurance.actions import prevention_visit_record
    from safeserve.services.models import ChecklistTemplate

    template = ChecklistTemplate.objects.filter(is_active=True).order_by("id").first()
    if template is None:
        return 0
    items = list(template.items.all())
    by_expert = {u.expert_id: u for u in User.objects.filter(role=Role.EXPERT, is_active=True).exclude(expert=None)}
    by_insurer = {u.insurer_id: u for u in User.objects.filter(role=Role.INSURER, is_active=True).exclude(insurer=None)}
    mine = [p for p in plans if p.expert_id and p.policy.status == "active" and p.policy.start_date < today]
    done = 0
    for n, plan in enumerate(mine):
        if n % 3 == 2:
            continue  # no visit: this plan stays 保而不防 and behind
        actor = by_expert.get(plan.expert_id) or by_insurer.get(plan.policy.insurer_id)
        if actor is None:
            continue
        last = min(today - timedelta(days=1), plan.policy.end_date)
        day = plan.policy.start_date + timedelta(days=rng.randint(0, max(0, (last - plan.policy.start_date).days)))
        results = {i.pk: ("ok", "") for i in items}
        if items and rng.random() < 0.4:
            item = items[rng.randrange(len(items))]
            results[item.pk] = ("problem", rng.choice(["灭火器压力不足", "配电箱未上锁", "安全出口堆放杂物"]))
        try:
            prevention_visit_record(
                actor=actor,
                plan=plan,
                visited_at=timezone.make_aware(datetime.combine(day, time(14, 0))),
                template=template,
                results=results,
                findings="专家现场检查并讲解岗位安全操作要点。",
            )
        except (ValidationError, PermissionDenied):
            continue
        done += 1
        if done >= limit:
            break
    return done


# ---- appointments (AQ 9010 advance confirmation)


def _appointments(rng, plans, demo_agency, today, limit: int = 12) -> int:
    """Appointments of the demo agency's plans in every state: most recorded visits had one confirmed
    two days ahead (some did not: 未提前确认), and upcoming ones are proposed, confirmed, declined
    (with a reason and another day), rescheduled (with the new proposal) or cancelled; one confirmed
    day has passed with no visit (爽约/未上门). Bulk inserts; nobody is notified."""
    if demo_agency is None:
        return 0
    from safeserve.insurance.choices import AppointmentState as S
    from safeserve.services.models import ServiceVisit

    mine = [p for p in plans if p.agency_id == demo_agency.agency_id and p.contract_id and p.policy.status == "active"]
    if not mine:
        return 0
    answered = on_day(today, 10)  # before 10:00, a moment earlier today
    rows = []

    def add(plan, day, state, **kw):
        rows.append(
            Appointment(
                plan=plan,
                day=day,
                half_day=rng.choice(["am", "pm"]),
                place="企业生产现场",
                items=list(plan.items),
                state=state,
                proposed_by=demo_agency,
                **kw,
            )
        )

    contracts = {p.contract_id: p for p in mine}
    visits = ServiceVisit.objects.filter(contract_id__in=list(contracts)).order_by("id")
    for n, v in enumerate(visits[: limit * 2]):
        if n % 4 == 3:
            continue  # recorded with no appointment: 未提前确认
        day = timezone.localtime(v.visited_at).date()
        confirmed_at = timezone.make_aware(datetime.combine(day - timedelta(days=2), time(16, 0)))
        add(contracts[v.contract_id], day, S.CONFIRMED, answered_at=confirmed_at)
    upcoming = [
        (S.PROPOSED, {}),
        (S.CONFIRMED, {"answered_at": answered}),
        (S.DECLINED, {"answered_at": answered, "reason": "当天停产检修", "suggested_day": today + timedelta(days=9)}),
        (S.CANCELLED, {"reason": "服务人员调整"}),
        (S.RESCHEDULED, {}),
    ]
    for i, (state, kw) in enumerate(upcoming):
        plan = mine[i % len(mine)]
        if plan.policy.end_date < today + timedelta(days=10):
            continue
        add(plan, today + timedelta(days=3 + i), state, **kw)
    plan = mine[0]
    if plan.policy.start_date <= today - timedelta(days=3):
        add(plan, today - timedelta(days=3), S.CONFIRMED, answered_at=answered - timedelta(days=6))  # 爽约/未上门
    created = Appointment.objects.bulk_create(rows)
    moved = [a for a in created if a.state == S.RESCHEDULED]
    Appointment.objects.bulk_create(
        [
            Appointment(
                plan=a.plan,
                day=a.day + timedelta(days=7),
                half_day=a.half_day,
                place=a.place,
                items=a.items,
                state=S.PROPOSED,
                proposed_by=demo_agency,
                replaces=a,
            )
            for a in moved
        ]
    )
    return len(created) + len(moved)
