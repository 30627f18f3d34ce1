"""A provider imports a session's attendance from .xlsx (a bad row refuses the whole file, then the
fixed file goes in), and the enterprise sees its principal's training status. One browser."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.training import actions
from safeserve.training.choices import CourseType
from safeserve.training.models import Attendance, Course, TrainingSession
from safeserve_dev.testkit import PASSWORD, make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(actions.template_rows())
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_provider_imports_attendance_and_the_enterprise_sees_its_training_status(browser, live_server, world):
    agency = world["agency_a"]
    agency.service_types = ["consulting", "training"]
    agency.save(update_fields=["service_types"])
    course = Course.objects.create(
        provider=agency, name="主要负责人初训", course_type=CourseType.PRINCIPAL_INITIAL, hours=Decimal(32)
    )
    session = TrainingSession.objects.create(
        course=course, date=timezone.localdate() - timedelta(days=3), place="县培训基地", trainer="赵老师"
    )
    code = world["ent_a"].credit_code
    person = make_id_number(77)
    good = [code, "张三", person, "主要负责人", 32]
    bad = [code, "李四", "123", "主要负责人", 32]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    context = browser.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        browser_login(page, "agency_a", PASSWORD)
        page.goto(session.get_absolute_url())
        page.get_by_test_id("import").click()
        page.set_input_files("#id_file", files=[{"name": "名单.xlsx", "mimeType": xlsx, "buffer": _xlsx([good, bad])}])
        page.get_by_test_id("upload").click()
        expect(page.get_by_test_id("import-errors")).to_contain_text("第 3 行，字段「身份证号」")
        assert not Attendance.objects.exists()
        page.set_input_files("#id_file", files=[{"name": "名单.xlsx", "mimeType": xlsx, "buffer": _xlsx([good])}])
        page.get_by_test_id("upload").click()
        expect(page.get_by_test_id("object-title")).to_be_visible()
        expect(page.locator("body")).to_contain_text("张三")
        page.context.clear_cookies()

        browser_login(page, "ent_a", PASSWORD)
        page.goto("/training/status/")
        row = page.locator("tr[data-role=principal]")
        expect(row).to_contain_text("张三")
        expect(row).to_contain_text(person)  # its own enterprise sees the full number
        expect(row).to_contain_text("32.0 / 32")
        expect(row.locator(".badge")).to_have_text("达标")
        expect(page.locator("tr[data-role=safety_manager]")).to_contain_text("无培训记录")
    finally:
        context.close()
