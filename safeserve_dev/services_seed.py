"""Demo data for services and hazards: contracts, hash-chained visits, ratings and hazards.

``seed_services(rng, enterprises, agencies, scale)`` is called by ``seed_demo``. At ``scale=1.0`` it
writes the county-scale volumes of issue 3 (5,000 contracts, 60,000 visits, 200,000 hazards), fewer
when there are not enough enterprises. Everything is bulk-inserted; visit hashes are computed exactly
as ``actions.visit_record`` does, so ``manage.py verify_records`` passes on seeded data.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safeserve.registry.models import AgencyQualification, AgencyStaff
from safeserve.services import chain
from safeserve.services.choices import ITEM_SERVICE_TYPE, ContractStatus, ItemResult, PayerType, ServiceItem
from safeserve.services.models import (
    ChecklistTemplate,
    ContractEnterprise,
    ServiceContract,
    ServiceVisit,
    VisitItemResult,
    VisitRating,
)
from safeserve_dev.testkit import make_id_number, on_day

BATCH = 5000
FINDINGS = [
    "配电箱未上锁，线路有私拉乱接",
    "安全出口堆放杂物",
    "灭火器压力不足",
    "员工未佩戴防护用品",
    "特种设备检验标志过期",
    "现场检查未发现明显问题",
    "有限空间未设置警示标志",
    "粉尘清扫记录不全",
]


def _qualified_staff(rng, agencies):
    """Each agency's qualified staff, creating two registered engineers where an agency has none."""
    today = timezone.localdate()
    by_agency = {a.pk: [] for a in agencies}
    for s in AgencyStaff.objects.filter(agency__in=agencies, is_active=True, is_registered_engineer=True):
        if s.engineer_certificate_valid_until is None or s.engineer_certificate_valid_until > today:
            by_agency[s.agency_id].append(s)
    new = []
    serial = 900000 + AgencyStaff.objects.count()
    for a in agencies:
        if by_agency[a.pk]:
            continue
        for k in range(2):
            serial += 1
            new.append(
                AgencyStaff(
                    agency=a,
                    name=rng.choice("赵钱孙李周吴郑王冯陈") + rng.choice(["工", "伟", "敏", "静", "磊"]) + str(k + 1),
                    id_number=make_id_number(
                        serial, birth=f"19{rng.randint(70, 95)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}"
                    ),
                    is_registered_engineer=True,
                    engineer_certificate_no=f"ZA-{serial}",
                )
            )
    for s in AgencyStaff.objects.bulk_create(new):
        by_agency[s.agency_id].append(s)
    return by_agency


