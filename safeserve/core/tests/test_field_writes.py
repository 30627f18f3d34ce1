"""Field-level writes: every persona tries every editable field of every model it may change.

For each model reached by a writable API route or an HTML edit form (found in the URL resolver), each
persona that may change a record of it tries, one field at a time, to set each editable field (taken
from the model's meta, so a new field is tried automatically) through ``PATCH`` and through the edit
form. A field the policy lets the role write must change; any other must leave the row as it was and
answer 400 (API) or 200 with a form error: never a silent save, never a silent drop.

The expectation table below is written by hand from the policy (docs/decisions/0010), not computed
from ``roles.WRITABLE_FIELDS``, so that a wrong declaration fails here.
"""

import datetime as dt
from decimal import Decimal
from functools import cache

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import models, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from safeserve.core import fieldperms
from safeserve.core.views import ObjectEditView
from safeserve.registry.forms import EnterpriseByCodeField
from safeserve_dev.testkit import make_credit_code, make_id_number

EVERYTHING = "every editable field"
ENTERPRISE_OWN = {"address", "employees", "legal_representative", "safety_manager", "safety_manager_phone"}
CONTRACT_OFFICER = {
    "number",
    "agency",
    "payer_type",
    "payer_town",
    "enterprises",
    "items",
    "start_date",
    "end_date",
    "fee",
    "visits_per_year",
    "staff",
    "note",
}
USER_FIELDS = {
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "role",
    "town",
    "enterprise",
    "agency",
    "expert",
    "insurer",
    "association",
    "full_name",
    "phone",
    "enforcement_cert_no",
}

