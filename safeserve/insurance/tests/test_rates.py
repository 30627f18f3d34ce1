"""Premium floating (浮动费率): each factor's result and its explanation, the yearly table as data, and
the insurer's applied rate with its reason."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from safeserve.core import hooks
from safeserve.credit.models import Accident
from safeserve.hazards.choices import HazardSource
from safeserve.hazards.models import Hazard
from safeserve.insurance import actions, rules
from safeserve.insurance.models import Policy, PremiumRuleTable
from safeserve_dev.insurance_fixtures import make_policy

ON = timezone.localdate()


def _compute(world, **kw):
    return rules.compute(enterprise=world["ent_a"], on=ON, **kw)


def _by_factor(lines):
    return {line.factor: line for line in lines}


def _accident(world, level, days_ago=100):
    return Accident.objects.create(
        title=f"{level}事故", enterprise=world["ent_a"], occurred_on=ON - timedelta(days=days_ago), level=level
    )


def test_no_accident_earns_the_discount_and_says_so(world):
    total, lines = _compute(world)
    line = _by_factor(lines)["事故"]
    assert (line.code, line.adjustment) == ("accident.none", Decimal("-10"))
    assert "上一年度无生产安全事故" in line.reason and "无事故记录" in line.reason
    # Every other factor is listed with why it does not move the rate.
    assert [(x.factor, x.adjustment) for x in lines[1:]] == [
        ("先进单位", 0),
        ("隐患", 0),
        ("信用", 0),
        ("标准化", 0),
    ]
    assert total == Decimal("-10")


@pytest.mark.parametrize(
    ("levels", "code", "adjustment"),
    [
        (["general"], "accident.general", "10"),
        (["serious", "general"], "accident.serious", "20"),
        (["major"], "accident.major", "30"),
        (["extraordinary"], "accident.major", "30"),  # 重大 or worse
    ],
)
def test_the_worst_accident_of_last_year_counts_once(world, levels, code, adjustment):
    for level in levels:
        _accident(world, level)
    line = _by_factor(_compute(world)[1])["事故"]
    assert (line.code, line.adjustment) == (code, Decimal(adjustment))
    assert all(f"{lv}事故" in line.reason for lv in levels)


def test_an_accident_older_than_a_year_does_not_count(world):
    _accident(world, "major", days_ago=400)
    assert _by_factor(_compute(world)[1])["事故"].code == "accident.none"


@pytest.mark.parametrize(("honour", "adjustment"), [("municipal", "-5"), ("provincial", "-10"), ("none", "0")])
def test_advanced_unit_titles(world, honour, adjustment):
    line = _by_factor(_compute(world, honour=honour)[1])["先进单位"]
    assert line.adjustment == Decimal(adjustment)
    if honour != "none":
        assert "先进单位" in line.reason and "保单登记的称号" in line.reason


def _hazard(world, **kw):
    return Hazard.objects.create(
        enterprise=world["ent_a"],
        town=world["town_a"],
        source=HazardSource.INSPECTION,
        location="喷漆车间",
        description="通风失效",
        responsible_person="张三",
        reported_at=timezone.now() - timedelta(days=10),
        **kw,
    )


def test_hazard_factors(world):
    _hazard(world, level="major", deadline=ON + timedelta(days=10))
    lines = [x for x in _compute(world)[1] if x.factor == "隐患"]
    assert [(x.code, x.adjustment) for x in lines] == [("hazard.major", Decimal("10"))]
    assert "重大事故隐患 1 项" in lines[0].reason
    _hazard(world, level="general", deadline=ON - timedelta(days=1))
    lines = [x for x in _compute(world)[1] if x.factor == "隐患"]
    assert [(x.code, x.adjustment) for x in lines] == [
        ("hazard.major", Decimal("10")),
        ("hazard.overdue", Decimal("5")),
    ]
    assert "逾期未整改隐患 1 项" in lines[1].reason


@pytest.mark.parametrize(("grade", "adjustment"), [("A+", "-5"), ("A", "0"), ("B", "0"), ("C", "5"), ("D", "10")])
def test_credit_grade_factor(world, monkeypatch, grade, adjustment):
    monkeypatch.setitem(hooks.CREDIT_PROVIDERS, "grades", lambda subject, ids: {world["ent_a"].pk: grade})
    line = _by_factor(_compute(world)[1])["信用"]
    assert (line.code, line.adjustment) == (f"credit.{grade}", Decimal(adjustment))
    assert f"当前信用等级 {grade}" in line.reason


def test_no_credit_grade_does_not_move_the_rate(world, monkeypatch):
    monkeypatch.setitem(hooks.CREDIT_PROVIDERS, "grades", lambda subject, ids: {})
    line = _by_factor(_compute(world)[1])["信用"]
    assert (line.code, line.adjustment, line.reason) == ("", 0, "暂无信用等级，不调整")


@pytest.mark.parametrize(("sg", "adjustment"), [("1", "-10"), ("2", "-5"), ("3", "-3"), ("none", "0")])
def test_standardisation_factor(world, sg, adjustment):
    world["ent_a"].standardization_grade = sg
    world["ent_a"].save()
    line = _by_factor(_compute(world)[1])["标准化"]
    assert line.adjustment == Decimal(adjustment)


def test_the_years_table_overrides_the_default(world):
    PremiumRuleTable.objects.create(year=ON.year, rules={"accident.none": "-15"})
    assert _by_factor(_compute(world)[1])["事故"].adjustment == Decimal("-15")
    bad = PremiumRuleTable(year=ON.year + 1, rules={"accident.nonsense": "1", "credit.A": "x"})
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert any("未知的因素代码" in m for m in exc.value.messages)


def test_a_renewal_records_its_rate_and_the_insurer_states_why_it_differs(world):
    old = make_policy(world, number="PA-OLD", start=ON - timedelta(days=400), end=ON - timedelta(days=36))
    insurer = world.user("insurer_a")
    data = {
        "enterprise": world["ent_a"],
        "number": "PA-NEW",
        "start_date": ON,
        "end_date": ON + timedelta(days=364),
        "premium": Decimal("10000"),
        "premium_collected": Decimal("10000"),
        "limit_per_person": Decimal("800000"),
        "limit_per_accident": Decimal("5000000"),
        "employees_covered": 20,
        "renewal_of": old,
        "safety_honour": "municipal",
    }
    p = actions.policy_create(actor=insurer, data=data)
    assert p.rate_computed == Decimal("-15")  # no accident −10, municipal −5
    assert [line["factor"] for line in p.rate_explanation] == ["事故", "先进单位", "隐患", "信用", "标准化"]
    with pytest.raises(ValidationError) as exc:
        actions.policy_update(actor=insurer, policy=p, data={"rate_applied": Decimal("-10")})
    assert "须填写理由" in exc.value.message_dict["rate_reason"][0]
    p = actions.policy_update(
        actor=insurer, policy=p, data={"rate_applied": Decimal("-10"), "rate_reason": "总公司费率下限"}
    )
    assert (p.rate_applied, p.rate_computed) == (Decimal("-10"), Decimal("-15"))
    # A first policy (no renewal) has no floating rate to compute.
    first = actions.policy_create(actor=insurer, data={**data, "number": "PA-FIRST", "renewal_of": None})
    assert first.rate_computed is None and Policy.objects.filter(number="PA-FIRST").exists()