@transaction.atomic
def seed_services(rng, enterprises, agencies, scale: float = 1.0, *, contracts=None, visits=None, hazards=None):
    enterprises = list(enterprises)
    agencies = list(agencies)
    if not enterprises or not agencies:
        return {"contracts": 0, "visits": 0, "hazards": 0}
    n_contracts = min(contracts if contracts is not None else round(5000 * scale), len(enterprises))
    n_visits = visits if visits is not None else round(60000 * scale)
    n_hazards = hazards if hazards is not None else round(200000 * scale)
    today = timezone.localdate()
    staff = _qualified_staff(rng, agencies)
    start_no = ServiceContract.objects.count()

    # An agency is contracted only for the items it may serve (licensed kinds need its qualification).
    licensed = set(settings.SAFESERVE["LICENSED_SERVICE_TYPES"])
    held = {a.pk: set() for a in agencies}
    for agency_id, kind in AgencyQualification.objects.filter(agency__in=agencies, valid_until__gte=today).values_list(
        "agency_id", "service_type"
    ):
        held[agency_id].add(kind)
    allowed_items = {
        a.pk: [
            i for i in ServiceItem.values if ITEM_SERVICE_TYPE[i] not in licensed or ITEM_SERVICE_TYPE[i] in held[a.pk]
        ]
        for a in agencies
    }

    # Contracts: most enterprise-paid for one enterprise; every 20th bought by the town for a group.
    served = sorted(rng.sample(enterprises, min(len(enterprises), n_contracts * 2)), key=lambda e: e.town_id)
    cs, links = [], []
    i = 0
    while i < len(served) and len(cs) < n_contracts:
        group = [served[i]]
        if len(cs) % 20 == 19:  # every 20th contract: bought by the town for up to 10 of its enterprises
            while (
                len(group) < 10 and i + len(group) < len(served) and served[i + len(group)].town_id == group[0].town_id
            ):
                group.append(served[i + len(group)])
        i += len(group)
        start = today - timedelta(days=rng.randint(30, 700))
        end = start + timedelta(days=365)
        status = ContractStatus.ACTIVE if end >= today else ContractStatus.EXPIRED
        if rng.random() < 0.03:
            status = ContractStatus.DRAFT
        town_bought = len(group) > 1
        agency = rng.choice(agencies)
        pool = allowed_items[agency.pk]
        cs.append(
            (
                ServiceContract(
                    number=f"JSFW-{start.year}-{start_no + len(cs) + 1:06d}",
                    agency=agency,
                    payer_type=PayerType.TOWN if town_bought else PayerType.ENTERPRISE,
                    payer_town_id=group[0].town_id if town_bought else None,
                    items=rng.sample(pool, min(len(pool), rng.randint(1, 3))) if not town_bought else ["hazard"],
                    start_date=start,
                    end_date=end,
                    fee=Decimal(rng.choice([6000, 8000, 12000, 20000]) * len(group)),
                    visits_per_year=rng.choice([4, 4, 6, 12]),
                    status=status,
                ),
                group,
            )
        )
    created = ServiceContract.objects.bulk_create([c for c, _ in cs], batch_size=BATCH)
    for c, (_, group) in zip(created, cs, strict=True):
        links += [ContractEnterprise(contract_id=c.pk, enterprise_id=e.pk) for e in group]
    ContractEnterprise.objects.bulk_create(links, batch_size=BATCH)
    Through = ServiceContract.staff.through
    Through.objects.bulk_create(
        [Through(servicecontract_id=c.pk, agencystaff_id=s.pk) for c in created for s in staff[c.agency_id][:2]],
        batch_size=BATCH,
    )

    # Visits, in time order per agency so that each agency's hash chain is in sequence.
    live = [
        (c, e) for c, (_, group) in zip(created, cs, strict=True) if c.status != ContractStatus.DRAFT for e in group
    ]
    template = ChecklistTemplate.objects.filter(industry__isnull=True).order_by("id").first()
    items = list(template.items.values_list("pk", flat=True)) if template else []
    plan = []
    for _k in range(n_visits if live else 0):
        c, e = rng.choice(live)
        span = max(1, (min(c.end_date, today) - c.start_date).days)
        day = c.start_date + timedelta(days=rng.randint(0, span))
        at = on_day(day, rng.randint(8, 16), rng.randint(0, 59))  # before 08:00, today's visits are earlier
        plan.append((at, c, e))
    plan.sort(key=lambda p: (p[1].agency_id, p[0]))
    # Continue each agency's existing chain from its highest sequence number.
    top = {}
    for row in (
        ServiceVisit.objects.filter(agency__in=agencies)
        .order_by("agency_id", "seq")
        .values("agency_id", "seq", "content_hash")
    ):
        top[row["agency_id"]] = (row["seq"], row["content_hash"])
    last = top
    visit_objs, staff_rows, result_rows = [], [], []
    for at, c, e in plan:
        seq, prev = last.get(c.agency_id, (0, chain.GENESIS))
        people = staff[c.agency_id][: rng.randint(1, 2)]
        use_template = template is not None and rng.random() < 0.1
        results = (
            [(i, rng.choice([ItemResult.OK] * 8 + [ItemResult.PROBLEM]), "") for i in items] if use_template else []
        )
        results = [(i, r, "见发现问题" if r == ItemResult.PROBLEM else "") for i, r, _n in results]
        v = ServiceVisit(
            agency_id=c.agency_id,
            contract_id=c.pk,
            enterprise_id=e.pk,
            visited_at=at,
            template=template if use_template else None,
            findings=rng.choice(FINDINGS),
            signed_by=e.safety_manager or e.legal_representative,
            signed_at=min(at + timedelta(hours=1), timezone.now()),
            seq=seq + 1,
            prev_hash=prev,
        )
        v.content_hash = chain.digest(
            chain.canonical_content(v, staff_ids=[s.pk for s in people], results=results, photo_hashes=[])
        )
        last[c.agency_id] = (v.seq, v.content_hash)
        visit_objs.append((v, people, results))
    saved = []
    for start in range(0, len(visit_objs), BATCH):
        chunk = visit_objs[start : start + BATCH]
        objs = ServiceVisit.objects.bulk_create([v for v, _p, _r in chunk])
        for v, (_v, people, results) in zip(objs, chunk, strict=True):
            staff_rows += [ServiceVisit.staff.through(servicevisit_id=v.pk, agencystaff_id=s.pk) for s in people]
            result_rows += [VisitItemResult(visit_id=v.pk, item_id=i, result=r, note=n) for i, r, n in results]
        saved += objs
        ServiceVisit.staff.through.objects.bulk_create(staff_rows, batch_size=BATCH)
        VisitItemResult.objects.bulk_create(result_rows, batch_size=BATCH)
        staff_rows, result_rows = [], []
    ratings = [
        VisitRating(visit_id=v.pk, agency_id=v.agency_id, score=rng.choice([3, 4, 4, 5, 5, 5]), comment="")
        for v in saved
        if rng.random() < 0.3
    ]
    VisitRating.objects.bulk_create(ratings, batch_size=BATCH)

    from safeserve_dev.hazards_seed import seed_hazards

    n_h = seed_hazards(rng, enterprises, saved, n_hazards)
    return {"contracts": len(created), "visits": len(saved), "hazards": n_h}


def reset_services(stdout=None):
    """Delete seeded hazards, visits and contracts (children first), so the registry can be reset."""
    from django.db import transaction

    from safeserve.hazards.models import (
        Hazard,
        HazardEvent,
        HazardExtension,
        HazardPhoto,
        IssuedNotice,
        RemediationPlan,
    )
    from safeserve.services.models import (
        ContractEnterprise,
        ServiceContract,
        ServiceVisit,
        VisitItemResult,
        VisitPhoto,
        VisitRating,
    )

    with transaction.atomic():
        for model in (
            IssuedNotice,  # issued by demo users and pointing at visits (PROTECT): before both
            HazardExtension,
            HazardPhoto,
            HazardEvent,
            RemediationPlan,
            Hazard,
            VisitRating,
            VisitPhoto,
            VisitItemResult,
            ServiceVisit,
            ContractEnterprise,
            ServiceContract,
        ):
            n, _ = model.objects.all().delete()
            if stdout and n:
                stdout.write(f"  已清除 {model._meta.verbose_name}: {n}")