# model -> persona -> the fields that persona may change on a record it may change (by hand, from policy).
CHANGE_EXPECTED = {
    "registry.town": {"county": EVERYTHING},
    "registry.village": {"county": EVERYTHING, "town_a": EVERYTHING, "town_b": EVERYTHING},
    "registry.industry": {"county": EVERYTHING},
    "registry.enterprise": {
        "county": EVERYTHING,
        "town_a": EVERYTHING,
        "town_b": EVERYTHING,
        "ent_a": ENTERPRISE_OWN,
    },
    "registry.agency": {"county": EVERYTHING, "agency_a": {"address", "contact_person", "contact_phone"}},
    "registry.agencyqualification": {"county": EVERYTHING, "agency_a": {"name", "issuer", "scope"}},
    "registry.agencystaff": {"county": EVERYTHING, "agency_a": {"phone", "title", "other_certificates", "is_active"}},
    "registry.expert": {"county": EVERYTHING, "expert_a": {"title", "specialties", "phone", "email"}},
    "registry.insurer": {"county": EVERYTHING, "insurer_a": {"address", "contact_person", "contact_phone"}},
    "registry.association": {"county": EVERYTHING, "assoc_a": {"contact_person", "contact_phone"}},
    "accounts.user": {"county": USER_FIELDS},
    "services.servicecontract": {
        "county": CONTRACT_OFFICER,
        "town_a": CONTRACT_OFFICER,
        "ent_a": CONTRACT_OFFICER - {"payer_town"},
    },
    "services.checklisttemplate": {"county": EVERYTHING},
    "services.checklistitem": {"county": EVERYTHING},
    "hazards.majorhazardcriterion": {"county": EVERYTHING},
    "iot.deviceprofile": {"county": EVERYTHING},
    "iot.device": {"county": EVERYTHING, "town_a": EVERYTHING, "ent_a": {"name", "place", "circuit", "device_model"}},
    "associations.membership": {"county": {"left_on", "note"}, "assoc_a": {"left_on", "note"}},
    "associations.campaign": {
        "assoc_a": {"name", "start_date", "end_date", "template", "expert", "officer_name", "note"}
    },
    "associations.campaigngroup": {"assoc_a": EVERYTHING},
    "training.course": {"county": EVERYTHING, "agency_a": {"name", "course_type", "hours", "is_active"}},
    "training.trainingsession": {"county": EVERYTHING, "agency_a": EVERYTHING},
    "training.attendance": {"agency_a": EVERYTHING},
    "training.certificate": {
        "agency_a": {
            "enterprise",
            "holder_name",
            "id_number",
            "person_role",
            "kind",
            "number",
            "issued_on",
            "valid_until",
        }
    },
    "inspections.inspectionplan": {"county": EVERYTHING},
    "inspections.frequencyrule": {"county": EVERYTHING},
    "inspections.officerconflict": {"county": EVERYTHING, "town_a": EVERYTHING, "town_b": EVERYTHING},
    # The county sets coverage targets; a town only reads them.
    "coverage.coveragetarget": {"county": EVERYTHING},
    # Accidents and penalties: county and the enterprise's own town record them in full.
    "credit.accident": {"county": EVERYTHING, "town_a": EVERYTHING, "town_b": EVERYTHING},
    "credit.penalty": {"county": EVERYTHING, "town_a": EVERYTHING, "town_b": EVERYTHING},
    # A commitment's outcome moves only through its check (credit.actions.commitment_check).
    "credit.commitment": {
        "county": {"enterprise", "year", "content", "signed_on"},
        "town_a": {"enterprise", "year", "content", "signed_on"},
        "town_b": {"enterprise", "year", "content", "signed_on"},
    },
    "credit.ruletable": {"county": EVERYTHING},
    "credit.creditgrade": {},  # computed, written by nobody
    # A proposed listing: the county corrects its grounds, never its subject (that is another listing).
    "credit.listing": {"county": {"situation", "accident", "penalty", "facts"}},
    "market.bar": {"county": EVERYTHING},
    # Status and publication move through the review actions; the author is who wrote it.
    "market.casestory": {"county": {"title", "town", "summary", "text"}, "town_a": {"title", "summary", "text"}},
    "market.priceitem": {"agency_a": {"agency", "service_type", "item", "unit", "price_min", "price_max", "included"}},
    # A filed notice: its content, not its status (registration is the county's step).
    "supervision.practicenotice": {
        "county": {"agency", "services", "staff", "towns", "enterprises", "start_date", "end_date", "note"},
        "agency_a": {"agency", "services", "staff", "towns", "enterprises", "start_date", "end_date", "note"},
    },
    # A town's draft subsidy policy: all of it but the town (its own); the status moves by its steps.
    "subsidies.subsidypolicy": {
        "town_a": {"year", "name", "industry_codes", "size_classes", "share", "cap", "budget", "note"},
    },
    # An insurer writes its own policies (never the insurer: that is who writes), plans, ledger and
    # claims; the county sets the rate table; a complaint's handling moves only through its actions.
    "insurance.policy": {
        "insurer_a": {
            "enterprise",
            "number",
            "start_date",
            "end_date",
            "premium",
            "premium_collected",
            "limit_per_person",
            "limit_per_accident",
            "employees_covered",
            "status",
            "prevention_share",
            "renewal_of",
            "safety_honour",
            "rate_applied",
            "rate_reason",
            "note",
        }
    },
    "insurance.premiumruletable": {"county": EVERYTHING},
    "insurance.preventionplan": {
        "insurer_a": {"items", "measures", "visits_per_year", "agency", "expert", "staff", "goals"}
    },
    "insurance.preventionexpense": {"insurer_a": EVERYTHING},
    "insurance.complaint": {},
    "insurance.claim": {"insurer_a": EVERYTHING},
    # The yearly evaluation's figures and writer are the action's; the policy is chosen once.
    "insurance.evaluation": {
        "insurer_a": {"year", "evaluated_on", "evaluator", "conclusion", "enterprise_opinion", "note"}
    },
}

