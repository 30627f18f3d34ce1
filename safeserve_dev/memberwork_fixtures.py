"""Test world for the associations and training apps: a second member in each association, a
running 互查 campaign each with one recorded inspection, and a provider's courses, sessions,
attendance and certificates on each side."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.registry import models as reg
from safeserve.services.models import ChecklistItem, ChecklistTemplate
from safeserve_dev.services_fixtures import png
from safeserve_dev.testkit import PASSWORD, make_credit_code, make_id_number


def _member_user(world, name, enterprise):
    u = User(username=name, role=Role.ENTERPRISE, full_name=name, enterprise=enterprise)
    u.set_password(PASSWORD)
    u.save()
    world.objs[f"user_{name}"] = u
    return u


def extend_associations(world):
    from safeserve.associations import actions
    from safeserve.associations.models import Campaign, CampaignGroup, Membership

    o = world.objs
    today = timezone.localdate()
    common = {"size_class": "small", "employees": 30, "legal_representative": "吴六", "industry": o["industry"]}
    o["ent_c"] = reg.Enterprise.objects.create(
        credit_code=make_credit_code(11), name="嘉善丙五金厂", address="罗星街道1号", town=o["town_a"], **common
    )
    o["ent_d"] = reg.Enterprise.objects.create(
        credit_code=make_credit_code(12), name="西塘丁木业有限公司", address="西塘镇2号", town=o["town_b"], **common
    )
    o["assoc_a"].members.add(o["ent_c"])
    o["assoc_b"].members.add(o["ent_d"])
    start = today - timedelta(days=400)
    for assoc, ent in (("assoc_a", "ent_a"), ("assoc_a", "ent_c"), ("assoc_b", "ent_b"), ("assoc_b", "ent_d")):
        o[f"membership_{ent[-1]}"] = Membership.objects.create(association=o[assoc], enterprise=o[ent], joined_on=start)
    template = ChecklistTemplate.objects.create(name="五金行业互查表")
    o["mutual_template"] = template
    o["mutual_item_1"] = ChecklistItem.objects.create(
        template=template, order=1, category="设备设施", text="砂轮机防护罩完好"
    )
    o["mutual_item_2"] = ChecklistItem.objects.create(
        template=template, order=2, category="作业环境", text="安全通道畅通"
    )
    period = {"start_date": today - timedelta(days=10), "end_date": today + timedelta(days=20), "template": template}
    o["campaign_a"] = Campaign.objects.create(
        association=o["assoc_a"], name="五金协会春季互查", expert=o["expert_a"], **period
    )
    o["campaign_b"] = Campaign.objects.create(association=o["assoc_b"], name="木业协会春季互查", **period)
    o["group_a"] = CampaignGroup.objects.create(campaign=o["campaign_a"], name="罗星甲组")
    o["group_a"].enterprises.set([o["ent_a"], o["ent_c"]])
    o["group_b"] = CampaignGroup.objects.create(campaign=o["campaign_b"], name="西塘乙组")
    o["group_b"].enterprises.set([o["ent_b"], o["ent_d"]])
    user_c = _member_user(world, "ent_c", o["ent_c"])
    user_d = _member_user(world, "ent_d", o["ent_d"])
    when = timezone.now() - timedelta(hours=2)
    for key, user, campaign, inspected in (
        ("inspection_a", user_c, o["campaign_a"], o["ent_a"]),
        ("inspection_b", user_d, o["campaign_b"], o["ent_b"]),
    ):
        o[key] = actions.inspection_record(
            actor=user,
            campaign=campaign,
            inspected=inspected,
            inspected_at=when,
            inspector_names="互查员",
            results={o["mutual_item_1"].pk: ("problem", "防护罩缺失"), o["mutual_item_2"].pk: ("ok", "")},
            photos=[png(f"{key}.png")],
        )
        o[f"photo_{key[-1]}"] = o[key].photos.get()
    return world


def extend_training(world):
    from safeserve.training.choices import CertificateKind, CourseType, PersonRole
    from safeserve.training.models import Attendance, Certificate, Course, TrainingSession

    o = world.objs
    today = timezone.localdate()
    for key in ("agency_a", "agency_b"):
        agency = o[key]
        agency.service_types = [*agency.service_types, "training"]
        agency.save(update_fields=["service_types"])
    o["course_a"] = Course.objects.create(
        provider=o["agency_a"],
        name="主要负责人初训班（罗星）",
        course_type=CourseType.PRINCIPAL_INITIAL,
        hours=Decimal(32),
    )
    o["course_b"] = Course.objects.create(
        provider=o["agency_b"], name="特种作业复审班（西塘）", course_type=CourseType.SPECIAL_REVIEW, hours=Decimal(8)
    )
    o["session_a"] = TrainingSession.objects.create(
        course=o["course_a"], date=today - timedelta(days=30), place="罗星培训室", trainer="赵老师"
    )
    o["session_b"] = TrainingSession.objects.create(
        course=o["course_b"], date=today - timedelta(days=20), place="西塘培训室", trainer="钱老师"
    )
    o["attendance_a"] = Attendance.objects.create(
        session=o["session_a"],
        enterprise=o["ent_a"],
        name="陈甲",
        id_number=make_id_number(501),
        person_role=PersonRole.PRINCIPAL,
        hours=Decimal(32),
    )
    o["attendance_b"] = Attendance.objects.create(
        session=o["session_b"],
        enterprise=o["ent_b"],
        name="林乙",
        id_number=make_id_number(502),
        person_role=PersonRole.SPECIAL_WORKER,
        hours=Decimal(8),
    )
    o["certificate_a"] = Certificate.objects.create(
        enterprise=o["ent_a"],
        holder_name="周焊工",
        id_number=make_id_number(503),
        person_role=PersonRole.SPECIAL_WORKER,
        kind=CertificateKind.SPECIAL_OPERATION,
        number="T330421-A-001",
        issued_on=today - timedelta(days=400),
        valid_until=today + timedelta(days=1790),
        provider=o["agency_a"],
    )
    o["certificate_b"] = Certificate.objects.create(
        enterprise=o["ent_b"],
        holder_name="林乙",
        id_number=make_id_number(502),
        person_role=PersonRole.SPECIAL_WORKER,
        kind=CertificateKind.SPECIAL_OPERATION,
        number="T330421-B-002",
        issued_on=date(today.year - 4, 1, 10),
        valid_until=date(today.year + 2, 1, 9),
        provider=o["agency_b"],
    )
    return world
