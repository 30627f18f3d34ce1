"""Demo data for government purchase of services: ~20 projects of the county and the towns in every
state, with bids (their eligibility checks computed as on the page), the government-paid service
contracts of the awarded ones, evaluations and payments. Rows are bulk-created; the rules the
actions enforce (no self-paid service for 危化/重大危险源 units, terms, payments within the hold-back)
hold for every seeded row."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from safeserve.procurement import eligibility
from safeserve.procurement.actions import active_scheme, grade_for
from safeserve.procurement.models import Bid, Evaluation, Payment, Project, ProjectTarget
from safeserve.registry.models import Agency, Enterprise, Town
from safeserve.services.models import ContractEnterprise, ServiceContract

# (status, buyer is the county, subject, service type, method, term months)
PLAN = [
    ("draft", False, "hazard_inspection", "consulting", "inquiry", 12),
    ("draft", True, "accident_analysis", "other", "consultation", 12),
    ("draft", False, "publicity", "training", "inquiry", 6),
    ("approved", False, "hazard_inspection", "consulting", "negotiation", 12),
    ("approved", True, "informatization", "other", "open_tender", 24),
    ("procuring", False, "hazard_inspection", "consulting", "consultation", 12),
    ("procuring", True, "enforcement_support", "consulting", "open_tender", 12),
    ("procuring", False, "training", "training", "inquiry", 12),
    ("performing", False, "hazard_inspection", "consulting", "consultation", 12),
    ("performing", False, "hazard_inspection", "consulting", "inquiry", 12),
    ("performing", True, "enforcement_support", "consulting", "open_tender", 12),
    ("performing", False, "hazard_inspection", "consulting", "negotiation", 12),
    ("performing", True, "hazard_inspection", "consulting", "open_tender", 36),
    ("performing", False, "publicity", "training", "inquiry", 12),
    ("evaluated", False, "hazard_inspection", "consulting", "consultation", 12),
    ("evaluated", True, "enforcement_support", "consulting", "open_tender", 12),
    ("evaluated", False, "hazard_inspection", "consulting", "inquiry", 12),
    ("closed", False, "hazard_inspection", "consulting", "consultation", 12),
    ("closed", True, "hazard_inspection", "consulting", "open_tender", 12),
    ("cancelled", False, "hazard_inspection", "consulting", "inquiry", 12),
]
NAMES = {
    "hazard_inspection": "小微企业隐患排查技术服务",
    "enforcement_support": "执法检查专家技术支撑服务",
    "publicity": "安全生产宣传进企业",
    "informatization": "安全生产信息化平台运维",
    "accident_analysis": "生产安全事故数据分析",
    "training": "小微企业从业人员安全培训",
}
AWARDED = ("performing", "evaluated", "closed")


def seed_procurement(rng, stdout=None) -> dict:
    today = timezone.localdate()
    towns = list(Town.objects.order_by("sort_order", "code"))
    every = list(Agency.objects.order_by("pk")[:200])
    agencies = [a for a in every if "consulting" in (a.service_types or [])][:40] or every[:40]
    if not towns or not agencies:
        return {}
    safe = Enterprise.objects.filter(status="active", is_hazchem=False, has_major_hazard_source=False)
    scheme = active_scheme()
    projects, targets = [], {}
    for n, (status, county, subject, stype, method, term) in enumerate(PLAN, start=1):
        town = None if county else towns[n % len(towns)]
        year = today.year if status != "closed" else today.year - 1
        start = today - timedelta(days=rng.randint(30, 200)) if status in AWARDED else today + timedelta(days=30)
        if status == "closed":
            start = today - timedelta(days=400)
        pool = safe.filter(town=town) if town else safe
        ids = (
            []
            if subject in ("informatization", "accident_analysis")
            else list(
                pool.filter(size_class__in=["small", "micro"])
                .order_by("?")
                .values_list("pk", flat=True)[: rng.randint(8, 40)]
            )
        )
        budget = Decimal(rng.choice([80, 120, 150, 200, 300, 450])) * 1000
        p = Project(
            number=f"ZFGM-{year}-{n:04d}",
            name=f"{town.name if town else '县级'}{year}年{NAMES.get(subject, '服务')}",
            buyer_kind="county" if county else "town",
            buyer_town=town,
            year=year,
            budget=budget,
            service_type=stype,
            subject=subject,
            description="面向辖区小微企业的技术服务，发现的问题交执法人员处理。"
            if subject == "hazard_inspection"
            else "",
            target_mode="list" if ids else "none",
            method=method,
            start_date=start,
            term_months=term,
            stable_justification="服务内容、资金和价格三年内稳定，经财政部门同意" if term > 12 else "",
            visits_per_year=rng.choice([2, 4]),
            status=status,
            targets_frozen_at=None if status == "draft" else timezone.now() - timedelta(days=rng.randint(40, 300)),
        )
        projects.append(p)
        targets[p.number] = ids
    Project.objects.bulk_create(projects)
    projects = list(Project.objects.filter(number__in=[p.number for p in projects]))
    ProjectTarget.objects.bulk_create(
        [ProjectTarget(project=p, enterprise_id=e) for p in projects for e in targets[p.number]]
    )
    bids, won = [], {}
    for p in projects:
        if p.status in ("draft", "approved", "cancelled"):
            continue
        chosen = rng.sample(agencies, k=min(3, len(agencies)))
        on = p.start_date - timedelta(days=20)
        checks = eligibility.check_suppliers([a.pk for a in chosen], p.service_type, on)
        for i, a in enumerate(chosen):
            amount = (p.budget * Decimal(rng.randint(70, 98)) / 100).quantize(Decimal("100"))
            c = eligibility.as_data(checks[a.pk])
            bids.append(
                Bid(
                    project=p,
                    agency=a,
                    amount=amount,
                    score=Decimal(rng.randint(70, 95)),
                    submitted_on=on,
                    checks=c,
                    eligible=all(x["ok"] for x in c),
                )
            )
    Bid.objects.bulk_create(bids)
    by_project = {}
    for b in Bid.objects.filter(project__in=projects).select_related("agency").order_by("amount"):
        by_project.setdefault(b.project_id, []).append(b)
    contracts = []
    for p in projects:
        if p.status not in AWARDED:
            continue
        options = by_project.get(p.pk, [])
        bid = next((b for b in options if b.eligible), options[0] if options else None)
        if bid is None:
            continue
        won[p.pk] = bid
        contracts.append(
            ServiceContract(
                number=f"{p.number}-HT",
                agency_id=bid.agency_id,
                payer_type="town" if p.buyer_town_id else "county",
                payer_town_id=p.buyer_town_id,
                items=["training"] if p.service_type == "training" else ["hazard"],
                start_date=p.start_date,
                end_date=p.end_date,
                fee=bid.amount,
                visits_per_year=p.visits_per_year,
                status="expired" if p.end_date < today else ("active" if targets[p.number] else "draft"),
                note=f"政府购买服务项目 {p.number}",
            )
        )
    ServiceContract.objects.bulk_create(contracts)
    by_number = {c.number: c for c in ServiceContract.objects.filter(number__in=[c.number for c in contracts])}
    ContractEnterprise.objects.bulk_create(
        [
            ContractEnterprise(contract=by_number[f"{p.number}-HT"], enterprise_id=e)
            for p in projects
            if f"{p.number}-HT" in by_number
            for e in targets[p.number]
        ]
    )
    payments, evaluations = [], []
    indicators = list(scheme.indicators.all()) if scheme else []
    for p in projects:
        bid = won.get(p.pk)
        c = by_number.get(f"{p.number}-HT")
        if bid is None or c is None:
            continue
        Project.objects.filter(pk=p.pk).update(
            awarded_bid=bid,
            award_reason="综合评分最高" if p.method in ("open_tender", "consultation") else "最低报价",
            awarded_on=p.start_date - timedelta(days=10),
            contract=c,
        )
        payments.append(
            Payment(
                project=p,
                kind="advance",
                amount=(c.fee * Decimal("0.3")).quantize(Decimal("0.01")),
                paid_on=p.start_date,
            )
        )
        if p.status in ("evaluated", "closed"):
            payments.append(
                Payment(
                    project=p,
                    kind="progress",
                    amount=(c.fee * Decimal("0.4")).quantize(Decimal("0.01")),
                    paid_on=p.start_date + timedelta(days=180),
                )
            )
            scores = {
                i.key: str((i.max_points * Decimal(rng.randint(70, 100)) / 100).quantize(Decimal("0.01")))
                for i in indicators
            }
            total = sum((Decimal(v) for v in scores.values()), Decimal(0))
            evaluations.append(
                Evaluation(
                    project=p,
                    scheme=scheme,
                    scores=scores,
                    figures={},
                    total=total,
                    grade=grade_for(total),
                    satisfaction=Decimal(rng.randint(80, 98)),
                    accepted=True,
                    note="按合同完成服务",
                    evaluated_on=min(today, p.end_date),
                )
            )
        if p.status == "closed":
            payments.append(
                Payment(
                    project=p,
                    kind="final",
                    amount=(c.fee * Decimal("0.3")).quantize(Decimal("0.01"))
                    if evaluations[-1].grade in ("excellent", "good")
                    else (c.fee * Decimal("0.24")).quantize(Decimal("0.01")),
                    paid_on=p.end_date,
                )
            )
    Payment.objects.bulk_create(payments)
    Evaluation.objects.bulk_create(evaluations)
    counts = {"projects": len(projects), "bids": len(bids), "contracts": len(contracts), "payments": len(payments)}
    if stdout is not None:
        stdout.write(
            "  政府购买服务项目 {projects} 个，投标 {bids} 份，合同 {contracts} 份，支付 {payments} 笔".format(**counts)
        )
    return counts


def reset_procurement(stdout=None) -> int:
    """The projects and everything under them, then the contracts their awards created."""
    numbers = list(Project.objects.exclude(contract=None).values_list("contract_id", flat=True))
    n = Payment.objects.all().delete()[0] + Evaluation.objects.all().delete()[0]
    Project.objects.update(awarded_bid=None, contract=None)
    n += Bid.objects.all().delete()[0] + ProjectTarget.objects.all().delete()[0] + Project.objects.all().delete()[0]
    n += ServiceContract.objects.filter(Q(pk__in=numbers) | Q(number__startswith="ZFGM-")).delete()[0]
    if stdout is not None and n:
        stdout.write(f"  政府购买服务：清除 {n} 条")
    return n
