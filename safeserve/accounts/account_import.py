"""Bulk account creation from .xlsx (批量开通账号): read, validate every row, then create all or none.

The file goes through ``core.uploads.check_xlsx`` (a real, bounded workbook) before openpyxl opens
it. Row 1 is the header (the template's); every cell is normalised (full-width folded, spaces) and
checked by its column. Each problem is a ``RowError`` shown as 「第 N 行，字段「X」：原因」; with any
problem nothing is created. Organisations are found by name (or credit code) among those the
importing officer may use: a town officer only creates enterprise accounts of its own town.

Formula cells are refused: an account file holds names and numbers typed by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.apps import apps
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from safeserve.core.excel import as_text_cell, from_text_cell
from safeserve.core.identity import normalize_code, normalize_text
from safeserve.core.xlsx_import import FileError, RowError, open_workbook

from .actions import provision_rule
from .choices import Role
from .models import ROLE_LINK, User

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500  # a file is confirmed in one request (initial passwords: accounts.hashers)
MOBILE = re.compile(r"^1[3-9]\d{9}$")

# (header, key, required)
COLUMNS = [
    ("用户名", "username", True),
    ("姓名", "full_name", True),
    ("手机号", "phone", True),
    ("角色", "role", True),
    ("所属镇（街道）", "town", False),
    ("所属单位", "org", False),
    ("电子邮箱", "email", False),
]
HEADERS = [c[0] for c in COLUMNS]
ORG_MODELS = {
    Role.ENTERPRISE: "Enterprise",
    Role.AGENCY: "Agency",
    Role.EXPERT: "Expert",
    Role.INSURER: "Insurer",
    Role.ASSOCIATION: "Association",
}


@dataclass
class Parsed:
    rows: list[dict] = field(default_factory=list)  # ready for account_create
    cells: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, normalised cells)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def header_key(text) -> str:
    return re.sub(r"[\s*()（）]", "", normalize_text(text))


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return from_text_cell(normalize_text(str(value)))


def role_labels() -> dict[str, str]:
    """Chinese label -> role (whatever the UI language: the template is in Chinese)."""
    with translation.override("zh-hans"):
        table = {normalize_text(str(label)): value for value, label in Role.choices}
    table.update({normalize_text(label).replace("(", "").replace(")", ""): v for label, v in list(table.items())})
    return table


def role_label(role: str) -> str:
    with translation.override("zh-hans"):
        return normalize_text(str(Role(role).label))


def read_cells(path) -> list[tuple[int, list]]:
    """[(Excel row number, raw values by column)], header checked; FileError for a bad file."""
    wb = open_workbook(path, max_bytes=MAX_BYTES)
    try:
        ws = wb.worksheets[0]
        ws.reset_dimensions()
        it = ws.iter_rows(values_only=True)
        header = [header_key(v or "") for v in next(it, ())][:30]
        index = {}
        for head, key, _required in COLUMNS:
            if header_key(head) in header:
                index[key] = header.index(header_key(head))
        missing = [head for head, key, required in COLUMNS if required and key not in index]
        if missing:
            raise FileError(_("第 1 行表头缺少列：%(cols)s；请使用下载的模板") % {"cols": "、".join(missing)})
        out = []
        for number, values in enumerate(it, start=2):
            picked = [
                values[index[key]] if key in index and index[key] < len(values) else None for _h, key, _r in COLUMNS
            ]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in picked):
                continue
            if is_example(picked):
                continue
            if len(out) >= MAX_ROWS:
                raise FileError(_("数据行数超过上限 %(limit)d 行，请拆分文件后分批导入") % {"limit": MAX_ROWS})
            out.append((number, picked))
    except FileError:
        raise
    except Exception:
        raise FileError(_("文件已损坏或不是有效的 .xlsx 文件")) from None
    finally:
        wb.close()
    if not out:
        raise FileError(_("文件中没有数据行"))
    return out


EXAMPLE_MARK = "(示例)"  # typography: keep (compared with normalize_text output: NFKC, half-width)


def is_example(values) -> bool:
    """The template's example row (its 姓名 ends with （示例）) is never imported."""
    return isinstance(values[1], str) and normalize_text(values[1]).endswith(EXAMPLE_MARK)


def _is_formula(value) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ in (
        "ArrayFormula",
        "DataTableFormula",
    )


