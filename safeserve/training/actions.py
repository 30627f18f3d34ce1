"""Every write of the training app: the provider's records (through core.actions, audited), the
all-or-nothing attendance import, and the certificate-expiry reminder job."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core.actions import create_record, update_record
from safeserve.core.audit import AuditAction, record
from safeserve.core.identity import normalize_code, normalize_text, validate_id_number
from safeserve.core.uploads import check_xlsx
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import agency_users, enterprise_users
from safeserve.registry.models import Enterprise

from . import queries
from .choices import PersonRole
from .models import Attendance, Certificate, Course, TrainingSession


def _provider_data(actor, model, data: dict) -> tuple[dict, tuple]:
    """An agency always writes as itself: its own courses and certificates (the county names one)."""
    if actor is not None and actor.role == Role.AGENCY and model in (Course, Certificate):
        return {**{k: v for k, v in data.items() if k != "provider"}, "provider_id": actor.agency_id}, ("provider_id",)
    return data, ()


def record_save(*, actor, model, instance=None, data: dict, m2m=None):
    """Create or update a course, session, attendance or certificate through core.actions (audited,
    scope re-checked: a provider cannot write into another provider's course or session)."""
    data, system = _provider_data(actor, model, data)
    session = data.get("session") if model is Attendance and actor is not None else None
    if session is not None and not TrainingSession.objects.visible_to(actor, "change").filter(pk=session.pk).exists():
        raise ValidationError({"session": _("只能在本机构的培训班次中登记培训记录")})
    if instance is None:
        return create_record(actor=actor, model=model, data=data, m2m=m2m, system_fields=system)
    return update_record(actor=actor, instance=instance, data=data, m2m=m2m, system_fields=system)


# ---------------------------------------------------------------- attendance import (.xlsx)

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
COLUMNS = [
    ("统一社会信用代码", "credit_code"),
    ("姓名", "name"),
    ("身份证号", "id_number"),
    ("人员类别", "person_role"),
    ("学时", "hours"),
]


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return _("第 %(row)d 行，字段「%(field)s」：%(msg)s") % {
            "row": self.row,
            "field": self.field,
            "msg": self.message,
        }


class ImportRefused(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


def _read_rows(path) -> list[tuple[int, list]]:
    path = Path(path)
    if path.stat().st_size == 0:
        raise ImportRefused([RowError(1, _("文件"), _("文件为空"))])
    if path.stat().st_size > MAX_BYTES:
        raise ImportRefused([RowError(1, _("文件"), _("文件过大，上限为 2 MB"))])
    try:
        check_xlsx(path)
    except ValidationError as exc:
        raise ImportRefused([RowError(1, _("文件"), exc.messages[0])]) from None
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:
        raise ImportRefused([RowError(1, _("文件"), _("文件已损坏或不是有效的 .xlsx 文件"))]) from None
    try:
        it = wb.worksheets[0].iter_rows(values_only=True)
        header = [normalize_text(v or "") for v in next(it, ())][:20]
        index = {}
        missing = []
        for head, key in COLUMNS:
            if normalize_text(head) in header:
                index[key] = header.index(normalize_text(head))
            else:
                missing.append(head)
        if missing:
            raise ImportRefused([RowError(1, "、".join(missing), _("表头缺少该列，请使用下载的模板"))])
        out = []
        for number, values in enumerate(it, start=2):
            picked = [values[index[k]] if index[k] < len(values) else None for _h, k in COLUMNS]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in picked):
                continue
            if len(out) >= MAX_ROWS:
                raise ImportRefused([RowError(number, _("文件"), _("数据行数超过上限 %(n)d 行") % {"n": MAX_ROWS})])
            out.append((number, picked))
    finally:
        wb.close()
    if not out:
        raise ImportRefused([RowError(2, _("文件"), _("文件中没有数据行"))])
    return out


def _text(value) -> str:
    return "" if value is None else normalize_text(str(value)).strip()


@transaction.atomic
def attendance_import(*, actor, session: TrainingSession, path) -> list[Attendance]:
    """Import a session's attendance from .xlsx: every row is checked, and with any error nothing is
    written (ImportRefused lists each error by row and field). Only the session's provider imports."""
    if actor is None or not actor.has_perm("training.add_attendance"):
        raise PermissionDenied(_("您没有登记培训记录的权限"))
    if not TrainingSession.objects.visible_to(actor, "change").filter(pk=session.pk).exists():
        raise PermissionDenied(_("只能向本机构的培训班次导入培训记录"))
    rows = _read_rows(path)
    roles = {str(label): value for value, label in PersonRole.choices}
    codes = {normalize_code(_text(r[0])) for _n, r in rows}
    enterprises = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=codes)}
    existing = set(session.attendances.values_list("id_number", flat=True))
    errors, seen, objs = [], set(), []
    course_hours = session.course.hours
    for number, (code, name, id_number, role, hours) in rows:
        code, name, id_number, role = normalize_code(_text(code)), _text(name), _text(id_number).upper(), _text(role)
        row_errors = []
        enterprise = enterprises.get(code)
        if enterprise is None:
            row_errors.append(RowError(number, _("统一社会信用代码"), _("“%(c)s”不在企业名录中") % {"c": code or "-"}))
        if not name:
            row_errors.append(RowError(number, _("姓名"), _("必填")))
        try:
            validate_id_number(id_number)
        except ValidationError as exc:
            row_errors.append(RowError(number, _("身份证号"), exc.messages[0]))
        if id_number in existing or id_number in seen:
            row_errors.append(RowError(number, _("身份证号"), _("该学员已登记在本班次")))
        seen.add(id_number)
        if role not in roles:
            row_errors.append(RowError(number, _("人员类别"), _("须为：%(v)s") % {"v": "、".join(roles)}))
        try:
            value = Decimal(str(hours)).quantize(Decimal("0.1"))
            if not (Decimal("0.5") <= value <= course_hours):
                raise InvalidOperation
        except (InvalidOperation, ValueError, TypeError):
            row_errors.append(RowError(number, _("学时"), _("须为 0.5 至 %(h)s 之间的数字") % {"h": course_hours}))
            value = None
        if row_errors:
            errors += row_errors
            continue
        objs.append(
            Attendance(
                session=session,
                enterprise=enterprise,
                name=name[:50],
                id_number=id_number,
                person_role=roles[role],
                hours=value,
            )
        )
    if errors:
        raise ImportRefused(errors)
    for obj in objs:
        obj.full_clean()
    created = Attendance.objects.bulk_create(objs)
    record(
        actor=actor,
        action=AuditAction.IMPORT,
        instance=session,
        changes={"attendances": [None, len(created)]},
        note=_("导入培训记录 %(n)d 条") % {"n": len(created)},
    )
    return created


def template_rows():
    return [h for h, _k in COLUMNS]


# ---------------------------------------------------------------- reminders


def remind_expiring_certificates(today: date | None = None) -> int:
    """Daily job: a certificate expiring within the reminder window (60 days, a setting) is announced
    once to its enterprise's users and its provider (the dedup key carries the expiry date)."""
    today = today or timezone.localdate()
    sent = 0
    for cert in queries.expiring_certificates(today):
        title = _("培训证书即将到期：%(n)s（%(k)s，%(d)s 到期）") % {
            "n": cert.holder_name,
            "k": cert.get_kind_display(),
            "d": cert.valid_until.isoformat(),
        }
        recipients = list(enterprise_users(cert.enterprise_id)) + list(agency_users(cert.provider_id))
        sent += len(
            notify(
                actor=None,
                recipients=recipients,
                kind="training_certificate_expiring",
                title=title,
                body=_("%(e)s 的持证人员须在到期前完成复审或再培训。") % {"e": cert.enterprise.name},
                link=reverse("training:status", args=[cert.enterprise_id]),
                level=Level.WARNING,
                dedup_key=f"training-cert:{cert.pk}:{cert.valid_until.isoformat()}",
            )
        )
    return sent
