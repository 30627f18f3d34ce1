"""Training status against the required hours (32/12 h, 48/16 h for high-risk industries) and
certificate expiry, ID-number masking per role, the all-or-nothing import, and the expiry reminder."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core.display import display_value
from safeserve.notifications.models import Notification
from safeserve.training import actions, queries
from safeserve.training.choices import CertificateKind, CourseType, PersonRole
from safeserve.training.choices import TrainingStatus as S
from safeserve.training.models import Attendance, Certificate, Course, TrainingSession
from safeserve_dev import permsuite
from safeserve_dev.memberwork_fixtures import extend_training
from safeserve_dev.testkit import make_id_number

world = permsuite.shared_world(extend_training)
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _attend(world, enterprise, course_type, hours, days_ago, person=601, role=PersonRole.PRINCIPAL):
    course = Course.objects.create(
        provider=world["agency_a"], name=f"课程{course_type}{hours}", course_type=course_type, hours=hours
    )
    session = TrainingSession.objects.create(
        course=course, date=TODAY - timedelta(days=days_ago), place="培训基地", trainer="孙"
    )
    return Attendance.objects.create(
        session=session,
        enterprise=enterprise,
        name="测试人",
        id_number=make_id_number(person),
        person_role=role,
        hours=hours,
    )


def _status(enterprise, role=PersonRole.PRINCIPAL, on=None):
    enterprise.refresh_from_db()
    rows = queries.training_status([enterprise], on or TODAY)[enterprise.pk]
    return [r.status for r in rows if r.role == role]


@pytest.fixture
def high_risk(world):
    ent = world["ent_b"]
    ent.is_hazchem = True
    ent.save(update_fields=["is_hazchem"])
    return ent


def test_normal_enterprise_needs_32_then_12_hours(world):
    ent = world["ent_a"]  # 金属制品业 (C33): not high-risk; its principal took a 32 h initial course 30 days ago
    assert queries.required_hours(ent) == (32, 12)
    assert _status(ent) == [S.OK]
    # A year after the initial training, the yearly 12 h are due ...
    assert _status(ent, on=TODAY + timedelta(days=400)) == [S.YEARLY_DUE]
    _attend(world, ent, CourseType.PRINCIPAL_YEARLY, Decimal(12), days_ago=-380, person=501)
    assert _status(ent, on=TODAY + timedelta(days=400)) == [S.OK]
    # ... and 30 h would not have been enough in the first place.
    _attend(
        world, ent, CourseType.MANAGER_INITIAL, Decimal(30), days_ago=10, person=602, role=PersonRole.SAFETY_MANAGER
    )
    assert _status(ent, role=PersonRole.SAFETY_MANAGER) == [S.UNTRAINED]


def test_high_risk_enterprise_needs_48_then_16_hours(world, high_risk):
    assert queries.required_hours(high_risk) == (48, 16)
    _attend(world, high_risk, CourseType.PRINCIPAL_INITIAL, Decimal(32), days_ago=500)
    assert _status(high_risk) == [S.UNTRAINED]  # 32 h are not 48 h
    _attend(world, high_risk, CourseType.PRINCIPAL_INITIAL, Decimal(16), days_ago=450)
    _attend(world, high_risk, CourseType.PRINCIPAL_YEARLY, Decimal(12), days_ago=100)
    assert _status(high_risk) == [S.YEARLY_DUE]  # initial reached; 12 h yearly are not 16 h
    _attend(world, high_risk, CourseType.PRINCIPAL_YEARLY, Decimal(4), days_ago=50)
    assert _status(high_risk) == [S.OK]
    # The same hours in a normal enterprise were enough a year earlier.
    high_risk.is_hazchem = False
    high_risk.save(update_fields=["is_hazchem"])
    assert _status(high_risk, on=TODAY - timedelta(days=400)) == [S.OK]


def test_certificate_status_across_its_expiry_date(world):
    ent = world["ent_a"]
    cert = world["certificate_a"]  # special operations, issued 400 days ago
    cert.valid_until = TODAY + timedelta(days=100)
    cert.save(update_fields=["valid_until"])
    until = cert.valid_until
    role = PersonRole.SPECIAL_WORKER
    assert _status(ent, role, on=until - timedelta(days=61)) == [S.OK]
    assert _status(ent, role, on=until - timedelta(days=60)) == [S.EXPIRING]
    assert _status(ent, role, on=until) == [S.EXPIRING]  # valid through its last day
    assert _status(ent, role, on=until + timedelta(days=1)) == [S.EXPIRED]


def test_special_certificate_is_reviewed_after_three_years(world):
    ent_b = world["ent_b"]  # 林乙: certificate issued four years ago, 8 h review training 20 days ago
    assert _status(ent_b, PersonRole.SPECIAL_WORKER) == [S.OK]
    Attendance.objects.filter(pk=world["attendance_b"].pk).update(hours=Decimal(6))
    assert _status(ent_b, PersonRole.SPECIAL_WORKER) == [S.REVIEW_DUE]


def test_missing_key_people_are_flagged_for_the_town(world):
    ent_b = world["ent_b"]
    assert _status(ent_b, PersonRole.PRINCIPAL) == [S.MISSING]
    flagged = {r["enterprise"].pk for r in queries.flagged_enterprises(world.user("town_b"))}
    assert flagged == {ent_b.pk}  # never another town's
    assert queries.flagged_enterprises(world.user("ent_a")) == []


def test_id_numbers_are_masked_except_for_the_provider_and_own_enterprise(world):
    att, cert = world["attendance_a"], world["certificate_a"]
    other = User.objects.create(username="agency_b_user", role=Role.AGENCY, agency=world["agency_b"])
    for record in (att, cert):
        full = record.id_number
        for persona in ("agency_a", "ent_a"):
            assert display_value(record, "id_number", world.user(persona)) == full, persona
        for user in (world.user("county"), world.user("town_a"), other):
            shown = display_value(record, "id_number", user)
            assert shown != full and shown.startswith(full[:6]) and "*" in shown, user


def test_status_page_masks_id_numbers_for_the_town(world, client):
    client.force_login(world.user("town_a"))
    body = client.get(f"/training/status/{world['ent_a'].pk}/").content.decode()
    full = world["attendance_a"].id_number
    assert full not in body and full[:6] in body
    client.force_login(world.user("ent_a"))
    assert full in client.get("/training/status/").content.decode()


def _xlsx(tmp_path, rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(actions.template_rows())
    for r in rows:
        ws.append(r)
    path = tmp_path / "attendance.xlsx"
    wb.save(path)
    return path


def test_import_is_all_or_nothing_with_row_errors(world, tmp_path):
    session = world["session_a"]
    code = world["ent_a"].credit_code
    good = [code, "王一", make_id_number(701), "安全管理人员", 32]
    bad = [code, "王二", "330421198001010000", "厨师", 40]
    with pytest.raises(actions.ImportRefused) as exc:
        actions.attendance_import(actor=world.user("agency_a"), session=session, path=_xlsx(tmp_path, [good, bad]))
    text = [str(e) for e in exc.value.errors]
    assert any(t.startswith("第 3 行，字段「身份证号」") for t in text), text
    assert any("第 3 行，字段「人员类别」" in t for t in text) and any("第 3 行，字段「学时」" in t for t in text)
    assert session.attendances.count() == 1  # the world's one only
    created = actions.attendance_import(actor=world.user("agency_a"), session=session, path=_xlsx(tmp_path, [good]))
    assert [a.person_role for a in created] == [PersonRole.SAFETY_MANAGER]
    with pytest.raises(PermissionDenied):  # another provider's session
        actions.attendance_import(
            actor=world.user("agency_a"), session=world["session_b"], path=_xlsx(tmp_path, [good])
        )


def test_certificate_expiry_reminder_60_days_before(world):
    ent_user = world.user("ent_a")
    cert = Certificate.objects.create(
        enterprise=world["ent_a"],
        holder_name="将到期",
        id_number=make_id_number(801),
        person_role=PersonRole.SAFETY_MANAGER,
        kind=CertificateKind.SAFETY_COMPETENCE,
        number="AQ-801",
        issued_on=TODAY - timedelta(days=1000),
        valid_until=TODAY + timedelta(days=60),
        provider=world["agency_a"],
    )
    Notification.objects.all().delete()
    sent = actions.remind_expiring_certificates(TODAY)
    mine = Notification.objects.filter(recipient=ent_user, kind="training_certificate_expiring")
    assert sent >= 1 and any("将到期" in n.title for n in mine)
    assert actions.remind_expiring_certificates(TODAY) == 0  # once per certificate and expiry date
    cert.valid_until = TODAY + timedelta(days=61)
    cert.save(update_fields=["valid_until"])
    Notification.objects.all().delete()
    actions.remind_expiring_certificates(TODAY)
    assert not Notification.objects.filter(title__contains="将到期").exists()


def test_pages_query_counts_do_not_grow_with_records(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = {
        "town_a": ["/training/overview/", f"/training/status/{world['ent_a'].pk}/", "/training/attendance/"],
        "agency_a": [
            "/training/attendance/",
            "/training/certificates/",
            f"/training/sessions/{world['session_a'].pk}/",
        ],
    }

    def counts():
        out = []
        for persona, urls in pages.items():
            client.force_login(world.user(persona))
            for url in urls:
                with CaptureQueriesContext(connection) as ctx:
                    assert client.get(url).status_code == 200, url
                out.append(len(ctx))
        return out

    counts()  # warm the per-process caches (content types)
    before = counts()
    for n in range(6):
        _attend(world, world["ent_a"], CourseType.PRINCIPAL_YEARLY, Decimal(4), days_ago=n + 1, person=900 + n)
        Attendance.objects.create(
            session=world["session_a"],
            enterprise=world["ent_a"],
            name=f"学员{n}",
            id_number=make_id_number(950 + n),
            person_role=PersonRole.SAFETY_MANAGER,
            hours=Decimal(8),
        )
    assert counts() == before


def test_import_template_is_a_plain_header_row(world, client):
    from openpyxl import load_workbook

    client.force_login(world.user("agency_a"))
    resp = client.get(f"/training/sessions/{world['session_a'].pk}/import/", {"template": "1"})
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert cells == actions.template_rows()
    assert not any(str(c).startswith(("=", "+", "-", "@")) for c in cells)
