"""The registry benchmark: server time and query count of the pages a town officer uses most.

``manage.py benchmark`` (see its ``--help``) drives this module. It measures in-process with
``django.test.Client`` (``force_login``, ``time.perf_counter`` around each request), counts queries
with ``CaptureQueriesContext``, and compares every figure with a baseline measured in the same run
(the login page, a view that touches no registry data) so figures from different machines can be
compared by ratio.
"""

import math
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from safeserve.registry import models as m

PAGE_TARGET_MS = 150.0
IMPORT_TARGET_S = 20.0
DEEP_PAGE = 200
LIST_PAGE_SIZE = 50  # core.views.ObjectListView and the API's PAGE_SIZE
IMPORT_HEADERS = (
    "统一社会信用代码",
    "单位名称",
    "地址",
    "镇（街道）",
    "村（社区）",
    "行业代码",
    "规模",
    "从业人数",
    "风险等级",
    "危化品",
    "重大危险源",
    "村级小微",
    "标准化等级",
    "法定代表人",
    "安全管理人员",
    "安全管理人员电话",
    "经营状态",
)
SIZE_LABELS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
RISK_LABELS = {"red": "红", "orange": "橙", "yellow": "黄", "blue": "蓝"}
GRADE_LABELS = {"none": "未定级", "1": "一级", "2": "二级", "3": "三级"}
STATUS_LABELS = {"active": "在业", "suspended": "停业", "cancelled": "注销"}


@dataclass
class Scenario:
    key: str
    label: str
    url: str
    times_ms: list[float] = field(default_factory=list)
    queries: dict[str, int] = field(default_factory=dict)  # data size label -> query count

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return percentile(self.times_ms, 95)


