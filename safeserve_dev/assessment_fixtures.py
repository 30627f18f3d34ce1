"""Test helpers for the assessment app: a town scheme, an opened assessment and objections on both sides."""

from decimal import Decimal

from safeserve_dev.services_fixtures import pdf

# A scheme of every rule kind over the built-in sources (weights add up to 100).
INDICATORS = [
    {"name": "隐患整改率", "weight": Decimal(40), "source": "hazards.closure_rate", "rule": "linear",
     "low": Decimal(60), "high": Decimal(100)},
    {"name": "重大隐患逾期未整改", "weight": Decimal(20), "source": "hazards.major_overdue", "rule": "deduction",
     "per_event": Decimal(5), "floor": Decimal(0), "veto": False},
    {"name": "隐患平均整改天数", "weight": Decimal(10), "source": "hazards.closure_days", "rule": "linear",
     "low": Decimal(60), "high": Decimal(15)},
    {"name": "合同上门服务按时完成率", "weight": Decimal(10), "source": "services.visits_on_time", "rule": "pass_fail",
     "threshold": Decimal(80), "direction": "gte"},
    {"name": "报警按时处置率", "weight": Decimal(10), "source": "iot.alarms_handled", "rule": "linear",
     "low": Decimal(0), "high": Decimal(100)},
    {"name": "社会化服务工作台账", "weight": Decimal(10), "source": "manual", "rule": "manual"},
]  # fmt: skip


def make_scheme(county, *, year, indicators=None, name="乡镇安全生产社会化服务考核"):
    from safeserve.assessment import actions

    return actions.scheme_save(
        actor=county,
        data={"subject": "town", "year": year, "name": name},
        indicators=[dict(row) for row in (indicators or INDICATORS)],
    )


def extend_world(world):
    """An open assessment of this year (cut-off today) with an objection, and a file, on each side."""
    from datetime import date

    from django.utils import timezone

    from safeserve.assessment import actions
    from safeserve.assessment.models import Score

    o = world.objs
    county = world.user("county")
    today = timezone.localdate()
    o["scheme"] = make_scheme(county, year=today.year)
    o["scheme_other"] = make_scheme(county, year=today.year - 1, name="上年度考核方案")
    o["assessment"] = actions.assessment_open(actor=county, scheme=o["scheme"], cut_off=today)
    o["assessment_old"] = actions.assessment_open(
        actor=county, scheme=o["scheme_other"], cut_off=date(today.year - 1, 12, 31)
    )
    for side in ("a", "b"):
        sheet = o["assessment"].sheets.get(subject_id=o[f"town_{side}"].pk)
        o[f"sheet_{side}"] = sheet
        o[f"score_{side}"] = Score.objects.get(sheet=sheet, indicator__order=1)
        o[f"objection_{side}"] = actions.objection_raise(
            actor=world.user(f"town_{side}"),
            score=o[f"score_{side}"],
            note=f"{side} 镇整改台账未计入",
            files=[pdf(f"evidence-{side}.pdf")],
        )
        o[f"file_{side}"] = o[f"objection_{side}"].files.get()
    extend_agency_world(world)
    return world


def extend_agency_world(world):
    """This year's agency grading (年度服务机构考评) on the default scheme, open, with an objection by
    agency A (through the action) and one on agency B's sheet (agency B has no user in the world)."""
    from django.utils import timezone

    from safeserve.assessment import actions
    from safeserve.assessment.models import Objection, Score

    o = world.objs
    county = world.user("county")
    today = timezone.localdate()
    o["agency_scheme"] = actions.agency_scheme_default(actor=county, year=today.year)
    o["agency_assessment"] = actions.assessment_open(actor=county, scheme=o["agency_scheme"], cut_off=today)
    for side in ("a", "b"):
        sheet = o["agency_assessment"].sheets.get(subject_id=o[f"agency_{side}"].pk)
        o[f"agsheet_{side}"] = sheet
        o[f"agscore_{side}"] = Score.objects.get(sheet=sheet, indicator__order=1)
    o["agobjection_a"] = actions.objection_raise(
        actor=world.user("agency_a"), score=o["agscore_a"], note="a 机构复核结论有误", files=[pdf("ag-a.pdf")]
    )
    o["agfile_a"] = o["agobjection_a"].files.get()
    o["agobjection_b"] = Objection.objects.create(score=o["agscore_b"], note="b 机构异议")
    return world
