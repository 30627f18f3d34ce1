"""Test kit: named personas and the small world they live in.

Personas (Zulip style): ``county`` (县局), ``town_a`` and ``town_b`` (officers of two towns),
``ent_a`` (user of an enterprise in town A), ``agency_a`` (staff of agency A), ``expert_a``,
``insurer_a``, ``assoc_a`` and ``anon``. Every test that needs them asks for the ``world`` fixture;
``world.user("town_a")`` is a persona, ``world["town_a"]`` the town it belongs to.
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.core.identity import credit_code_check_char, id_number_check_char

PASSWORD = "Test-Passw0rd!"


def make_credit_code(n: int, prefix: str = "91330421") -> str:
    """A valid 统一社会信用代码 for serial number ``n``."""
    body = f"{prefix}{n:09d}"[:17]
    body = body.replace("I", "1").replace("O", "0")
    return body + credit_code_check_char(body)


def make_id_number(n: int, birth: str = "19800101") -> str:
    body = f"330421{birth}{n % 1000:03d}"
    return body + id_number_check_char(body)


@dataclass
class World:
    users: dict = field(default_factory=dict)
    objs: dict = field(default_factory=dict)

    def __getitem__(self, key):
        """A registry object by name (``world["ent_a"]`` is the enterprise, not its user)."""
        return self.objs[key]

    def user(self, persona):
        return self.users[persona]


def build_world() -> World:
    from safeserve.accounts.models import User
    from safeserve.registry import models as m

    w = World()
    o = w.objs
    o["town_a"] = m.Town.objects.create(code="330421001", name="罗星街道", sort_order=1)
    o["town_b"] = m.Town.objects.create(code="330421002", name="西塘镇", sort_order=2)
    o["village_a"] = m.Village.objects.create(town=o["town_a"], code="330421001201", name="鑫锋村")
    o["village_b"] = m.Village.objects.create(town=o["town_b"], code="330421002201", name="红菱村")
    o["section_c"] = m.Industry.objects.get_or_create(code="C", defaults={"name": "制造业", "level": "section"})[0]
    o["industry"] = m.Industry.objects.get_or_create(
        code="C33", defaults={"name": "金属制品业", "level": "division", "parent": o["section_c"], "is_key": True}
    )[0]
    common = {"size_class": "small", "employees": 20, "legal_representative": "张三", "industry": o["industry"]}
    o["ent_a"] = m.Enterprise.objects.create(
        credit_code=make_credit_code(1),
        name="嘉善甲五金有限公司",
        address="罗星街道鑫锋村1号",
        town=o["town_a"],
        village=o["village_a"],
        safety_manager="李四",
        safety_manager_phone="13800000001",
        **common,
    )
    o["ent_b"] = m.Enterprise.objects.create(
        credit_code=make_credit_code(2),
        name="西塘乙机械有限公司",
        address="西塘镇红菱村2号",
        town=o["town_b"],
        village=o["village_b"],
        safety_manager="王五",
        safety_manager_phone="13800000002",
        **common,
    )
    o["agency_a"] = m.Agency.objects.create(
        credit_code=make_credit_code(101),
        name="嘉善安达安全咨询有限公司",
        service_types=["consulting"],
        contact_phone="13900000001",
    )
    o["agency_b"] = m.Agency.objects.create(
        credit_code=make_credit_code(102), name="浙江安评检测有限公司", service_types=["evaluation", "testing"]
    )
    today = timezone.localdate()
    o["qual_a"] = m.AgencyQualification.objects.create(
        agency=o["agency_a"],
        name="安全评价机构资质",
        number="APJ-001",
        issuer="浙江省应急管理厅",
        valid_until=today + timedelta(days=400),
    )
    o["qual_b"] = m.AgencyQualification.objects.create(
        agency=o["agency_b"],
        name="检测检验机构资质",
        number="JC-002",
        issuer="浙江省应急管理厅",
        valid_until=today + timedelta(days=30),
    )
    o["staff_a"] = m.AgencyStaff.objects.create(
        agency=o["agency_a"],
        name="赵工",
        id_number=make_id_number(1),
        phone="13700000001",
        is_registered_engineer=True,
        engineer_certificate_no="ZA-2020-001",
    )
    o["staff_b"] = m.AgencyStaff.objects.create(
        agency=o["agency_b"], name="钱工", id_number=make_id_number(2), phone="13700000002"
    )
    o["expert_a"] = m.Expert.objects.create(
        name="孙专家", specialties="机械安全", id_number=make_id_number(3), phone="13600000001"
    )
    o["expert_b"] = m.Expert.objects.create(name="周专家", specialties="电气安全", phone="13600000002")
    o["insurer_a"] = m.Insurer.objects.create(credit_code=make_credit_code(201), name="人保财险嘉善支公司")
    o["insurer_b"] = m.Insurer.objects.create(credit_code=make_credit_code(202), name="平安财险嘉善支公司")
    o["assoc_a"] = m.Association.objects.create(credit_code=make_credit_code(301), name="嘉善县五金行业协会")
    o["assoc_b"] = m.Association.objects.create(credit_code=make_credit_code(302), name="嘉善县木业协会")
    o["assoc_a"].members.add(o["ent_a"])
    o["assoc_b"].members.add(o["ent_b"])

    def user(name, role, **links):
        u = User(username=name, role=role, full_name=name, **links)
        u.set_password(PASSWORD)
        u.save()
        w.users[name] = u
        return u

    user("county", Role.COUNTY)
    user("town_a", Role.TOWN, town=o["town_a"])
    user("town_b", Role.TOWN, town=o["town_b"])
    user("ent_a", Role.ENTERPRISE, enterprise=o["ent_a"])
    user("agency_a", Role.AGENCY, agency=o["agency_a"])
    user("expert_a", Role.EXPERT, expert=o["expert_a"])
    user("insurer_a", Role.INSURER, insurer=o["insurer_a"])
    user("assoc_a", Role.ASSOCIATION, association=o["assoc_a"])
    user("norole", "")
    o["user_town_a"], o["user_town_b"] = w.users["town_a"], w.users["town_b"]
    return w


PERSONAS = ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole", "anon")


def earlier_today(**delta) -> datetime:
    """A moment ``delta`` ago (``hours=1``, ``minutes=5``), but never before today's local midnight.

    Tests that compare a record's day with ``timezone.localdate()`` (a qualification that lapsed
    yesterday, a membership that ended yesterday) would otherwise put the record on yesterday when they
    run in the first hours after midnight in Asia/Shanghai (from 16:00 UTC). Squeezed into the part of
    today that has passed, a longer ``delta`` still gives an earlier moment (the order of records made
    "two hours ago" and "three hours ago" holds at any hour)."""
    now = timezone.now()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    ago = timedelta(**delta)
    if now - ago >= midnight:
        return now - ago
    return midnight + (now - midnight) / (1 + ago / timedelta(hours=1))


def on_day(day, hour: int = 10, minute: int = 0) -> datetime:
    """``day`` at hh:mm local time; on today, never later than now.

    Actions refuse a visit in the future, and after 16:00 UTC "today 10:00" in Asia/Shanghai has not
    come yet: a test that records something today must not depend on the hour it runs."""
    at = timezone.make_aware(datetime.combine(day, time(hour, minute)))
    now = timezone.now()
    if at > now and timezone.localdate(now) == day:
        at = max(now - timedelta(seconds=1), timezone.make_aware(datetime.combine(day, time.min)))
    return at