def validate(actor, raw: list[tuple[int, list]]) -> Parsed:
    """Check every row; build the data each account is created from. Lookups are prefetched."""
    rule = provision_rule(actor)
    roles = role_labels()
    town_model = apps.get_model("registry", "Town")
    towns = {t.name: t for t in town_model.objects.visible_to(actor)} if rule.county else {}
    texts = [(n, [("" if _is_formula(v) else cell_text(v)) for v in values]) for n, values in raw]
    wanted = {r: set() for r in ORG_MODELS}
    for _n, cells in texts:
        role = roles.get(cells[3])
        if role in wanted and cells[5]:
            wanted[role].add(cells[5])
    orgs = {}
    for role, names in wanted.items():
        if not names:
            continue
        model = apps.get_model("registry", ORG_MODELS[role])
        rows = rule.enterprises() if role == Role.ENTERPRISE else model.objects.visible_to(actor)
        if not rule.county and role != Role.ENTERPRISE:
            rows = model.objects.none()
        codes = {normalize_code(n) for n in names}
        q = rows.filter(name__in=names)
        if hasattr(model, "credit_code"):
            q = q | rows.filter(credit_code__in=codes)
        table: dict[str, list] = {}
        for obj in q:
            table.setdefault(obj.name, []).append(obj)
            if getattr(obj, "credit_code", ""):
                table.setdefault(obj.credit_code, []).append(obj)
        orgs[role] = table
    usernames = [cells[0] for _n, cells in texts if cells[0]]
    taken: set[str] = set()
    if usernames:
        q = reduce(or_, (Q(username__iexact=u) for u in set(usernames)))
        taken = {u.lower() for u in User.objects.filter(q).values_list("username", flat=True)}
    seen: dict[str, int] = {}
    username_validator = UnicodeUsernameValidator()

    out = Parsed(cells=[(n, cells) for n, cells in texts])
    for (number, values), (_n, cells) in zip(raw, texts, strict=True):
        problems: dict[str, str] = {}  # column -> its first problem

        def bad(col_index, reason, problems=problems):
            problems.setdefault(HEADERS[col_index], reason)

        for i, v in enumerate(values):
            if _is_formula(v):
                bad(i, _("不接受公式，请填写文字"))
        username, full_name, phone, role_text, town_name, org_name, email = cells
        data: dict = {}
        # 用户名
        if not username:
            bad(0, _("必填"))
        elif len(username) > 150:
            bad(0, _("不能超过 150 个字符"))
        else:
            try:
                username_validator(username)
            except ValidationError:
                bad(0, _("只能包含字母、数字和 @ . + - _"))
            else:
                key = username.lower()
                if key in taken:
                    bad(0, _("用户名“%(name)s”已存在") % {"name": username})
                elif key in seen:
                    bad(0, _("与第 %(row)d 行重复") % {"row": seen[key]})
                seen.setdefault(key, number)
        data["username"] = username
        # 姓名
        if not full_name:
            bad(1, _("必填"))
        elif len(full_name) > 50:
            bad(1, _("不能超过 50 个字符"))
        data["full_name"] = full_name
        # 手机号
        phone = phone.replace("-", "").replace(" ", "")
        if not phone:
            bad(2, _("必填"))
        elif not MOBILE.match(phone):
            bad(2, _("应为 11 位手机号码（以 1 开头）"))
        data["phone"] = phone
        # 角色
        role = roles.get(role_text)
        if not role_text:
            bad(3, _("必填"))
        elif role is None:
            bad(3, _("“%(value)s”不是可选的角色") % {"value": role_text})
        elif role not in rule.roles:
            bad(3, _("您无权创建“%(value)s”账号") % {"value": role_text})
            role = None
        data["role"] = role or ""
        for link in {v for v in ROLE_LINK.values() if v}:
            data[link] = None
        # 所属镇（街道） / 所属单位
        if role == Role.TOWN:
            if not town_name:
                bad(4, _("镇（街道）人员必须填写所属镇（街道）"))
            elif town_name not in towns:
                bad(4, _("未找到镇（街道）“%(value)s”") % {"value": town_name})
            else:
                data["town"] = towns[town_name]
        elif role in ORG_MODELS:
            link = ROLE_LINK[role]
            if not org_name:
                bad(5, _("该角色必须填写所属单位"))
            else:
                found = orgs.get(role, {}).get(org_name) or orgs.get(role, {}).get(normalize_code(org_name)) or []
                found = list({o.pk: o for o in found}.values())
                if not found:
                    if role == Role.ENTERPRISE and not rule.county:
                        reason = _("未找到本镇（街道）企业“%(value)s”") % {"value": org_name}
                    else:
                        reason = _("未找到单位“%(value)s”") % {"value": org_name}
                    bad(5, reason)
                elif len(found) > 1:
                    bad(5, _("名称“%(value)s”对应多个单位，请填写统一社会信用代码") % {"value": org_name})
                else:
                    data[link] = found[0]
        # 电子邮箱
        if email:
            try:
                validate_email(email)
            except ValidationError:
                bad(6, _("邮箱格式不正确"))
        data["email"] = email
        if problems:
            out.errors.extend(RowError(number, col, reason) for col, reason in problems.items())
        else:
            out.rows.append(data)
    return out


