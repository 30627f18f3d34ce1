"""Test helpers for services and hazards (used by both apps' tests)."""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeserve.services.choices import ContractStatus
from safeserve.services.models import ChecklistTemplate, ContractEnterprise, ServiceContract
from safeserve_dev.testkit import earlier_today


def png(name="photo.png", colour=(200, 30, 30)) -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, format="PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def pdf(name="合同扫描件.pdf") -> SimpleUploadedFile:
    """A real one-page PDF (pypdf), as a signed contract scan."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="application/pdf")


def make_contract(
    world,
    *,
    agency="agency_a",
    enterprises=("ent_a",),
    status=ContractStatus.ACTIVE,
    number="HT-001",
    start=None,
    end=None,
    visits_per_year=4,
    payer_type="enterprise",
    payer_town=None,
):
    today = timezone.localdate()
    c = ServiceContract.objects.create(
        number=number,
        agency=world[agency],
        payer_type=payer_type,
        payer_town=payer_town,
        items=["hazard", "training"],
        start_date=start or today - timedelta(days=30),
        end_date=end or today + timedelta(days=335),
        fee=Decimal("12000.00"),
        visits_per_year=visits_per_year,
        status=status,
    )
    for e in enterprises:
        ContractEnterprise.objects.create(contract=c, enterprise=world[e])
    if agency == "agency_a":
        c.staff.add(world["staff_a"])
    return c


def general_template():
    return ChecklistTemplate.objects.get(name="工贸企业通用安全检查表")


def all_ok(template):
    return {i.pk: ("ok", "") for i in template.items.all()}


def extend_world(world):
    """Add services and hazards objects to the persona world, for the permission suites."""
    from safeserve.hazards import actions as hazard_actions
    from safeserve.hazards.models import MajorHazardCriterion
    from safeserve.services import actions
    from safeserve.services.models import ChecklistItem

    o = world.objs
    o["contract_a"] = make_contract(world, status=ContractStatus.DRAFT, number="HT-A")
    o["contract_b"] = make_contract(
        world, status=ContractStatus.DRAFT, number="HT-B", agency="agency_b", enterprises=("ent_b",)
    )
    o["contract_live"] = make_contract(world, number="HT-LIVE")
    county = world.user("county")
    for key in ("contract_a", "contract_b"):
        o[key] = actions.contract_attach_scan(actor=county, contract=o[key], upload=pdf(f"{key}.pdf"))
    t = general_template()
    o["template_a"] = t
    o["template_b"] = ChecklistTemplate.objects.create(name="木制品加工专项检查表", industry=world["industry"])
    o["item_b"] = ChecklistItem.objects.create(
        template=o["template_b"], order=1, category="粉尘", text="砂光机风管设置火花探测"
    )
    o["visit_a"] = actions.visit_record(
        actor=world.user("agency_a"),
        contract=o["contract_live"],
        enterprise=world["ent_a"],
        visited_at=earlier_today(hours=2),
        staff=[world["staff_a"]],
        template=t,
        results=all_ok(t),
        photos=[png()],
    )
    o["visit_photo"] = o["visit_a"].photos.get()
    o["pending_a"] = actions.pending_photo_add(actor=world.user("agency_a"), upload=png("pending.png"))
    o["hazard_a"] = hazard_actions.hazard_report(
        actor=world.user("agency_a"),
        enterprise=world["ent_a"],
        visit=o["visit_a"],
        location="冲压车间",
        description="光电保护失效",
        responsible_person="李四",
        photos=[png("h.png")],
    )
    o["hazard_photo"] = o["hazard_a"].photos.get()
    o["criterion_a"] = MajorHazardCriterion.objects.get(code="GM-1")
    o["criterion_b"] = MajorHazardCriterion.objects.get(code="SP-YX-2")
    o["hazard_major"] = hazard_actions.hazard_report(
        actor=world.user("town_a"),
        enterprise=world["ent_a"],
        level="major",
        criterion=o["criterion_a"],
        location="外包仓库",
        description="未对承租单位统一协调管理",
        responsible_person="张三",
    )
    _extend_world_b(world)
    # Added after the visits, so no signed record answers it yet and the county may still reword it.
    o["item_a"] = ChecklistItem.objects.create(template=t, order=99, category="消防", text="疏散通道保持畅通")
    return world


def _extend_world_b(world):
    """The same records on the other side (town B, agency B, enterprise B), so that every list can be
    compared row by row: whoever may see only side A must not see side B, and the other way round."""
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User
    from safeserve.hazards import actions as hazard_actions
    from safeserve.services import actions

    o = world.objs
    agency_b = User.objects.create(username="agency_b_staff", role=Role.AGENCY, agency=o["agency_b"])
    ent_b = User.objects.create(username="ent_b_user", role=Role.ENTERPRISE, enterprise=o["ent_b"])
    o["contract_live_b"] = make_contract(world, agency="agency_b", enterprises=("ent_b",), number="HT-LIVE-B")
    o["contract_live_b"].staff.add(o["staff_b"])
    type(o["staff_b"]).objects.filter(pk=o["staff_b"].pk).update(
        is_registered_engineer=True, engineer_certificate_no="ZB-2021-002"
    )
    o["staff_b"].refresh_from_db()
    o["template_a"].refresh_from_db()
    o["visit_b"] = actions.visit_record(
        actor=agency_b,
        contract=o["contract_live_b"],
        enterprise=o["ent_b"],
        visited_at=earlier_today(hours=3),
        staff=[o["staff_b"]],
        template=o["template_a"],
        results=all_ok(o["template_a"]),
        photos=[png("b.png", (30, 30, 200))],
    )
    o["visit_photo_b"] = o["visit_b"].photos.get()
    o["pending_b"] = actions.pending_photo_add(actor=agency_b, upload=png("pending-b.png", (30, 30, 200)))
    o["rating_a"] = actions.visit_rate(actor=world.user("ent_a"), visit=o["visit_a"], score=5, comment="认真负责")
    o["rating_b"] = actions.visit_rate(actor=ent_b, visit=o["visit_b"], score=2, comment="走过场")
    o["hazard_b"] = hazard_actions.hazard_report(
        actor=agency_b,
        enterprise=o["ent_b"],
        visit=o["visit_b"],
        location="喷漆房",
        description="静电接地线断开",
        responsible_person="王五",
        photos=[png("hb.png", (30, 200, 30))],
    )
    o["hazard_photo_b"] = o["hazard_b"].photos.get()
    o["hazard_major_b"] = hazard_actions.hazard_report(
        actor=world.user("town_b"),
        enterprise=o["ent_b"],
        level="major",
        criterion=o["criterion_b"],
        location="粉尘车间",
        description="除尘系统未按规定泄爆",
        responsible_person="王五",
    )
    return world