# The record each persona edits: the first of these it may change.
CANDIDATES = {
    "registry.town": ["town_a", "town_b"],
    "registry.village": ["village_a", "village_b"],
    "registry.industry": ["industry"],
    "registry.enterprise": ["ent_a", "ent_b"],
    "registry.agency": ["agency_a", "agency_b"],
    "registry.agencyqualification": ["qual_a", "qual_b"],
    "registry.agencystaff": ["staff_a", "staff_b"],
    "registry.expert": ["expert_a", "expert_b"],
    "registry.insurer": ["insurer_a", "insurer_b"],
    "registry.association": ["assoc_a", "assoc_b"],
    "accounts.user": ["user_town_b"],
    "services.servicecontract": ["draft_town", "draft"],
    "services.checklisttemplate": ["template"],
    "services.checklistitem": ["item"],
    "hazards.majorhazardcriterion": ["criterion"],
    "iot.deviceprofile": ["default_profile"],
    "iot.device": ["device_a"],
    "associations.membership": ["membership_a"],
    "associations.campaign": ["campaign_a"],
    "associations.campaigngroup": ["group_a"],
    "training.course": ["course_a"],
    "training.trainingsession": ["session_a"],
    "training.attendance": ["attendance_a"],
    "training.certificate": ["certificate_a"],
    "inspections.inspectionplan": ["plan_fw"],
    "inspections.frequencyrule": ["rule_fw"],
    "inspections.officerconflict": ["conflict_fw_a", "conflict_fw_b"],
    "coverage.coveragetarget": ["target_fw"],
    "credit.accident": ["accident_a", "accident_b"],
    "credit.penalty": ["penalty_a", "penalty_b"],
    "credit.commitment": ["commitment_a", "commitment_b"],
    "credit.ruletable": ["rules_a"],
    "credit.creditgrade": ["grade_a", "grade_b"],
    "credit.listing": ["listing_a", "listing_b", "pub_a"],
    "market.bar": ["bar_fw"],
    "market.casestory": ["story_fw_a"],
    "market.priceitem": ["price_fw_a", "price_fw_b"],
    "supervision.practicenotice": ["notice_a"],
    "subsidies.subsidypolicy": ["policy_fw"],
    "insurance.policy": ["policy_a", "policy_b"],
    "insurance.premiumruletable": ["rates_a"],
    "insurance.preventionplan": ["plan_a", "plan_b"],
    "insurance.preventionexpense": ["expense_a", "expense_b"],
    "insurance.complaint": ["complaint_a", "complaint_b"],
    "insurance.claim": ["claim_a", "claim_b"],
    "insurance.evaluation": ["evaluation_a", "evaluation_b"],
}

# A user's organisation link only holds for the role it belongs to: edit a user of that role.
USER_TARGET = {
    "enterprise": "user_ent_a",
    "agency": "user_agency_a",
    "expert": "user_expert_a",
    "insurer": "user_insurer_a",
    "association": "user_assoc_a",
}

# Writable fields whose other values are refused by a rule that is not about fields (said why).
NOT_A_FIELD_RULE = {
    # An enterprise pays for its own contracts: payer_type is writable, its only valid value the same.
    ("services.servicecontract", "ent_a", "payer_type"): "scope allows only payer_type=enterprise",
    # Handing payment to someone else hands the contract over: whether the town keeps it is scope's call.
    ("services.servicecontract", "town_a", "payer_type"): "the payer owns a contract (scope)",
    # A member leaves on a past or present day only (associations.actions.membership_update).
    ("associations.membership", "county", "left_on"): "leaving dates are not in the future",
    ("associations.membership", "assoc_a", "left_on"): "leaving dates are not in the future",
    # The trainee's enterprise is named by its credit code (a provider cannot browse the register).
    ("training.attendance", "agency_a", "enterprise"): "chosen by credit code, not by id",
    ("training.certificate", "agency_a", "enterprise"): "chosen by credit code, not by id",
    # A frequency rule's value must suit its basis (a risk colour for risk, a grade for 标准化, ...).
    ("inspections.frequencyrule", "county", "kind"): "the value must suit the new basis (a rule)",
    # A penalty's party kind and party go together (Penalty.clean); a town's penalties name its enterprises.
    **{
        ("credit.penalty", p, f): "the party must suit its kind (Penalty.clean)"
        for p in ("county", "town_a", "town_b")
        for f in ("party_kind", "agency")
    },
    # A rule table is validated as a whole (credit.rules.table_errors): no one-field forgery is valid.
    ("credit.ruletable", "county", "rules"): "a rule table must be a whole valid table",
    ("insurance.premiumruletable", "county", "rules"): "a rule table must be a whole valid table",
    # An applied rate that differs from the computed one needs its reason (Policy.clean).
    ("insurance.policy", "insurer_a", "rate_applied"): "a different rate needs a reason (a rule)",
    # A claim's accident on record must be the insured's and visible to the insurer (actions.check_accident).
    ("insurance.claim", "insurer_a", "accident_id"): "an accident of the insured on record (a rule)",
}


