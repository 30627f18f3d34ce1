"""Demo data for inspections: certified officers (执法证号), frequency rules, a committed plan for
罗星街道 with 双随机 target and inspector draws (lottery-style values from the seeded RNG, so the same
seed gives the same draws), and recorded inspections (one finding becomes a hazard; two published)."""

from django.db import transaction
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.registry.models import Town

RULES = [
    ("红色风险每年4次", "risk", "red", 4),
    ("橙色风险每年2次", "risk", "orange", 2),
    ("黄色风险每年1次", "risk", "yellow", 1),
    ("重大危险源每年4次", "flag", "major_hazard_source", 4),
    ("危险化学品每年2次", "flag", "hazchem", 2),
    ("未开展社会化服务加1次", "nonparticipant", "", 1),
]
INSPECTORS = (
    ("seed_inspector1", Role.COUNTY, "县局执法一科", None),
    ("seed_inspector2", Role.COUNTY, "县局执法二科", None),
    ("seed_inspector3", Role.TOWN, "罗星街道综合执法队", "罗星街道"),
)


def _officers(stdout):
    """Demo county and town accounts get 执法证号; three more certified officers (no password: they
    are drawn, they do not log in) make the inspector draws possible."""
    n = 0
    for i, user in enumerate(
        User.objects.filter(username__startswith="demo_", role__in=[Role.COUNTY, Role.TOWN]).order_by("pk"), 1
    ):
        if not user.enforcement_cert_no:
            user.enforcement_cert_no = f"ZF-330421-{i:04d}"
            user.save(update_fields=["enforcement_cert_no"])
            n += 1
    for i, (username, role, name, town) in enumerate(INSPECTORS, 101):
        if User.objects.filter(username=username).exists():
            continue
        u = User(
            username=username,
            role=role,
            full_name=name,
            town=Town.objects.filter(name=town).first() if town else None,
            enforcement_cert_no=f"ZF-330421-{i:04d}",
        )
        u.set_unusable_password()
        u.save()
        n += 1
    stdout.write(f"  持证执法人员 {n} 名")


@transaction.atomic
def seed_inspections(rng, stdout):
    from safeserve.inspections import actions, planning
    from safeserve.inspections.models import FrequencyRule, InspectionPlan, PlanTarget

    town = Town.objects.filter(name="罗星街道").first() or Town.objects.order_by("sort_order", "pk").first()
    if town is None:
        return {}
    _officers(stdout)
    county = User.objects.filter(username="demo_county").first() or User.objects.get(username="seed_inspector1")
    if not FrequencyRule.objects.exists():
        for name, kind, match, per_year in RULES:
            FrequencyRule.objects.create(name=name, kind=kind, match=match, per_year=per_year)
    today = timezone.localdate()
    if InspectionPlan.objects.filter(year=today.year, town=town).exists():
        return {}
    plan = InspectionPlan.objects.create(
        year=today.year,
        town=town,
        name=f"{town.name}{today.year}年度监督检查计划",
        officers=6,
        working_days=250,
        other_enforcement_days=300,
        non_enforcement_days=200,
        mandatory_share=60,
    )
    actions.plan_commit(actor=county, plan=plan)
    drawn = 0
    for month, wanted in ((today.month, 6), (min(12, today.month + 1), 4)):
        pool = len(planning.random_pool(plan)[0])
        places, reserves = min(wanted, pool), min(2, max(0, pool - wanted))
        if places < 1:
            break
        td = actions.targets_freeze(actor=county, plan=plan, month=month, places=places, reserves=reserves)
        actions.targets_enter_value(
            actor=county, target_draw=td, source="lottery", value=f"{today.year}{rng.randint(0, 999999):06d}"
        )
        actions.inspectors_batch(actor=county, target_draw=td, source="")
        actions.inspectors_batch(actor=county, target_draw=td, source="lottery", value=str(rng.randint(0, 99999)))
        drawn += places
    done = 0
    for i, target in enumerate(
        PlanTarget.objects.filter(plan=plan, kind="random", month=today.month, status="planned")
        .select_related("enterprise", "officer_1", "officer_2")
        .order_by("pk")[:3]
    ):
        if target.officer_1 is None:
            continue
        findings = (
            [
                {
                    "location": "成品仓库",
                    "description": "安全出口堆放杂物，疏散通道宽度不足",
                    "responsible_person": "仓库主管",
                    "level": "general",
                }
            ]
            if i == 0
            else []
        )
        inspection = actions.inspection_record(
            actor=county,
            enterprise=target.enterprise,
            plan_target=target,
            kind="random",
            officer_1=target.officer_1,
            officer_2=target.officer_2,
            inspected_on=today,
            items_checked="安全生产责任制、安全教育培训、消防设施、特种作业人员持证",
            result="rectify" if findings else "passed",
            result_summary="发现一般事故隐患1处，已责令限期整改" if findings else "未发现问题",
            findings=findings,
        )
        if i < 2:
            actions.inspection_publish(actor=county, inspection=inspection)
        done += 1
    stdout.write(f"  检查计划 1 个，双随机抽取 {drawn} 家，检查记录 {done} 条")
    return {"plans": 1, "drawn": drawn, "inspections": done}


def reset_inspections(stdout=None):
    """Delete the inspection data (before the registry is reset): records, targets, draws, plans."""
    from safeserve.core.models import Draw
    from safeserve.inspections.models import (
        FrequencyRule,
        Inspection,
        InspectionPlan,
        OfficerConflict,
        PlanTarget,
        TargetDraw,
    )

    with transaction.atomic():
        Inspection.hazards.through.objects.all().delete()
        for model in (Inspection, PlanTarget, TargetDraw):
            model.objects.all().delete()
        # Demo draws only (dev tooling): a production draw is never deleted (Draw.delete() refuses).
        Draw.objects.filter(purpose__startswith="inspections.").order_by("-pk").update(supersedes=None)
        Draw.objects.filter(purpose__startswith="inspections.").delete()
        for model in (InspectionPlan, OfficerConflict, FrequencyRule):
            model.objects.all().delete()