def percentile(values, pct) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _client(user=None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def timing_settings():
    """Requests as a production server answers them: no SQL logging, HTTPS, the test host allowed."""
    return override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"])


def get_ok(client: Client, url: str):
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, expected 200")
    return response


def count_queries(client: Client, url: str) -> int:
    get_ok(client, url)  # warm: the session exists, caches are filled
    with CaptureQueriesContext(connection) as ctx:
        get_ok(client, url)
    return len(ctx.captured_queries)


def time_requests(client: Client, url: str, repeat: int) -> list[float]:
    get_ok(client, url)
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        get_ok(client, url)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def scenarios_for(user, *, risk_level: str = "yellow", search: str = "木业") -> list[Scenario]:
    """The measured requests, with deep pages chosen from the data as it is now."""
    visible = m.Enterprise.objects.visible_to(user)
    filtered = visible.filter(risk_level=risk_level).count()
    list_pages = max(1, math.ceil(filtered / LIST_PAGE_SIZE))
    api_pages = max(1, math.ceil(visible.count() / LIST_PAGE_SIZE))
    deep = min(DEEP_PAGE, list_pages)
    api_deep = min(DEEP_PAGE, api_pages)
    ids = list(visible.order_by("id").values_list("id", flat=True)[:1])
    last = visible.order_by("-id").values_list("id", flat=True).first()
    detail_id = (ids[0] + last) // 2 if ids and last else None
    detail = visible.filter(id__gte=detail_id).order_by("id").values_list("id", flat=True).first() if ids else None
    if detail is None:
        raise RuntimeError("the benchmark user sees no enterprise")
    base = "/registry/enterprises/"
    api = "/api/v1/registry/enterprises/"
    return [
        Scenario("list", f"企业列表 ?risk_level={risk_level} 第1页", f"{base}?risk_level={risk_level}"),
        Scenario(
            "list_deep",
            f"企业列表 ?risk_level={risk_level} 第{deep}页/{list_pages}",
            f"{base}?risk_level={risk_level}&page={deep}",
        ),
        Scenario("search", f"企业列表 ?q={search} 第1页", f"{base}?q={search}"),
        Scenario("detail", "企业详情页", f"{base}{detail}/"),
        Scenario("api", "企业列表 API 第1页", api),
        Scenario("api_deep", f"企业列表 API 第{api_deep}页/{api_pages}", f"{api}?page={api_deep}"),
    ]


def measure(user, *, repeat: int, size_label: str, scenarios: list[Scenario] | None = None, times=True):
    """Query counts (and, if ``times``, ``repeat`` timings) of every scenario for ``user``."""
    fresh = scenarios_for(user)
    if scenarios is None:
        scenarios = fresh
    else:
        # Same scenarios, URLs re-derived for the current data (the deep page moves as data grows).
        for s, f in zip(scenarios, fresh, strict=True):
            s.url, s.label = f.url, f.label
    client = _client(user)
    with timing_settings():
        for s in scenarios:
            s.queries[size_label] = count_queries(client, s.url)
            if times:
                s.times_ms = time_requests(client, s.url, repeat)
    return scenarios


def baseline_ms(repeat: int) -> list[float]:
    """A trivial page in the same process: the anonymous login form."""
    with timing_settings():
        return time_requests(_client(), "/accounts/login/", repeat)


# ---------------------------------------------------------------------------------------------
# Import


def import_rows_for(seeder, town, rows: int, progress=None):
    """``rows`` new enterprises in ``town`` as roster rows (header first), as a town officer fills them."""
    villages = seeder.villages.get(town.pk) or []
    yield list(IMPORT_HEADERS)
    for i in range(rows):
        e = seeder.make_enterprise()
        village = seeder.rng.choice(villages) if villages and e.village_id else None
        road = e.address[len(f"嘉善县{e.town.name}{e.village.name if e.village else ''}") :]
        yield [
            e.credit_code,
            e.name,
            f"嘉善县{town.name}{village.name if village else ''}{road}",
            town.name,
            village.name if village else "",
            e.industry.code,
            SIZE_LABELS[e.size_class],
            e.employees,
            RISK_LABELS[e.risk_level],
            "是" if e.is_hazchem else "否",
            "是" if e.has_major_hazard_source else "否",
            "是" if (e.is_village_small and village and not village.name.endswith("社区")) else "否",
            GRADE_LABELS[e.standardization_grade],
            e.legal_representative,
            e.safety_manager,
            e.safety_manager_phone,
            STATUS_LABELS[e.status],
        ]
        if progress and (i + 1) % 5000 == 0:
            progress(i + 1, rows)


def write_openpyxl(rows, path: Path) -> Path:
    """As openpyxl writes it (our template and exports): every string inline in its cell."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入模板")
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def write_excel_style(rows, path: Path) -> Path:
    """As Excel and WPS save a sheet: strings in the shared-strings table, cells pointing at them.

    A user fills the downloaded template in Excel/WPS and saves it, so this is what the upload page
    receives; openpyxl cannot write it (it always writes inline strings), hence this small writer.
    """
    import zipfile
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    strings: dict[str, int] = {}
    sheet = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row, start=1):
            ref = f"{get_column_letter(c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                idx = strings.setdefault(str(value), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
        sheet.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet.append("</sheetData></worksheet>")
    sst = [
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{_MAIN}" uniqueCount="{len(strings)}">'
    ]
    sst += [f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings]
    sst.append("</sst>")
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            '<sheet name="导入模板" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": "".join(sheet),
        "xl/sharedStrings.xml": "".join(sst),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            zf.writestr(name, text.encode())
    return path


IMPORT_WRITERS = {"excel": write_excel_style, "openpyxl": write_openpyxl}


@dataclass
class ImportFigure:
    rows: int
    seconds: float
    created: int
    queries: int
    errors: list
    label: str = ""


def run_import(seeder, user, rows: int, *, file_format: str = "excel", progress=None) -> ImportFigure:
    from safeserve.registry.roster_import import import_rows

    with tempfile.TemporaryDirectory() as tmp:
        path = IMPORT_WRITERS[file_format](
            import_rows_for(seeder, user.town, rows, progress), Path(tmp) / "benchmark.xlsx"
        )
        count = {"n": 0}

        def counter(execute, sql, params, many, context):
            count["n"] += 1
            return execute(sql, params, many, context)

        with timing_settings(), connection.execute_wrapper(counter):
            t0 = time.perf_counter()
            result = import_rows("enterprise", str(path), actor=user, dry_run=False)
            seconds = time.perf_counter() - t0
    return ImportFigure(rows, seconds, result.created, count["n"], [str(e) for e in result.errors[:10]])