def parse(actor, path) -> Parsed:
    try:
        raw = read_cells(path)
    except FileError as exc:
        return Parsed(errors=[RowError(None, "", str(exc))])
    return validate(actor, raw)


def template_workbook(actor):
    """The template: header, an example row, dropdowns for role and town, and the instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    rule = provision_rule(actor)
    wb = Workbook()
    ws = wb.active
    ws.title = "账号"
    ws.append([f"{h}*" if req else h for h, _k, req in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (18, 12, 16, 22, 16, 36, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ent = rule.enterprises().order_by("name").first()
    example = [
        "zhangsan01",
        "张三（示例）",
        "13800000000",
        role_label(Role.ENTERPRISE),
        "",
        ent.name if ent else "某某有限公司",
        "",
    ]
    ws.append([as_text_cell(v) for v in example])  # an enterprise's name is data: never a formula
    for cell in ws[2]:
        cell.font = Font(color="808080", italic=True)
        cell.number_format = "@"
    for col in ("A", "C"):
        for row in range(2, MAX_ROWS + 2):
            ws[f"{col}{row}"].number_format = "@"  # phone numbers and usernames stay text

    lists = wb.create_sheet("可选值")
    lists.append(["角色", "镇（街道）"])
    role_names = [role_label(r) for r in rule.roles]
    town_names = (
        list(
            apps.get_model("registry", "Town")
            .objects.visible_to(actor)
            .order_by("sort_order", "code")
            .values_list("name", flat=True)
        )
        if rule.county
        else []
    )
    for i in range(max(len(role_names), len(town_names))):
        lists.append(
            [
                as_text_cell(role_names[i]) if i < len(role_names) else None,
                as_text_cell(town_names[i]) if i < len(town_names) else None,
            ]
        )
    last = MAX_ROWS + 1
    dv = DataValidation(type="list", formula1=f"'可选值'!$A$2:$A${len(role_names) + 1}", allow_blank=False)
    dv.error, dv.errorTitle, dv.showErrorMessage = "请从下拉列表中选择角色", "角色", True
    dv.add(f"D2:D{last}")
    ws.add_data_validation(dv)
    if town_names:
        dvt = DataValidation(type="list", formula1=f"'可选值'!$B$2:$B${len(town_names) + 1}", allow_blank=True)
        dvt.error, dvt.errorTitle, dvt.showErrorMessage = "请从下拉列表中选择镇（街道）", "镇（街道）", True
        dvt.add(f"E2:E{last}")
        ws.add_data_validation(dvt)

    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 100
    for line in [
        "填写说明",
        "1. 第 1 行为表头，请勿修改；从第 2 行起每行一个账号。第 2 行为示例（姓名以“（示例）”结尾的行不会导入）。",
        "2. 标 * 的列必填：用户名（字母、数字和 @ . + - _，不可与已有账号重复）、姓名、手机号（11 位）、角色。",
        "3. 角色与镇（街道）请从下拉列表中选择。",
        "4. 镇（街道）人员填写“所属镇（街道）”；企业、服务机构、专家、保险机构、行业协会人员填写“所属单位”"
        "（单位全称，重名时填写统一社会信用代码）。",
        "5. 镇（街道）安监办人员只能为本镇（街道）企业开通企业用户账号。",
        f"6. 每个文件最多 {MAX_ROWS} 行。只要有一行有问题，整个文件都不会导入。",
        "7. 导入成功后，系统为每个账号生成初始密码，仅显示一次，请当场下载凭据表并妥善分发；用户首次登录须修改密码。",
    ]:
        notes.append([line])
    notes["A1"].font = Font(bold=True)
    return wb
