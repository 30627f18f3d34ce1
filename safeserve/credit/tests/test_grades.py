"""A grade changes with each kind of fact, and its explanation lists exactly those facts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from safeserve.core import hooks
from safeserve.core.hooks import CreditFact
from safeserve.credit import actions, rules
from safeserve.credit.models import Accident, Commitment, CreditGrade, Listing, Penalty, RuleTable
from safeserve.hazards.models import Hazard

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def grade_of(world, key="ent_a", subject="enterprise"):
    actions.recompute_grades(subject, [world[key].pk], TODAY)
    field = "enterprise" if subject == "enterprise" else "agency"
    return CreditGrade.objects.get(subject=subject, is_current=True, **{field: world[key]})


def sources(grade):
    return sorted(f["source"] for line in grade.explanation["lines"] for f in line["facts"])


def accident(world, level="general", concealed=False, days=10):
    return Accident.objects.create(
        title=f"事故{level}{days}",
        enterprise=world["ent_a"],
        occurred_on=TODAY - timedelta(days=days),
        level=level,
        concealed=concealed,
    )


def penalty(world, n, measures=(), party="enterprise"):
    data = {"enterprise": world["ent_a"]} if party == "enterprise" else {"agency": world["agency_a"]}
    return Penalty.objects.create(
        decision_number=f"嘉应急罚〔2026〕{n}号",
        decided_on=TODAY - timedelta(days=n),
        party_kind=party,
        violation="未开展隐患排查",
        legal_basis="安全生产法",
        fine=Decimal("10000"),
        measures=list(measures),
        **data,
    )


def set_std(world, grade):
    world["ent_a"].standardization_grade = grade
    world["ent_a"].save()


def test_base_follows_standardisation(world):
    for std, expected in (("1", "A+"), ("2", "A"), ("3", "B"), ("none", "C")):
        set_std(world, std)
        g = grade_of(world)
        assert (g.grade, g.explanation["base_key"], g.explanation["lines"]) == (expected, std, [])


def test_each_kind_of_fact_moves_the_grade_and_is_listed_alone(world):
    set_std(world, "1")  # A+
    assert grade_of(world).grade == "A+"
    cases = []

    def check(expected, make, cleanup):
        objs = make()
        g = grade_of(world)
        expected_sources = sorted(objs)
        assert g.grade == expected, (expected, g.explanation)
        assert sources(g) == expected_sources
        cleanup()
        assert grade_of(world).grade == "A+"
        cases.append(expected)

    # one 一般 accident: −2 levels
    a = accident(world)
    check("B", lambda: [f"credit.accident:{a.pk}"], a.delete)
    # two 一般 accidents in a year: D
    a1, a2 = accident(world, days=5), accident(world, days=50)
    check("D", lambda: [f"credit.accident:{a1.pk}", f"credit.accident:{a2.pk}"], lambda: (a1.delete(), a2.delete()))
    # one 较大 accident: D
    a = accident(world, "serious")
    check("D", lambda: [f"credit.accident:{a.pk}"], a.delete)
    # a concealed accident: the accident and its concealment, both from the same record
    a = accident(world, concealed=True)
    check("D", lambda: [f"credit.accident:{a.pk}"] * 2, a.delete)
    # one penalty: no move; two: −1
    p1 = penalty(world, 1)
    check("A+", lambda: [f"credit.penalty:{p1.pk}"], lambda: None)
    p2 = penalty(world, 2)
    check("A", lambda: [f"credit.penalty:{p1.pk}", f"credit.penalty:{p2.pk}"], lambda: (p1.delete(), p2.delete()))
    # a 停产整顿 penalty: at most C
    p = penalty(world, 3, measures=["suspend"])
    check("C", lambda: [f"credit.penalty:{p.pk}"] * 2, p.delete)
    # a broken commitment: −1
    c = Commitment.objects.create(
        enterprise=world["ent_a"],
        year=TODAY.year,
        content="落实全员安全生产责任制",
        signed_on=TODAY,
        status="broken",
        checked_on=TODAY,
        check_note="未开展培训",
    )
    check("A", lambda: [f"credit.commitment:{c.pk}"], c.delete)


def _hazard(world, **kw):
    from safeserve.hazards.choices import HazardSource

    return Hazard.objects.create(
        enterprise=world["ent_a"],
        town=world["town_a"],
        source=HazardSource.INSPECTION,
        level="major",
        location="喷漆车间",
        description="通风失效",
        responsible_person="张三",
        **kw,
    )


def test_overdue_and_listed_major_hazards(world):
    set_std(world, "2")  # A
    h = _hazard(world, deadline=TODAY - timedelta(days=3))
    g = grade_of(world)
    assert (g.grade, sources(g)) == ("B", [f"hazards.hazard:{h.pk}"])
    h.supervised = True
    h.deadline = TODAY + timedelta(days=10)
    h.save()
    g = grade_of(world)
    assert (g.grade, sources(g)) == ("D", [f"hazards.hazard:{h.pk}"])
    h.state = "closed"
    h.save()
    assert (grade_of(world).grade, sources(grade_of(world))) == ("A", [])


def test_other_apps_facts_known_and_unknown_kinds(world):
    set_std(world, "2")
    ent = world["ent_a"].pk

    def provider(subject, ids, as_of):
        if subject != "enterprise":
            return []
        return [
            CreditFact("enterprise", ent, TODAY, "report.verified", "举报属实", "reports.report:7"),
            CreditFact("enterprise", ent, TODAY, "brand.new_kind", "新类型", "other.thing:3"),
        ]

    hooks.CREDIT_FACT_SOURCES.append(provider)
    try:
        g = grade_of(world)
    finally:
        hooks.CREDIT_FACT_SOURCES.remove(provider)
    assert g.grade == "C"  # A −1 (report) −1 (unknown row)
    lines = {line["kind"]: line for line in g.explanation["lines"]}
    assert (
        lines["brand.new_kind"]["known"] is False
        and lines["brand.new_kind"]["rule"] == rules.DEFAULT_ENTERPRISE["unknown"]["label"]
    )
    assert sources(g) == ["other.thing:3", "reports.report:7"]


def test_agency_grades_and_a_years_table(world):
    p = penalty(world, 4, party="agency")
    g = grade_of(world, "agency_a", "agency")
    assert (g.grade, sources(g)) == ("B", [f"credit.penalty:{p.pk}"])
    table = rules.default_table("agency")
    table["kinds"]["penalty"]["levels"] = -3
    RuleTable.objects.create(subject="agency", year=TODAY.year, name="加严版", rules=table)
    g = grade_of(world, "agency_a", "agency")
    assert g.grade == "D" and g.rule_version == f"{TODAY.year} 加严版"
    history = CreditGrade.objects.filter(agency=world["agency_a"]).order_by("id")
    assert [h.grade for h in history] == ["B", "D"] and [h.is_current for h in history] == [False, True]


def test_unchanged_grade_adds_no_history_row(world):
    grade_of(world)
    grade_of(world)
    assert CreditGrade.objects.filter(enterprise=world["ent_a"]).count() == 1


def test_rule_table_errors_are_chinese():
    bad = rules.default_table("enterprise")
    bad["kinds"]["penalty"]["force"] = "Z"
    del bad["unknown"]
    errors = rules.table_errors(bad)
    assert any("penalty.force" in e for e in errors) and any("unknown" in e for e in errors)


def test_providers(world):
    set_std(world, "1")
    grade_of(world)
    assert hooks.credit_grades("enterprise", [world["ent_a"].pk]) == {world["ent_a"].pk: "A+"}
    a = accident(world, "major")
    listing = Listing.objects.create(
        subject="enterprise",
        enterprise=world["ent_a"],
        situation="major_accident",
        accident=a,
        facts="重大事故",
        state="published",
        decided_on=TODAY - timedelta(days=2),
        published_on=TODAY,
        expires_on=TODAY + timedelta(days=900),
    )
    assert hooks.listed_ids("enterprise", [world["ent_a"].pk, world["ent_b"].pk], TODAY) == {world["ent_a"].pk}
    assert hooks.listed_ids("enterprise", None, TODAY - timedelta(days=1)) == set()
    g = grade_of(world)
    assert g.grade == "D" and f"credit.listing:{listing.pk}" in sources(g)
