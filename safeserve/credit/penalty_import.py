"""行政处罚 import from .xlsx: read, check every row, then create all or none (like the account and
roster imports). Each problem names the row and the column in Chinese; with any problem nothing is saved.

Parties are found by 统一社会信用代码 among those the importing officer may use: a town officer imports
penalties of its own town's enterprises only; agency and person penalties are the county's.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from safeserve.core import xlsx_import
from safeserve.core.audit import AuditAction, record
from safeserve.core.identity import normalize_code
from safeserve.core.xlsx_import import FileError, Parsed, RowError, cell_text
from safeserve.core.xlsx_import import choice_labels as _labels
from safeserve.core.xlsx_import import is_formula as _is_formula
from safeserve.registry.models import Agency, Enterprise

from .actions import regrade_on_commit
from .choices import PartyKind, PenaltyMeasure, PenaltyStatus
from .models import Penalty

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000

# (header, key, required)
COLUMNS = [
    ("处罚决定书文号", "decision_number", True),
    ("处罚日期", "decided_on", True),
    ("当事人类型", "party_kind", True),
    ("统一社会信用代码", "code", False),
    ("当事人姓名", "person_name", False),
    ("违法行为", "violation", True),
    ("处罚依据", "legal_basis", True),
    ("罚款金额（元）", "fine", False),
    ("其他处罚措施", "measures", False),
    ("状态", "status", False),
]
HEADERS = [c[0] for c in COLUMNS]


def read_rows(path) -> list[tuple[int, list]]:
    return xlsx_import.read_rows(path, COLUMNS, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)


def validate(actor, raw) -> Parsed:
    county = actor.role == "county"
    kinds, statuses, measures = (
        _labels(PartyKind.choices),
        _labels(PenaltyStatus.choices),
        _labels(PenaltyMeasure.choices),
    )
    texts = [(n, [("" if _is_formula(v) else cell_text(v)) for v in values]) for n, values in raw]
    codes = {normalize_code(c[3]) for _n, c in texts if c[3]}
    enterprises = {e.credit_code: e for e in Enterprise.objects.visible_to(actor, "view").filter(credit_code__in=codes)}
    if not county:
        enterprises = {k: e for k, e in enterprises.items() if e.town_id == actor.town_id}
    agencies = {a.credit_code: a for a in Agency.objects.filter(credit_code__in=codes)} if county else {}
    numbers = [c[0] for _n, c in texts if c[0]]
    taken = set(Penalty.objects.filter(decision_number__in=numbers).values_list("decision_number", flat=True))
    seen: dict[str, int] = {}
    out = Parsed()
    for (number, values), (_n, cells) in zip(raw, texts, strict=True):
        problems: dict[str, str] = {}

        def bad(i, reason, problems=problems):
            problems.setdefault(HEADERS[i], reason)

        for i, v in enumerate(values):
            if _is_formula(v):
                bad(i, _("不接受公式，请填写文字"))
        doc, day, kind_text, code, person, violation, basis, fine_text, measures_text, status_text = cells
        data: dict = {"measures": []}
        if not doc:
            bad(0, _("必填"))
        elif len(doc) > 100:
            bad(0, _("不能超过 100 个字符"))
        elif doc in taken:
            bad(0, _("文号“%(v)s”已登记") % {"v": doc})
        elif doc in seen:
            bad(0, _("与第 %(row)d 行重复") % {"row": seen[doc]})
        seen.setdefault(doc, number)
        data["decision_number"] = doc
        try:
            data["decided_on"] = date.fromisoformat(day.replace("/", "-")[:10]) if day else None
        except ValueError:
            data["decided_on"] = None
            bad(1, _("日期格式应为 2026-01-31"))
        if not day:
            bad(1, _("必填"))
        kind = kinds.get(kind_text)
        if not kind_text:
            bad(2, _("必填"))
        elif kind is None:
            bad(2, _("应为：%(v)s") % {"v": "、".join(kinds)})
        elif kind != PartyKind.ENTERPRISE and not county:
            bad(2, _("镇（街道）只能导入本镇企业的行政处罚"))
        data["party_kind"] = kind or ""
        data["enterprise"] = data["agency"] = None
        if kind == PartyKind.ENTERPRISE or kind == PartyKind.AGENCY:
            table = enterprises if kind == PartyKind.ENTERPRISE else agencies
            key = normalize_code(code) if code else ""
            if not key:
                bad(3, _("当事人为企业或服务机构时必填"))
            elif key not in table:
                bad(3, _("未找到该统一社会信用代码的单位，或该单位不在您的数据范围内"))
            else:
                data["enterprise" if kind == PartyKind.ENTERPRISE else "agency"] = table[key]
        data["person_name"] = person[:50]
        if kind == PartyKind.PERSON and not person:
            bad(4, _("当事人为个人时必填"))
        if not violation:
            bad(5, _("必填"))
        data["violation"] = violation
        if not basis:
            bad(6, _("必填"))
        elif len(basis) > 300:
            bad(6, _("不能超过 300 个字符"))
        data["legal_basis"] = basis
        try:
            fine = Decimal(fine_text.replace(",", "")) if fine_text else Decimal("0")
            if fine < 0 or fine.as_tuple().exponent < -2 or fine >= Decimal("1e12"):
                raise InvalidOperation
            data["fine"] = fine
        except (InvalidOperation, ValueError):
            bad(7, _("应为不小于 0 的金额，最多两位小数"))
        for part in [p for p in re.split(r"[、,;；\s]+", measures_text) if p]:
            if part not in measures:
                bad(8, _("“%(v)s”不是可选的措施（可选：%(c)s）") % {"v": part, "c": "、".join(measures)})
            else:
                data["measures"].append(measures[part])
        status = statuses.get(status_text) if status_text else PenaltyStatus.DECIDED
        if status is None:
            bad(9, _("应为：%(v)s") % {"v": "、".join(statuses)})
        data["status"] = status or PenaltyStatus.DECIDED
        if not problems:
            try:
                Penalty(**data).full_clean(validate_unique=False)
            except ValidationError as exc:
                for name, errs in exc.message_dict.items():
                    col = next((h for h, k, _r in COLUMNS if k == name), HEADERS[0])
                    problems.setdefault(col, errs[0])
        if problems:
            out.errors.extend(RowError(number, col, reason) for col, reason in problems.items())
        else:
            out.rows.append(data)
    return out


def parse(actor, path) -> Parsed:
    try:
        raw = read_rows(path)
    except FileError as exc:
        return Parsed(errors=[RowError(None, "", str(exc))])
    return validate(actor, raw)


@transaction.atomic
def import_penalties(*, actor, parsed: Parsed) -> list[Penalty]:
    """Create every row or none; each is audited as an import; the parties are regraded on commit."""
    if not actor.has_perm("credit.add_penalty"):
        raise PermissionDenied(_("您没有该操作的权限"))
    if not parsed.ok:
        raise ValidationError(_("导入文件有错误，未导入任何记录"))
    created = []
    for data in parsed.rows:
        p = Penalty(**data)
        p.full_clean()
        p.save()
        if not Penalty.objects.visible_to(actor, "add").filter(pk=p.pk).exists():
            raise PermissionDenied(_("该记录超出您的数据权限范围"))
        record(actor=actor, action=AuditAction.IMPORT, instance=p, changes={}, note=_("从 Excel 导入"))
        created.append(p)
    regrade_on_commit("enterprise", [p.enterprise_id for p in created if p.enterprise_id])
    regrade_on_commit("agency", [p.agency_id for p in created if p.agency_id])
    return created


def template_notes() -> list[list[str]]:
    """The instructions sheet of the template (the data sheet holds the header only)."""
    with translation.override("zh-hans"):
        return [
            ["当事人类型", "、".join(str(label) for _v, label in PartyKind.choices)],
            ["统一社会信用代码", "当事人为企业或服务机构时必填"],
            ["当事人姓名", "当事人为个人时必填"],
            ["处罚日期", "格式 2026-01-31"],
            ["其他处罚措施", "可多项，用顿号分隔：" + "、".join(str(label) for _v, label in PenaltyMeasure.choices)],
            ["状态", "、".join(str(label) for _v, label in PenaltyStatus.choices) + "（不填为已作出决定）"],
            ["导入规则", "任何一行有错误时不导入任何记录"],
        ]
