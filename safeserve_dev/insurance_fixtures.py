"""Test helpers for the insurance app: policies of two insurers in the persona world.

``policy_a``: insurer A insures ent_a (town A); ``policy_b``: insurer B insures ent_b (town B). Each
has a plan, a ledger entry, a complaint and a claim; two yearly rule tables."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone


def make_policy(world, *, insurer="insurer_a", enterprise="ent_a", number="PA-2026-0001", start=None, end=None, **kw):
    from safeserve.insurance.models import Policy

    today = timezone.localdate()
    values = {
        "premium": Decimal("12000"),
        "premium_collected": Decimal("10000"),
        "limit_per_person": Decimal("800000"),
        "limit_per_accident": Decimal("5000000"),
        "employees_covered": 20,
        "prevention_share": Decimal("20"),
        **kw,
    }
    return Policy.objects.create(
        insurer=world[insurer],
        enterprise=world[enterprise],
        number=number,
        start_date=start or today - timedelta(days=30),
        end_date=end or today + timedelta(days=334),
        **values,
    )


def extend_world(world):
    from safeserve.insurance.models import (
        Claim,
        Complaint,
        Evaluation,
        PremiumRuleTable,
        PreventionExpense,
        PreventionPlan,
    )

    o = world.objs
    # Dates of a claim 50 days apart or more: moving one by the field suite's 45 days keeps their order.
    today = timezone.localdate()
    o["policy_a"] = make_policy(world, number="PA-2026-0001")
    o["policy_b"] = make_policy(world, insurer="insurer_b", enterprise="ent_b", number="PB-2026-0002")
    o["plan_a"] = PreventionPlan.objects.create(
        policy=o["policy_a"], items=["hazard"], visits_per_year=4, agency=world["agency_a"], goals="隐患排查全覆盖"
    )
    o["plan_b"] = PreventionPlan.objects.create(
        policy=o["policy_b"], items=["training"], visits_per_year=2, expert=world["expert_b"], goals="全员培训"
    )
    o["expense_a"] = PreventionExpense.objects.create(
        policy=o["policy_a"], spent_on=today, amount=Decimal("500"), description="甲企业隐患排查服务费"
    )
    o["expense_b"] = PreventionExpense.objects.create(
        policy=o["policy_b"], spent_on=today, amount=Decimal("300"), description="乙企业培训讲课费"
    )
    o["complaint_a"] = Complaint.objects.create(
        policy=o["policy_a"], received_on=today, complainant="甲投诉人", content="服务走过场", due_on=today
    )
    o["complaint_b"] = Complaint.objects.create(
        policy=o["policy_b"], received_on=today, complainant="乙投诉人", content="未按计划上门", due_on=today
    )
    o["claim_a"] = Claim.objects.create(
        policy=o["policy_a"],
        occurred_on=today - timedelta(days=200),
        reported_on=today - timedelta(days=150),
        paid_amount=Decimal("5000"),
        paid_on=today - timedelta(days=100),
        accident_ref="甲车间机械伤害",
        assessed_loss=Decimal("20000"),
    )
    o["claim_b"] = Claim.objects.create(
        policy=o["policy_b"],
        occurred_on=today - timedelta(days=200),
        reported_on=today - timedelta(days=150),
        accident_ref="乙仓库坠落",
        assessed_loss=Decimal("8000"),
    )
    for key, policy, name in (("evaluation_a", o["policy_a"], "甲评估人"), ("evaluation_b", o["policy_b"], "乙评估人")):
        o[key] = Evaluation.objects.create(
            policy=policy,
            year=policy.start_date.year,
            evaluated_on=today,
            evaluator=name,
            visits_planned=2,
            conclusion="good",
        )
    world["industry"].insurance_mandatory = True  # 金属冶炼-like: the two enterprises must be insured
    world["industry"].save()
    o["rates_a"] = PremiumRuleTable.objects.create(year=2025, rules={"accident.none": "-8"}, note="二〇二五年规则")
    o["rates_b"] = PremiumRuleTable.objects.create(year=2028, rules={}, note="二〇二八年规则")
    return world
