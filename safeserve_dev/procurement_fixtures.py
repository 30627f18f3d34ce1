"""Test helpers for the procurement app: projects in each state, bids and an awarded contract."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone


def make_project(
    world,
    *,
    buyer="town_a",
    status="draft",
    targets=("ent_a",),
    name="隐患排查技术服务",
    service_type="consulting",
    subject="hazard_inspection",
    budget="100000",
    year=None,
    term_months=12,
    number=None,
):
    from safeserve.procurement.models import Project, ProjectTarget

    today = timezone.localdate()
    town = world[buyer] if buyer != "county" else None
    n = Project.objects.count() + 1
    p = Project.objects.create(
        number=number or f"ZFGM-T-{n:04d}",
        name=name,
        buyer_kind="town" if town else "county",
        buyer_town=town,
        year=year or today.year,
        budget=Decimal(budget),
        service_type=service_type,
        subject=subject,
        target_mode="list",
        target_codes="\n".join(world[t].credit_code for t in targets),
        method="inquiry",
        start_date=today - timedelta(days=60),
        term_months=term_months,
        visits_per_year=4,
        status=status,
        targets_frozen_at=timezone.now() if status != "draft" else None,
    )
    ProjectTarget.objects.bulk_create([ProjectTarget(project=p, enterprise=world[t]) for t in targets])
    return p


def make_bid(world, project, agency="agency_a", amount="80000", eligible=True):
    from safeserve.procurement.models import Bid

    return Bid.objects.create(
        project=project,
        agency=world[agency],
        amount=Decimal(amount),
        submitted_on=timezone.localdate() - timedelta(days=30),
        checks=[{"key": "qualification", "label": "有效资质", "ok": eligible, "reason": "测试"}],
        eligible=eligible,
    )


def make_awarded(world, *, buyer="town_a", agency="agency_a", targets=("ent_a",), amount="80000", name="履约项目"):
    """A project in performance: its bid won and a government-paid contract serves its targets."""
    from safeserve.procurement.models import Project
    from safeserve_dev.services_fixtures import make_contract

    p = make_project(world, buyer=buyer, status="performing", targets=targets, name=name)
    bid = make_bid(world, p, agency, amount)
    contract = make_contract(
        world,
        agency=agency,
        enterprises=targets,
        number=f"{p.number}-HT",
        payer_type="town" if buyer != "county" else "county",
        payer_town=world[buyer] if buyer != "county" else None,
    )
    contract.fee = Decimal(amount)
    contract.save(update_fields=["fee"])
    Project.objects.filter(pk=p.pk).update(
        awarded_bid=bid, award_reason="最低价", awarded_on=timezone.localdate() - timedelta(days=20), contract=contract
    )
    p.refresh_from_db()
    return p


def extend_world(world):
    """Town A's and town B's projects: a draft each, one procuring with a bid (agency A bid on A's,
    agency B on B's), and one in performance awarded to the bidder, with a payment."""
    from safeserve.procurement.models import Payment
    from safeserve.registry.models import Agency
    from safeserve_dev.testkit import make_credit_code

    o = world.objs
    # A third supplier (no persona), whose bid the permission suite records on either town's project.
    o["agency_c"] = Agency.objects.create(
        credit_code=make_credit_code(103), name="嘉兴丙安全技术服务有限公司", service_types=["consulting"]
    )
    o["draft_a"] = make_project(world, name="甲镇草稿项目")
    o["draft_b"] = make_project(world, buyer="town_b", targets=("ent_b",), name="乙镇草稿项目")
    o["proc_a"] = make_project(world, status="procuring", name="甲镇采购中项目")
    o["proc_b"] = make_project(world, buyer="town_b", status="procuring", targets=("ent_b",), name="乙镇采购中项目")
    o["bid_a"] = make_bid(world, o["proc_a"])
    o["bid_b"] = make_bid(world, o["proc_b"], agency="agency_b")
    o["perf_a"] = make_awarded(world, name="甲镇履约项目")
    o["perf_b"] = make_awarded(world, buyer="town_b", agency="agency_b", targets=("ent_b",), name="乙镇履约项目")
    today = timezone.localdate()
    o["pay_a"] = Payment.objects.create(project=o["perf_a"], kind="advance", amount=Decimal("10000"), paid_on=today)
    o["pay_b"] = Payment.objects.create(project=o["perf_b"], kind="advance", amount=Decimal("10000"), paid_on=today)
    return world