def label(model):
    return f"{model._meta.app_label}.{model._meta.model_name}"


def editable(model):
    """From the model's meta: concrete and many-to-many fields a form or serializer could carry."""
    return sorted(
        f.name
        for f in model._meta.get_fields()
        if (f.concrete or f.many_to_many)
        and getattr(f, "editable", False)
        and not f.auto_created
        and not getattr(f, "primary_key", False)
    )


def _walk(resolver=None, ns=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace != "admin":
                yield from _walk(p, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}", p.callback


@cache
def api_routes():
    """model label -> detail route name of a viewset accepting PATCH."""
    found = {}
    for name, cb in _walk():
        cls, acts = getattr(cb, "cls", None), getattr(cb, "actions", None) or {}
        if cls is None or "patch" not in acts:
            continue
        model = getattr(cls, "model", None) or getattr(getattr(cls, "queryset", None), "model", None)
        if model is not None:
            found[label(model)] = name
    return found


@cache
def form_routes():
    """model label -> (edit route name, ObjectConfig) of every HTML edit form."""
    found = {}
    for name, cb in _walk():
        view_class = getattr(cb, "view_class", None)
        if view_class and issubclass(view_class, ObjectEditView) and name.endswith("_edit"):
            config = cb.view_initkwargs["config"]
            found[label(config.model)] = (name, config)
    return found


# --------------------------------------------------------------------------- the world


@pytest.fixture
def fw(world):
    """The shared world plus one record of each remaining kind, and spare rows to point to."""
    from safeserve.hazards.models import MajorHazardCriterion
    from safeserve.iot import actions as iot_actions
    from safeserve.iot.models import DeviceProfile
    from safeserve.registry import models as m
    from safeserve.services.models import ChecklistItem, ChecklistTemplate, ServiceContract

    o = world.objs
    # Without a village an enterprise can move town by itself (a village pins its town).
    m.Enterprise.objects.filter(pk__in=[o["ent_a"].pk, o["ent_b"].pk]).update(village=None)
    o["village_a2"] = m.Village.objects.create(town=o["town_a"], code="330421001202", name="归一村")
    o["draft"] = ServiceContract.objects.create(
        number="FW-DRAFT-1",
        agency=o["agency_a"],
        payer_type="enterprise",
        items=["hazard"],
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        fee=Decimal("1000.00"),
    )
    o["draft"].enterprises.add(o["ent_a"])
    # A town-paid draft: the paying town owns it (an enterprise manages only what it pays itself).
    o["draft_town"] = ServiceContract.objects.create(
        number="FW-DRAFT-2",
        agency=o["agency_a"],
        payer_type="town",
        payer_town=o["town_a"],
        items=["hazard"],
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        fee=Decimal("2000.00"),
    )
    o["draft_town"].enterprises.add(o["ent_a"])
    o["template"] = ChecklistTemplate.objects.order_by("pk").first()
    o["template2"] = ChecklistTemplate.objects.create(name="字段测试检查表")
    o["item"] = ChecklistItem.objects.filter(template=o["template"]).order_by("pk").first()
    o["criterion"] = MajorHazardCriterion.objects.order_by("pk").first()
    o["default_profile"] = DeviceProfile.objects.get(is_default=True)
    o["profile_x"] = DeviceProfile.objects.create(name="字段测试配置")
    o["device_a"], _secret = iot_actions.device_create(
        actor=None,
        data={
            "enterprise": o["ent_a"],
            "code": "FW-A-0001",
            "name": "甲一号箱",
            "place": "一车间",
            "circuit": "动力",
            "rated_current_a": 32,
        },
    )
    _associations_and_training(o)
    from safeserve.inspections.models import FrequencyRule, InspectionPlan, OfficerConflict

    o["plan_fw"] = InspectionPlan.objects.create(year=2026, town=o["town_a"], name="字段测试计划", officers=3)
    o["rule_fw"] = FrequencyRule.objects.create(name="字段测试规则", kind="credit", match="C", per_year=3)
    for side in ("a", "b"):
        o[f"conflict_fw_{side}"] = OfficerConflict.objects.create(
            officer=world.user(f"town_{side}"), enterprise=o[f"ent_{side}"], reason="字段测试回避"
        )
    _credit_market_and_supervision(world)
    for persona in ("ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a"):
        o[f"user_{persona}"] = world.user(persona)
    o["group"] = Group.objects.create(name="字段测试组")
    return world


def _credit_market_and_supervision(world):
    from safeserve.coverage.models import CoverageTarget
    from safeserve.credit.models import Commitment
    from safeserve.market.models import Bar, CaseStory, PriceItem
    from safeserve_dev import credit_fixtures
    from safeserve_dev.supervision_fixtures import make_notice

    o = world.objs
    credit_fixtures.extend_world(world)  # accident_/penalty_/commitment_/rules_/grade_/listing_/pub_ a and b
    # Years of their own, so moving a commitment to another enterprise meets no commitment of that year.
    for side, year in (("a", 2001), ("b", 2003)):
        Commitment.objects.filter(pk=o[f"commitment_{side}"].pk).update(year=year)
    o["target_fw"] = CoverageTarget.objects.create(
        year=2026, kind="custom", code="fw_target", name="字段测试目标", share=Decimal("60.00")
    )
    o["bar_fw"] = Bar.objects.create(agency=o["agency_a"], enterprise=o["ent_a"], reason="字段测试回避")
    o["story_fw_a"] = CaseStory.objects.create(
        title="字段测试做法", town=o["town_a"], summary="摘要", text="正文", author=world.user("town_a")
    )
    for side in ("a", "b"):
        o[f"price_fw_{side}"] = PriceItem.objects.create(
            agency=o[f"agency_{side}"],
            service_type="consulting",
            item="字段测试项目",
            unit="家·年",
            price_min=Decimal("1000.00"),
            price_max=Decimal("2000.00"),
        )
    o["notice_a"] = make_notice(world, status="filed", note="字段测试执业告知", staff=("staff_a",))
    from safeserve_dev.subsidies_fixtures import make_policy

    o["policy_fw"] = make_policy(world, "town_a", status="draft", y=2030, name="字段测试补贴政策")
    from safeserve_dev.insurance_fixtures import extend_world as extend_insurance

    extend_insurance(world)  # policy_/plan_/expense_/complaint_/claim_/rates_ a and b


def _associations_and_training(o):
    from safeserve.associations.models import Campaign, CampaignGroup, Membership
    from safeserve.registry import models as m
    from safeserve.training.models import Attendance, Certificate, Course, TrainingSession

    today = timezone.localdate()
    o["ent_x"] = m.Enterprise.objects.create(
        credit_code=make_credit_code(77),
        name="字段测试会员",
        address="x",
        town=o["town_a"],
        industry=o["industry"],
        legal_representative="某",
    )
    o["assoc_a"].members.add(o["ent_x"])
    o["membership_a"] = Membership.objects.create(
        association=o["assoc_a"], enterprise=o["ent_a"], joined_on=today - dt.timedelta(days=300)
    )
    period = {"start_date": today, "end_date": today + dt.timedelta(days=30), "template": o["template"]}
    o["campaign_a"] = Campaign.objects.create(association=o["assoc_a"], name="字段测试互查", **period)
    o["campaign_a2"] = Campaign.objects.create(association=o["assoc_a"], name="字段测试互查二", **period)
    o["group_a"] = CampaignGroup.objects.create(campaign=o["campaign_a"], name="字段测试组")
    o["group_a"].enterprises.set([o["ent_a"], o["ent_x"]])
    m.Agency.objects.filter(pk__in=[o["agency_a"].pk, o["agency_b"].pk]).update(
        service_types=["consulting", "training"]
    )
    o["course_a"] = Course.objects.create(provider=o["agency_a"], name="字段测试课程", course_type="other", hours=32)
    o["course_a2"] = Course.objects.create(provider=o["agency_a"], name="字段测试课程二", course_type="other", hours=32)
    o["session_a"] = TrainingSession.objects.create(course=o["course_a"], date=today, place="甲教室", trainer="赵")
    o["session_a2"] = TrainingSession.objects.create(course=o["course_a"], date=today, place="乙教室", trainer="钱")
    o["attendance_a"] = Attendance.objects.create(
        session=o["session_a"],
        enterprise=o["ent_a"],
        name="学员",
        id_number=make_id_number(611),
        person_role="other",
        hours=16,
    )
    o["certificate_a"] = Certificate.objects.create(
        enterprise=o["ent_a"],
        holder_name="持证人",
        id_number=make_id_number(612),
        person_role="special_worker",
        kind="special_operation",
        number="FW-C-1",
        issued_on=today - dt.timedelta(days=400),
        valid_until=today + dt.timedelta(days=1000),
        provider=o["agency_a"],
    )


# --------------------------------------------------------------------------- new values

_serial = iter(range(900, 100000))

SPECIAL_TEXT = {
    "credit_code": lambda cur: make_credit_code(next(_serial)),
    "id_number": lambda cur: make_id_number(next(_serial) % 1000, "19900101"),
    "phone": lambda cur: "13912345678",
    "contact_phone": lambda cur: "13912345678",
    "safety_manager_phone": lambda cur: "13912345678",
    "email": lambda cur: "changed@example.com",
    "password": lambda cur: "md5$forged$0",
    "username": lambda cur: "renamed_user",
}
CODES = {
    "registry.town": "330421099",
    "registry.village": "330421001299",
    "registry.industry": "C99",
    "iot.device": "FW-A-0999",
    "coverage.coveragetarget": "fw_target2",
}


SUBSIDY_VALUES = {"industry_codes": ["F"], "size_classes": ["micro"], "share": Decimal("0.300")}


def _other_row(model, user, current, visible: bool, **filters):
    qs = model._default_manager.all()
    if visible:
        if not hasattr(model.objects, "visible_to"):
            return None
        qs = model.objects.visible_to(user)
    qs = qs.filter(**filters)
    if current is not None:
        qs = qs.exclude(pk=current)
    return qs.order_by("pk").first()


def new_value(model, field, obj, user, expect_writable):
    """(value, companions) to try for ``field`` on ``obj``, or None when no valid other value exists."""
    lbl = label(model)
    name = field.name
    current = getattr(obj, field.attname) if not field.many_to_many else None
    if field.many_to_many:
        have = set(getattr(obj, name).values_list("pk", flat=True))
        rel = field.related_model
        if rel is Group:
            return ({Group.objects.get(name="字段测试组").pk}, {})
        if rel is Permission:
            return ({Permission.objects.order_by("pk").first().pk}, {})
        pool = rel.objects.visible_to(user) if expect_writable else rel._default_manager.all()
        if lbl == "supervision.practicenotice" and name == "staff" and expect_writable:
            pool = pool.filter(agency_id=obj.agency_id)  # a notice names its own agency's staff
        extra = pool.exclude(pk__in=have).order_by("pk").first()
        if extra is not None:
            return (have | {extra.pk}, {})
        if have and not expect_writable:
            return (set(), {})
        return None
    if lbl == "services.servicecontract" and name == "payer_town":  # only valid with payer_type=town
        town = _other_row(field.related_model, user, current, expect_writable)
        return None if town is None else (town.pk, {"payer_type": "town"})
    if lbl == "services.servicecontract" and name == "payer_type":
        return ("county", {"payer_town": None})
    if lbl == "subsidies.subsidypolicy" and name in SUBSIDY_VALUES:  # lists of codes, a share within 0..1
        return (SUBSIDY_VALUES[name], {})
    if field.is_relation:
        filters = {}
        if lbl == "registry.enterprise" and name == "industry":
            filters = {"level": "division"}
        if lbl == "registry.industry" and name == "parent":
            filters = {"level": "section"}
        if lbl == "registry.enterprise" and name == "village":
            filters = {"town_id": obj.town_id}
        if name == "profile":
            filters = {}
        row = _other_row(field.related_model, user, current, expect_writable, **filters)
        if row is None:
            return None
        if lbl == "registry.industry" and name == "parent" and row.pk == obj.pk:
            return None
        if lbl == "supervision.practicenotice" and name == "agency":
            return (row.pk, {"staff": set()})  # the staff named belong to the old agency
        return (row.pk, {})
    if lbl == "accounts.user" and name == "role":
        return ("county", {})
    if field.choices:
        return (next(v for v, _ in field.choices if v != current and v != ""), {})
    if isinstance(field, models.BooleanField):
        return (not current, {})
    if lbl == "credit.penalty" and name == "measures":
        return (["warning"], {})
    if isinstance(field, models.JSONField):
        return (["training"], {})
    if isinstance(field, models.DateTimeField):
        return (timezone.now().replace(microsecond=0) - dt.timedelta(days=3), {})
    if isinstance(field, models.DateField):
        if name == "start_date":
            return (current - dt.timedelta(days=31), {})
        base = current or timezone.localdate()
        return (base + dt.timedelta(days=45), {})
    if isinstance(field, models.DecimalField):
        return (current + 1, {})
    if isinstance(field, models.FloatField):
        defaults = {"residual_ma": 250.0, "temperature_c": 65.0, "over_voltage_v": 250.0, "under_voltage_v": 180.0}
        return ((current + 1) if current is not None else defaults.get(name, 5.0), {})
    if isinstance(field, models.IntegerField):
        return ((current or 0) + 1, {})
    if isinstance(field, models.FileField):  # a forged path: files come in only through their own doors
        return ("forged/evil.pdf", {})
    if isinstance(field, models.CharField | models.TextField):
        if name == "code" and lbl in CODES:
            return (CODES[lbl], {})
        if name in SPECIAL_TEXT:
            return (SPECIAL_TEXT[name](current), {})
        text = f"{current or ''}改"
        return (text[-(field.max_length or 1000) :], {})
    raise AssertionError(f"no value maker for {lbl}.{name} ({type(field).__name__}): add one")


def stored(obj, field):
    obj = type(obj)._default_manager.get(pk=obj.pk)
    if field.many_to_many:
        return set(getattr(obj, field.name).values_list("pk", flat=True))
    return getattr(obj, field.attname)


def canonical(field, value):
    if field.many_to_many:
        return set(value)
    return value


# --------------------------------------------------------------------------- the doors


def api_payload(field, value):
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def form_text(form_field, model_field, value):
    if isinstance(value, bool):
        return "on" if value else "false"
    if value is None:
        return ""
    if model_field is not None and model_field.many_to_many:
        return [str(v) for v in sorted(value)]
    if model_field is not None and model_field.is_relation:
        if isinstance(form_field, EnterpriseByCodeField):
            return model_field.related_model._default_manager.get(pk=value).credit_code
        return str(value)
    if isinstance(value, list):
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def form_post_data(form):
    """What a browser posts for ``form`` unchanged: every enabled field's current value."""
    data = {}
    for bf in form:
        if bf.field.disabled:
            continue
        value = bf.value()
        if isinstance(value, bool):
            if value:
                data[bf.html_name] = "on"
        elif value is None:
            data[bf.html_name] = ""
        elif isinstance(value, list | tuple):
            data[bf.html_name] = [str(v) for v in value]
        elif isinstance(value, dt.datetime):
            data[bf.html_name] = timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
        elif isinstance(value, dt.date):
            data[bf.html_name] = value.isoformat()
        else:
            data[bf.html_name] = str(value)
    return data


def try_api(client, route, obj, model, field, value, companions):
    body = {field.name: api_payload(field, value)}
    for k, v in companions.items():
        body[k] = api_payload(model._meta.get_field(k), v)
    r = client.patch(reverse(route, kwargs={"pk": obj.pk}), body, content_type="application/json")
    return r.status_code, (r.json() if r.headers.get("Content-Type", "").startswith("application/json") else {})


def try_form(client, route, config, obj, user, model, field, value, companions):
    form = config.form(instance=obj, user=user)
    data = form_post_data(form)
    sources = {form.field_sources.get(n, n): n for n in form.fields}
    for name, val in {field.name: value, **companions}.items():
        mf = model._meta.get_field(name)
        fname = sources.get(name, name)
        if fname != name and mf.many_to_many:  # a textarea of credit codes standing for the relation
            codes = mf.related_model._default_manager.filter(pk__in=val).values_list("credit_code", flat=True)
            data[fname] = "\n".join(codes)
        else:
            data[fname] = form_text(form.fields.get(fname), mf, val)
    r = client.post(reverse(route, args=[obj.pk]), data)
    errors = r.context["form"].errors if r.status_code == 200 and r.context and "form" in r.context else {}
    return r.status_code, errors


# --------------------------------------------------------------------------- the tests

CASES = [(lbl, persona) for lbl, table in CHANGE_EXPECTED.items() for persona in table]


def _record(fw, lbl, user):
    from django.apps import apps

    model = apps.get_model(lbl)
    for key in CANDIDATES[lbl]:
        obj = fw[key]
        if model.objects.visible_to(user, "change").filter(pk=obj.pk).exists():
            return model, obj
    return model, None


@pytest.mark.parametrize("door", ["api", "form"])
@pytest.mark.parametrize(("lbl", "persona"), CASES)
def test_each_field_changes_iff_the_role_may_write_it(fw, client_for, lbl, persona, door):
    route = (api_routes().get(lbl) if door == "api" else form_routes().get(lbl, (None,))[0]) or None
    if route is None:
        pytest.skip(f"{lbl} has no {door} door")
    config = form_routes()[lbl][1] if door == "form" else None
    user = fw.user(persona)
    client = client_for(persona)
    model, default_obj = _record(fw, lbl, user)
    assert default_obj is not None, f"{persona} should be able to change a {lbl}"
    expected = CHANGE_EXPECTED[lbl][persona]
    wrong, tried = [], 0
    for name in editable(model):
        field = model._meta.get_field(name)
        writable = expected == EVERYTHING or name in expected
        if (lbl, persona, name) in NOT_A_FIELD_RULE:
            continue
        obj = default_obj
        if lbl == "accounts.user" and name in USER_TARGET:
            obj = fw[USER_TARGET[name]]
        obj = model._default_manager.get(pk=obj.pk)  # as stored, not as the fixture cached it
        made = new_value(model, field, obj, user, writable)
        if made is None:
            continue
        value, companions = made
        if door == "api":
            serializer_fields = set(_serializer_fields(route))
            if writable and name not in serializer_fields:
                continue  # the API does not offer it; nothing to try
        else:
            form = config.form(instance=obj, user=user)
            offered = {form.field_sources.get(n, n) for n in form.fields}
            if writable and name not in offered:
                continue
        before = stored(obj, field)
        with transaction.atomic():
            sid = transaction.savepoint()
            if door == "api":
                status, body = try_api(client, route, obj, model, field, value, companions)
            else:
                status, body = try_form(client, route, config, obj, user, model, field, value, companions)
            after = stored(obj, field)
            transaction.savepoint_rollback(sid)
        tried += 1
        if writable:
            ok = after == canonical(field, value) and status in (200, 302)
        else:
            refused = status == 400 if door == "api" else status == 200 and bool(body)
            ok = after == before and refused
        if not ok:
            wrong.append(f"{name}: writable={writable} status={status} before={before!r} after={after!r} {body}")
    assert tried, "no field was tried"
    assert not wrong, f"{persona} × {lbl} via {door}:\n" + "\n".join(wrong)


@cache
def _serializer_fields(route):
    for name, cb in _walk():
        if name == route:
            return frozenset(cb.cls.serializer_class().fields.keys())
    return frozenset()


def test_the_expectation_table_covers_every_writable_door():
    """A model that gains an edit form or a writable API route must be added above (and declared)."""
    doors = set(api_routes()) | set(form_routes())
    assert doors - set(CHANGE_EXPECTED) == set(), "models with a write door but no field expectations"
    from django.apps import apps

    for lbl in doors:
        assert fieldperms.declaration(apps.get_model(lbl)) is not None, f"{lbl}: no WRITABLE_FIELDS declaration"


@pytest.mark.parametrize(
    "persona", ["county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a"]
)
def test_only_the_expected_personas_change_these_records(fw, persona):
    """The table's personas are exactly those who may change one of the candidate records."""
    from django.apps import apps

    user = fw.user(persona)
    for lbl in CHANGE_EXPECTED:
        model = apps.get_model(lbl)
        can = any(model.objects.visible_to(user, "change").filter(pk=fw[k].pk).exists() for k in CANDIDATES[lbl])
        assert can == (persona in CHANGE_EXPECTED[lbl]), (lbl, persona)
