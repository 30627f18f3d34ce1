"""Demo data for the training app: the county training base and the agencies offering 安全教育培训,
their courses and sessions over two years, 2,000 attendance records of enterprises' key people and
new workers, and special-operations certificates (some expiring, some expired)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, Enterprise
from safeserve.training.choices import CertificateKind, CourseType, PersonRole
from safeserve.training.models import Attendance, Certificate, Course, TrainingSession
from safeserve_dev.testkit import make_id_number

COURSES = (
    ("主要负责人安全生产知识初训", CourseType.PRINCIPAL_INITIAL, 32, PersonRole.PRINCIPAL),
    ("主要负责人安全生产知识初训（高危行业）", CourseType.PRINCIPAL_INITIAL, 48, PersonRole.PRINCIPAL),
    ("主要负责人年度再培训", CourseType.PRINCIPAL_YEARLY, 12, PersonRole.PRINCIPAL),
    ("安全管理人员初训", CourseType.MANAGER_INITIAL, 32, PersonRole.SAFETY_MANAGER),
    ("安全管理人员年度再培训", CourseType.MANAGER_YEARLY, 12, PersonRole.SAFETY_MANAGER),
    ("新员工三级安全教育", CourseType.NEW_WORKER, 24, PersonRole.NEW_WORKER),
    ("特种作业（电工、焊工）复审培训", CourseType.SPECIAL_REVIEW, 8, PersonRole.SPECIAL_WORKER),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def _base_code() -> str:
    """A valid 统一社会信用代码 for the training base (a public institution, registrar 12), its
    organisation-code part checked too, and not yet on the register."""
    from safeserve.core.identity import credit_code_check_char
    from safeserve_dev.registry_seed import org_code_check

    for n in range(99000000, 99001000):
        body = f"{n:08d}"
        first17 = f"12330421{body}{org_code_check(body)}"
        code = first17 + credit_code_check_char(first17)
        if not Agency.objects.filter(credit_code=code).exists():
            return code
    raise RuntimeError("no free credit code for the training base")


def _providers(rng):
    providers = list(Agency.objects.filter(service_types__icontains=f'"{ServiceType.TRAINING}"').order_by("pk")[:6])
    base = Agency.objects.filter(name="嘉善县安全生产培训基地（嘉善中专）").first()
    if base is None:
        base = Agency.objects.create(
            credit_code=_base_code(),
            name="嘉善县安全生产培训基地（嘉善中专）",
            service_types=[ServiceType.TRAINING],
            address="嘉善县罗星街道",
        )
    return [base, *[p for p in providers if p.pk != base.pk]]


@transaction.atomic
def seed_training(rng, stdout, records: int = 2000) -> dict:
    if Attendance.objects.exists():
        stdout.write("  培训记录已存在，跳过\n")
        return {"attendance": 0}
    today = timezone.localdate()
    providers = _providers(rng)
    courses = Course.objects.bulk_create(
        [
            Course(provider=p, name=name, course_type=ct, hours=Decimal(h))
            for p in providers
            for name, ct, h, _r in COURSES
        ]
    )
    sessions = TrainingSession.objects.bulk_create(
        [
            TrainingSession(
                course=c,
                date=today - timedelta(days=rng.randint(1, 720)),
                place=f"{c.provider.name}培训教室",
                trainer=rng.choice(SURNAMES) + "老师",
            )
            for c in courses
            for _n in range(3)
        ]
    )
    role_of = {name: r for name, _ct, _h, r in COURSES}
    enterprises = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True)[:3000])
    rows, seen = [], set()
    serial = 100000
    while len(rows) < records and enterprises:
        s = rng.choice(sessions)
        serial += 1
        id_number = make_id_number(serial, birth=f"19{rng.randint(60, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}")
        key = (s.pk, id_number)
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            Attendance(
                session=s,
                enterprise_id=rng.choice(enterprises),
                name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                id_number=id_number,
                person_role=role_of[s.course.name],
                hours=s.course.hours,
            )
        )
    Attendance.objects.bulk_create(rows, batch_size=1000)
    certs = []
    for n, a in enumerate(r for r in rows if r.person_role == PersonRole.SPECIAL_WORKER):
        issued = today - timedelta(days=rng.randint(30, 2100))
        certs.append(
            Certificate(
                enterprise_id=a.enterprise_id,
                holder_name=a.name,
                id_number=a.id_number,
                person_role=a.person_role,
                kind=CertificateKind.SPECIAL_OPERATION,
                number=f"T330421{n:06d}",
                issued_on=issued,
                valid_until=issued + timedelta(days=6 * 365),
                provider=a.session.course.provider,
            )
        )
    Certificate.objects.bulk_create(certs, batch_size=1000)
    stdout.write(
        f"  培训机构 {len(providers)} 家，课程 {len(courses)} 门，班次 {len(sessions)} 期，培训记录 {len(rows)} 条，证书 {len(certs)} 本\n"
    )
    return {"attendance": len(rows), "certificates": len(certs)}


def reset_training(stdout) -> None:
    Attendance.objects.all().delete()
    Certificate.objects.all().delete()
    TrainingSession.objects.all().delete()
    Course.objects.all().delete()
    stdout.write("  已清除培训记录\n")
