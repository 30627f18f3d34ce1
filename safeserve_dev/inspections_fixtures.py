"""Test helpers for the inspections app: certified officers, a committed plan per town with a drawn
target draw, inspector draws, one recorded inspection per town, conflicts and rules."""

from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve_dev.services_fixtures import pdf
from safeserve_dev.testkit import PASSWORD, make_credit_code


def make_officer(world, name, role, cert, town=None):
    from safeserve.accounts.models import User

    u = User(username=name, role=role, full_name=name, town=town, enforcement_cert_no=cert)
    u.set_password(PASSWORD)
    u.save()
    world.users[name] = u
    return u


def certify(world):
    """Certified officers: the county persona and two more county officers; both town personas and a
    second officer per town (so each town can field two inspectors of its own)."""
    for persona, cert in (("county", "ZF-330421-0001"), ("town_a", "ZF-330421-0101"), ("town_b", "ZF-330421-0201")):
        u = world.user(persona)
        u.enforcement_cert_no = cert
        u.save(update_fields=["enforcement_cert_no"])
    make_officer(world, "county_o2", Role.COUNTY, "ZF-330421-0002")
    make_officer(world, "county_o3", Role.COUNTY, "ZF-330421-0003")
    make_officer(world, "town_a2", Role.TOWN, "ZF-330421-0102", town=world["town_a"])
    make_officer(world, "town_b2", Role.TOWN, "ZF-330421-0202", town=world["town_b"])
    return world


def more_enterprises(world):
    """A blue-risk enterprise per town beside the (red) persona enterprises: the random pool."""
    from safeserve.registry.models import Enterprise

    o = world.objs
    Enterprise.objects.filter(pk__in=[o["ent_a"].pk, o["ent_b"].pk]).update(risk_level="red")
    for key, town, n in (("ent_a2", "town_a", 11), ("ent_b2", "town_b", 12)):
        o[key] = Enterprise.objects.create(
            credit_code=make_credit_code(n),
            name=f"{world[town].name}丙{n}号纺织有限公司",
            address=f"{world[town].name}{n}号",
            town=world[town],
            industry=o["industry"],
            legal_representative="赵六",
            risk_level="blue",
        )
    o["ent_a"].refresh_from_db()
    o["ent_b"].refresh_from_db()
    return world


def default_rules(world=None):
    from safeserve.inspections.models import FrequencyRule

    rows = [
        ("红色风险每年4次", "risk", "red", 4),
        ("橙色风险每年2次", "risk", "orange", 2),
        ("重大危险源每年4次", "flag", "major_hazard_source", 4),
        ("未开展社会化服务加1次", "nonparticipant", "", 1),
    ]
    out = [FrequencyRule.objects.create(name=n, kind=k, match=m, per_year=p) for n, k, m, p in rows]
    if world is not None:
        world.objs["rule_a"], world.objs["rule_b"] = out[0], out[1]
    return out


def make_plan(world, town_key, *, officers=3, name=None):
    from safeserve.inspections.models import InspectionPlan

    town = world[town_key]
    return InspectionPlan.objects.create(
        year=timezone.localdate().year,
        town=town,
        name=name or f"{town.name}{timezone.localdate().year}年度监督检查计划",
        officers=officers,
        working_days=250,
        other_enforcement_days=100,
        non_enforcement_days=50,
    )


def extend_world(world):
    """Everything the permission suite needs on both sides (a = town A, b = town B)."""
    from safeserve.inspections import actions
    from safeserve.inspections.models import OfficerConflict

    certify(world)
    more_enterprises(world)
    default_rules(world)
    county = world.user("county")
    o = world.objs
    for side, town in (("a", "town_a"), ("b", "town_b")):
        o[f"conflict_{side}"] = OfficerConflict.objects.create(
            officer=world.user(f"{town}2"), enterprise=o[f"ent_{side}2"], reason=f"亲属在该企业任职（{side}）"
        )
        # Two more declarations leave exactly two candidates for the random unit: the county persona
        # and the town persona, so the task lists are known by construction, not by chance.
        for other in ("county_o2", "county_o3"):
            OfficerConflict.objects.create(
                officer=world.user(other), enterprise=o[f"ent_{side}2"], reason="曾在该企业任职"
            )
        plan = make_plan(world, town)
        actions.plan_commit(actor=county, plan=plan)
        plan.refresh_from_db()
        o[f"plan_{side}"] = plan
        td = actions.targets_freeze(actor=county, plan=plan, month=timezone.localdate().month, places=1)
        actions.targets_enter_value(actor=county, target_draw=td, source="lottery", value=f"2026-{side}")
        td.refresh_from_db()
        o[f"td_{side}"] = td
        actions.inspectors_batch(actor=county, target_draw=td, source="")  # freeze the officer lists first
        actions.inspectors_batch(actor=county, target_draw=td, source="lottery", value=f"2026-{side}-officers")
        o[f"random_{side}"] = td.targets.get()
        mandatory = plan.targets.filter(kind="mandatory").order_by("month", "pk").first()
        o[f"target_{side}"] = mandatory
        officer_1, officer_2 = world.user(town), world.user(f"{town}2")
        o[f"insp_{side}"] = actions.inspection_record(
            actor=world.user(town),
            enterprise=o[f"ent_{side}"],
            plan_target=mandatory,
            kind="planned",
            officer_1=officer_1,
            officer_2=officer_2,
            inspected_on=timezone.localdate(),
            items_checked="安全生产责任制、特种作业人员持证",
            result="rectify",
            result_summary=f"发现一般隐患，已责令整改（{side}）",
            support_note="安达安全咨询技术意见",
            support_file=pdf(),
        )
    return world
