"""Test helpers for the experts' 安责险 prevention visits, on top of ``insurance_fixtures.extend_world``.

``xpolicy_a``: insurer A insures ent_a a second time, with a plan served by expert_a alone
(``xplan_a``); ``plan_b`` (policy_b, insurer B, ent_b) is served by expert_b alone already.
``pvisit_a``: expert_a's visit of xplan_a (one problem item: a hazard of ent_a); ``pvisit_b``:
expert_b's visit of plan_b, recorded by an expert_b account made here (not a persona). Each has one
photo (``xphoto_a``/``xphoto_b``)."""

from datetime import timedelta

from django.utils import timezone

from safeserve_dev.testkit import on_day


def record(world, actor, plan, *, days_ago: int = 3, problem: bool = False, **kw):
    from safeserve.insurance.actions import prevention_visit_record
    from safeserve_dev.services_fixtures import general_template

    template = general_template()
    results = {i.pk: ("ok", "") for i in template.items.all()}
    if problem:
        results[next(iter(results))] = ("problem", "灭火器压力不足")
    day = timezone.localdate() - timedelta(days=days_ago)
    return prevention_visit_record(
        actor=actor,
        plan=plan,
        visited_at=on_day(day),
        template=template,
        results=results,
        findings=kw.pop("findings", "专家现场检查，讲解安全操作规程"),
        **kw,
    )


def expert_user(world, key: str = "expert_b"):
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User

    user = User.objects.filter(username=f"{key}_user").first()
    return user or User.objects.create(username=f"{key}_user", role=Role.EXPERT, expert=world[key], full_name=key)


def extend_expert_visits(world):
    from safeserve.insurance.models import PreventionPlan
    from safeserve_dev.insurance_fixtures import make_policy

    o = world.objs
    o["xpolicy_a"] = make_policy(world, number="PA-2026-0101")
    o["xplan_a"] = PreventionPlan.objects.create(
        policy=o["xpolicy_a"], items=["hazard"], visits_per_year=4, expert=world["expert_a"], goals="专家上门服务甲"
    )
    o["pvisit_a"] = record(
        world, world.user("expert_a"), o["xplan_a"], problem=True, findings="甲专家发现问题", photos=[_photo()]
    )
    o["pvisit_b"] = record(world, expert_user(world), world["plan_b"], findings="乙专家发现问题", photos=[_photo()])
    o["xphoto_a"], o["xphoto_b"] = o["pvisit_a"].photos.get(), o["pvisit_b"].photos.get()
    return world


def _photo():
    from safeserve_dev.testfiles import image_bytes, upload

    return upload("site.jpg", image_bytes("JPEG", size=(24, 24)))
