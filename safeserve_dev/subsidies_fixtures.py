"""Test helpers for the subsidies app: policies of both towns, their own contracts and applications."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from safeserve.core import uploads
from safeserve.services.models import ContractEnterprise, ServiceContract
from safeserve.subsidies.models import SubsidyApplication, SubsidyPolicy
from safeserve_dev.services_fixtures import pdf


def year() -> int:
    return timezone.localdate().year


def make_policy(
    world, town="town_a", *, status="published", budget="100000.00", share="0.50", cap="5000.00", name=None, y=None
):
    y = y or year()
    t = world[town]
    return SubsidyPolicy.objects.create(
        town=t,
        year=y,
        name=name or f"{t.name}{y}年服务补贴",
        industry_codes=["C", "F", "H", "G59"],
        size_classes=["small", "micro"],
        share=Decimal(share),
        cap=Decimal(cap),
        budget=Decimal(budget),
        status=status,
        published_at=timezone.now() if status != "draft" else None,
    )


def make_own_contract(
    world, enterprise="ent_a", *, number, fee="8000.00", payer_type="enterprise", y=None, status="active"
):
    y = y or year()
    c = ServiceContract.objects.create(
        number=number,
        agency=world["agency_a"],
        payer_type=payer_type,
        payer_town=world[f"town_{enterprise[-1]}"] if payer_type == "town" else None,
        items=["hazard"],
        start_date=date(y, 1, 15),
        end_date=date(y, 12, 31),
        fee=Decimal(fee),
        status=status,
    )
    ContractEnterprise.objects.create(contract=c, enterprise=world[enterprise])
    return c


def make_application(
    world, policy, contract, enterprise="ent_a", *, status="submitted", proposed="4000.00", seq=1, **extra
):
    user = world.user("ent_a") if enterprise == "ent_a" else world.user("county")
    app = SubsidyApplication(
        policy=policy,
        enterprise=world[enterprise],
        contract=contract,
        number=f"BT{policy.year}-{policy.pk:03d}-{seq:05d}",
        fee=contract.fee,
        invoice_number=f"FP{policy.pk}{seq:04d}",
        invoice_amount=contract.fee,
        proposed_amount=Decimal(proposed),
        status=status,
        submitted_by=user,
        submitted_at=timezone.now(),
        **extra,
    )
    document = uploads.verify_scan(pdf("发票.pdf"))
    app.invoice_sha256, app.invoice_name = document.sha256, document.name
    uploads.save_document(app.invoice, document)
    app.save()
    return app


def extend_world(world):
    """Both towns publish this year's policy; each town's enterprise has applied for its own contract;
    each town also keeps a draft policy for next year (its own to edit)."""
    o = world.objs
    o["policy_a"] = make_policy(world, "town_a", name="甲镇年度服务补贴政策")
    o["policy_b"] = make_policy(world, "town_b", name="乙镇年度服务补贴政策")
    o["draft_a"] = make_policy(world, "town_a", status="draft", name="甲镇来年补贴草案", y=year() + 1)
    o["draft_b"] = make_policy(world, "town_b", status="draft", name="乙镇来年补贴草案", y=year() + 1)
    o["sub_contract_a"] = make_own_contract(world, "ent_a", number="SUB-A-001")
    o["sub_contract_b"] = make_own_contract(world, "ent_b", number="SUB-B-001")
    o["sub_contract_a2"] = make_own_contract(world, "ent_a", number="SUB-A-002", fee="2000.00")
    o["app_a"] = make_application(world, o["policy_a"], o["sub_contract_a"], "ent_a")
    o["app_b"] = make_application(world, o["policy_b"], o["sub_contract_b"], "ent_b")
    # Approved, waiting for the payment.
    o["sub_contract_b2"] = make_own_contract(world, "ent_b", number="SUB-B-002", fee="2000.00")
    o["ok_a"] = make_application(
        world,
        o["policy_a"],
        o["sub_contract_a2"],
        "ent_a",
        status="approved",
        proposed="1000.00",
        seq=2,
        approved_amount=Decimal("1000.00"),
        decided_at=timezone.now(),
    )
    o["ok_b"] = make_application(
        world,
        o["policy_b"],
        o["sub_contract_b2"],
        "ent_b",
        status="approved",
        proposed="1000.00",
        seq=2,
        approved_amount=Decimal("1000.00"),
        decided_at=timezone.now(),
    )
    # A contract of enterprise A not applied for yet.
    o["sub_contract_a3"] = make_own_contract(world, "ent_a", number="SUB-A-003", fee="3000.00")
    return world
