"""Demo hazards (bulk): a mix of levels, sources and states, some overdue, with their timeline events."""

from datetime import timedelta

from django.utils import timezone

from safeserve.hazards.choices import HazardLevel, HazardSource, HazardState
from safeserve.hazards.models import Hazard, HazardEvent, MajorHazardCriterion, RemediationPlan
from safeserve_dev.testkit import on_day

BATCH = 5000
PLACES = ["冲压车间", "抛光车间", "配电房", "仓库", "喷漆房", "锅炉房", "除尘器", "叉车通道", "危化品库", "宿舍楼"]
PROBLEMS = [
    "光电保护装置失效",
    "安全出口堵塞",
    "灭火器过期",
    "电气线路老化、私拉乱接",
    "防护罩缺失",
    "积尘严重",
    "警示标志缺失",
    "特种作业人员无证上岗",
]


def seed_hazards(rng, enterprises, visits, n: int) -> int:
    if n <= 0 or not enterprises:
        return 0
    today = timezone.localdate()
    now = timezone.now()
    criteria = list(MajorHazardCriterion.objects.values_list("pk", flat=True))
    ent_by_id = {e.pk: e for e in enterprises}
    visits = [v for v in visits if v.enterprise_id in ent_by_id]
    objs = []
    for _k in range(n):
        v = rng.choice(visits) if visits and rng.random() < 0.7 else None
        e = ent_by_id[v.enterprise_id] if v else rng.choice(enterprises)
        found = timezone.localtime(v.visited_at).date() if v else today - timedelta(days=rng.randint(0, 700))
        major = rng.random() < 0.03
        deadline = found + timedelta(days=60 if major else 15)
        age = (today - found).days
        r = rng.random()
        if age > 40:
            state = HazardState.CLOSED if r < 0.9 else rng.choice([HazardState.RECTIFYING, HazardState.AWAITING])
        else:
            state = rng.choice([HazardState.REPORTED, HazardState.RECTIFYING, HazardState.AWAITING, HazardState.CLOSED])
        at = on_day(found, rng.randint(8, 17), rng.randint(0, 59))  # before 08:00, today's are earlier
        closed = min(at + timedelta(days=rng.randint(1, 20)), now) if state == HazardState.CLOSED else None
        objs.append(
            Hazard(
                enterprise_id=e.pk,
                town_id=e.town_id,
                agency_id=v.agency_id if v else None,
                visit_id=v.pk if v else None,
                source=HazardSource.VISIT
                if v
                else rng.choice(
                    [HazardSource.INSPECTION, HazardSource.SELF, HazardSource.EXPERT, HazardSource.INSURER]
                ),
                level=HazardLevel.MAJOR if major else HazardLevel.GENERAL,
                criterion_id=rng.choice(criteria) if major and criteria else None,
                location=rng.choice(PLACES),
                description=rng.choice(PROBLEMS),
                responsible_person=e.safety_manager or e.legal_representative,
                deadline=deadline,
                state=state,
                supervised=major,
                reported_at=at,
                closed_at=closed,
            )
        )
    created = 0
    for start in range(0, len(objs), BATCH):
        chunk = Hazard.objects.bulk_create(objs[start : start + BATCH])
        events, plans = [], []
        for h in chunk:
            # Each step after the one before and not after now (nor after the closing).
            started = min(h.reported_at + timedelta(hours=2), h.closed_at or now)
            submitted = max(started, min((h.closed_at or h.reported_at + timedelta(days=3)) - timedelta(hours=1), now))
            events.append(
                HazardEvent(
                    hazard_id=h.pk, action="report", to_state=HazardState.REPORTED, actor_name="seed", at=h.reported_at
                )
            )
            if h.state != HazardState.REPORTED:
                events.append(
                    HazardEvent(
                        hazard_id=h.pk,
                        action="start",
                        from_state="reported",
                        to_state="rectifying",
                        actor_name="seed",
                        at=started,
                    )
                )
            if h.state in (HazardState.AWAITING, HazardState.CLOSED):
                events.append(
                    HazardEvent(
                        hazard_id=h.pk,
                        action="submit",
                        from_state="rectifying",
                        to_state="awaiting",
                        actor_name="seed",
                        at=submitted,
                    )
                )
            if h.state == HazardState.CLOSED:
                events.append(
                    HazardEvent(
                        hazard_id=h.pk,
                        action="accept",
                        from_state="awaiting",
                        to_state="closed",
                        actor_name="seed",
                        at=h.closed_at,
                    )
                )
            if h.level == HazardLevel.MAJOR:
                plans.append(
                    RemediationPlan(
                        hazard_id=h.pk,
                        objective="消除该重大事故隐患",
                        method="停产整改、加装安全设施",
                        funding="企业自筹",
                        organization="企业安全管理部门",
                        timeline="60日内",
                        safety_measures="整改期间停用相关设备并落实应急措施",
                    )
                )
        HazardEvent.objects.bulk_create(events, batch_size=BATCH)
        RemediationPlan.objects.bulk_create(plans, batch_size=BATCH)
        created += len(chunk)
    return created
