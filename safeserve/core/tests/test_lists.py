"""Every list, walked from the URL resolver: it exports what it shows, refuses bad input, masks people.

Issue 11 §2–3. One shared world (permsuite.shared_world); each test walks all lists once.
- every list page has an export link that carries its filters, and the export holds exactly the
  filtered rows (a search that matches nothing exports nothing; a choice exports its subset);
- every filter of every list with one bad value is an error on the page (no rows), a 400 export,
  and a 400 naming the field on the API list that shares the FilterSet;
- the workbook is a report: title block, conditions in words, export time, frozen header,
  autofilter, typed dates, a Chinese RFC 6266 file name with an ASCII fallback;
- no page or export shows a seeded person's full phone or ID number to someone who may not see it.
"""

import io
import re
from urllib.parse import unquote

import django_filters
import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from safeserve.core.views import ObjectListView
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import extend_world
from safeserve_dev.testkit import PERSONAS, make_id_number

# Lists not built on ObjectConfig, with their exports. A route named ``*_list`` must be a config
# list or appear here: a new list without an export fails ``test_every_list_has_an_export``.
OTHER_LISTS = {
    "notifications:inbox": "notifications:inbox_export",
    "notifications:delivery_list": "notifications:delivery_export",
    "services:visit_due": "services:visit_due",  # ?download=1: every overdue pair as a workbook
    "services:ratings": "services:ratings",
    # Hand-written lists of the later apps: their export is the page itself with ?download=1 too.
    "coverage:work_list": "coverage:work_list",  # the enterprises outside the service, as of a date
    "market:need_list": "market:need_list",  # the needs, with the names their enterprises disclose
    "assessment:scheme_list": "assessment:scheme_list",
    "assessment:assessment_list": "assessment:assessment_list",
    "assessment:agency_list": "assessment:agency_list",
    "supervision:round_list": "supervision:round_list",
    "insurance:appointment_list": "insurance:appointment_list",  # AQ 9010 advance confirmation
}
# Their export is the page with ?download=1.
DOWNLOAD = {"services:visit_due", "services:ratings"} | {k for k, v in OTHER_LISTS.items() if k == v}


def _people(world):
    from safeserve.accounts.models import User
    from safeserve.notifications.actions import notify

    extend_world(world)
    User.objects.filter(pk=world.user("town_a").pk).update(phone="13500000001")
    notify(actor=None, recipients=[world.user("town_a")], kind="test", title="甲镇消息", link="/")
    return world


world = permsuite.shared_world(_people)


def config_lists():
    """(list route name, export route name, config) for every list view on the generic machinery."""
    out = {}
    for route, name, _methods in permsuite.all_routes():
        if not name or route.startswith("admin/"):
            continue
        from django.urls import resolve

        try:
            match = resolve("/" + re.sub(r"<[^>]+>", "1", route))
        except Exception:
            continue
        cls = getattr(match.func, "view_class", None)
        if cls is None or not issubclass(cls, ObjectListView) or cls.__name__.endswith("ExportView"):
            continue
        config = match.func.view_initkwargs.get("config") or cls.config
        if config is not None and name == config.route("list"):
            out[name] = (config.route("export"), config)
    return out


def _client(world, persona):
    c = Client()
    if persona != "anon":
        c.force_login(world.user(persona))
    return c


def _body(resp) -> bytes:
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def sheet(resp):
    """(worksheet, header row number, data rows) of an export."""
    ws = load_workbook(io.BytesIO(_body(resp))).worksheets[0]
    header_row = int(re.sub(r"\D", "", ws.freeze_panes)) - 1
    rows = [r for r in ws.iter_rows(min_row=header_row + 1, values_only=True) if any(v is not None for v in r)]
    return ws, header_row, rows


def test_every_list_has_an_export(world, db):
    lists = config_lists()
    names = {n for r, n, _m in permsuite.all_routes() if n and n.endswith("_list") and not r.startswith("admin/")}
    assert names <= set(lists) | set(OTHER_LISTS), f"lists without an export: {names - set(lists) - set(OTHER_LISTS)}"
    c = _client(world, "county")
    for list_route, (export_route, _config) in {**lists, **{k: (v, None) for k, v in OTHER_LISTS.items()}}.items():
        if list_route in DOWNLOAD:
            page = c.get(reverse(list_route)).content.decode()
            assert 'href="?download=1"' in page, f"{list_route}: no export link"
            resp = c.get(reverse(list_route), {"download": "1"})
            assert resp["Content-Type"].startswith("application/vnd.openxml"), list_route
            continue
        page = c.get(reverse(list_route), {"q": "甲"}).content.decode()
        m = re.search(r'href="([^"]+)"[^>]*data-testid="export"', page)
        assert m, f"{list_route}: no export link"
        href = m.group(1).replace("&amp;", "&")
        assert href.startswith(reverse(export_route)) and "q=%E7%94%B2" in href, f"{list_route}: {href}"


def _choice(fs):
    """(field name, value) of a choice filter of this FilterSet, for a subset export."""
    for name, f in fs.filters.items():
        if isinstance(f, django_filters.ChoiceFilter | django_filters.ModelChoiceFilter) and not f.method:
            field = fs.form.fields[name]
            choices = [str(k) for k, _v in field.choices if str(k) != ""]
            if choices:
                return name, choices[:20]
    return None, []


def test_every_export_holds_the_filtered_rows(world, db, rf):
    c = _client(world, "county")
    county = world.user("county")
    checked_subset = 0
    for list_route, (export_route, config) in config_lists().items():
        base = config.queryset(county)
        total = base.count()
        _ws, _h, rows = sheet(c.get(reverse(export_route)))
        assert len(rows) == total, f"{export_route}: {len(rows)} rows for {total}"
        if config.filterset.search_fields:
            resp = c.get(reverse(export_route), {"q": "没有这个名字zz"})
            assert sheet(resp)[2] == [], f"{export_route}: a search that matches nothing exported rows"
        request = rf.get("/")
        request.user = county
        name, choices = _choice(config.filterset(None, queryset=base, request=request))
        for value in choices:
            fs = config.filterset({name: value}, queryset=base, request=request)
            expected = fs.qs.count()
            if 0 < expected < total:
                resp = c.get(reverse(export_route), {name: value})
                ws, _h, rows = sheet(resp)
                assert len(rows) == expected, f"{export_route}?{name}={value}: {len(rows)} rows for {expected}"
                label = str(fs.form.fields[name].label)
                rows4 = [r[0] for r in ws.iter_rows(max_row=4, values_only=True)]
                assert any(label in str(r) for r in rows4 if r), (export_route, label, rows4)
                checked_subset += 1
                break
    assert checked_subset >= 5  # the world gives most lists a choice that splits their rows


BAD = {"date": "2026-13-45", "number": "abc", "choice": "no-such-choice", "model": "999999999", "bool": "maybe"}


def bad_value(field) -> str | None:
    from django import forms

    if isinstance(field, forms.DateField | forms.DateTimeField):
        return BAD["date"]
    if isinstance(field, forms.ModelChoiceField | forms.ModelMultipleChoiceField):
        return BAD["model"]
    if isinstance(field, forms.NullBooleanField | forms.BooleanField):
        return BAD["bool"]
    if isinstance(field, forms.ChoiceField):
        return BAD["choice"]
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return BAD["number"]
    return None  # free text (the search box): any text is a valid search


def test_every_bad_filter_value_is_an_error_not_an_unfiltered_list(world, db, rf):
    c = _client(world, "county")
    request = rf.get("/")
    request.user = world.user("county")
    walked = 0
    for list_route, (export_route, config) in config_lists().items():
        form = config.filterset(None, queryset=config.queryset(request.user), request=request).form
        params = [(name, bad_value(f), str(f.label or name)) for name, f in form.fields.items() if bad_value(f)]
        params += [("sort", "no_such_column", "排序"), ("per_page", "7", "每页条数")]
        for name, value, label in params:
            resp = c.get(reverse(list_route), {name: value})
            text = resp.content.decode()
            assert resp.status_code == 200 and 'data-testid="input-errors"' in text, f"{list_route}?{name}={value}"
            errors = text.split('data-testid="input-errors"', 1)[1].split("</div>\n</div>", 1)[0]
            assert label in errors, f"{list_route}?{name}={value}: the error does not name {label}"
            assert "没有符合条件的记录" in text or "暂无" in text, f"{list_route}?{name}={value} listed rows"
            walked += 1
        name, value, _label = params[0]
        assert c.get(reverse(export_route), {name: value}).status_code == 400, f"{export_route}?{name}={value}"
    assert walked > 40


def test_every_api_list_names_the_bad_filter(world, db, rf):
    c = _client(world, "county")
    request = rf.get("/")
    request.user = world.user("county")
    walked = 0
    for route, name, _methods in permsuite.all_routes():
        if not (name and name.endswith("-list") and route.startswith("api/") and route.endswith("/$")):
            continue
        from django.urls import resolve

        url = "/" + route.rstrip("$").replace("^", "")
        view = resolve(url).func
        fs_class = getattr(view.cls, "filterset_class", None)
        if fs_class is None:
            continue
        # Fields of an instance, never ``base_filters[...].field``: that caches a field without the
        # request (an empty scoped queryset) on the class, for every later FilterSet.
        for field_name, field in fs_class(None, request=request).form.fields.items():
            value = bad_value(field)
            if value is None:
                continue
            resp = c.get(url, {field_name: value})
            assert resp.status_code == 400, f"{url}?{field_name}={value}: {resp.status_code}"
            assert field_name in resp.json(), f"{url}?{field_name}={value}: {resp.json()}"
            walked += 1
    assert walked > 20


def test_an_export_is_a_report(world, db):
    c = _client(world, "county")
    town = world["town_a"]
    resp = c.get(reverse("registry:enterprise_export"), {"town": town.pk, "is_hazchem": "false"})
    assert resp.status_code == 200
    disposition = resp["Content-Disposition"]
    assert disposition.startswith('attachment; filename="enterprise-') and ".xlsx\"; filename*=UTF-8''" in disposition
    assert unquote(disposition.split("UTF-8''", 1)[1]).startswith("生产经营单位-")
    ws, header_row, rows = sheet(resp)
    heading = [ws.cell(row=n, column=1).value for n in range(1, header_row)]
    assert heading[0] == "生产经营单位"
    assert heading[1].startswith("筛选条件：") and f"：{town.name}；" in heading[1] and heading[1].endswith("：否"), (
        heading
    )
    assert heading[-1].startswith("导出时间：") and "Asia/Shanghai" in heading[-1]
    assert ws.freeze_panes == f"A{header_row + 1}"
    assert ws.auto_filter.ref.startswith(f"A{header_row}:")
    assert ws.cell(row=header_row, column=1).font.b and rows, "a bold header row, then the filtered rows"
    assert ws.column_dimensions["A"].width >= 10


def test_dates_and_numbers_are_typed_cells(world, db):
    from datetime import date, datetime

    c = _client(world, "county")
    ws, header_row, rows = sheet(c.get(reverse("services:servicecontract_export")))
    values = [v for r in rows for v in r]
    assert any(isinstance(v, date | datetime) for v in values), values
    date_cells = [cell for row in ws.iter_rows(min_row=header_row + 1) for cell in row if isinstance(cell.value, date)]
    assert all(cell.number_format.startswith("yyyy-mm-dd") for cell in date_cells)


# Who may read each seeded person's full number (docs/decisions/0023-exports.md), written by hand:
# ID numbers: the county only (and an expert its own); phones: the county, the officers for the
# people their work needs, the organisation for its own people, the person themselves.
FULL = {
    make_id_number(1): {"county"},  # staff_a (agency A)
    make_id_number(2): {"county"},  # staff_b (agency B)
    make_id_number(3): {"county", "expert_a"},  # expert_a
    "13700000001": {"county", "agency_a"},  # staff_a's phone: the county and their agency
    "13700000002": {"county"},
    "13600000001": {"county", "town_a", "town_b", "expert_a"},  # expert_a
    "13600000002": {"county", "town_a", "town_b"},
    "13800000001": {"county", "town_a", "ent_a"},  # ent_a's safety manager
    "13800000002": {"county", "town_b"},
    "13900000001": {"county", "town_a", "town_b", "agency_a"},  # agency_a's contact
    "13500000001": {"county", "town_a"},  # the town_a officer's own account
}


def _text(resp) -> str:
    if resp.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        wb = load_workbook(io.BytesIO(_body(resp)), read_only=True)
        return "\n".join(str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v)
    return _body(resp).decode(errors="replace")


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anon"])
def test_no_page_or_export_shows_a_number_to_whom_may_not_see_it(world, db, persona):
    c = _client(world, persona)
    urls = []
    for list_route, (export_route, _config) in {
        **config_lists(),
        **{k: (v, None) for k, v in OTHER_LISTS.items()},
    }.items():
        urls += [reverse(list_route), reverse(export_route)]
    for key in ("staff_a", "staff_b", "expert_a", "expert_b", "ent_a", "ent_b", "agency_a", "user_town_a"):
        urls.append(world[key].get_absolute_url())
    seen = 0
    for url in urls:
        resp = c.get(url)
        if resp.status_code != 200:
            continue
        seen += 1
        text = _text(resp)
        for number, allowed in FULL.items():
            if persona not in allowed:
                assert number not in text, f"{persona} reads {number} on {url}"
    assert seen


def test_the_period_the_cap_and_the_autocomplete_bounds(world, db, settings):
    c = _client(world, "county")
    resp = c.get(reverse("services:visit_export"), {"date_from": "2026-01-01", "date_to": "2026-06-30"})
    ws, header_row, _rows = sheet(resp)
    heading = [ws.cell(row=n, column=1).value for n in range(1, header_row)]
    assert "统计期间：2026-01-01 至 2026-06-30" in heading, heading
    settings.SAFESERVE = {**settings.SAFESERVE, "EXPORT_MAX_ROWS": 1}
    resp = c.get(reverse("registry:enterprise_export"))
    assert resp.status_code == 400 and "超过 1 行的上限" in resp.content.decode()
    assert c.get(reverse("autocomplete", args=["enterprise"]), {"q": "x" * 51}).status_code == 400
    assert c.get(reverse("autocomplete", args=["no-such-kind"])).status_code == 404
    found = c.get(reverse("autocomplete", args=["enterprise"]), {"q": "有限公司"}).json()["results"]
    assert {r["text"] for r in found} == {world["ent_a"].name, world["ent_b"].name}


def test_filter_labels_survive_schema_generation(db):
    """drf-spectacular builds filter form fields on the class with no model; later forms keep their labels."""
    from drf_spectacular.generators import SchemaGenerator

    from safeserve.registry.filters import IndustryFilterSet
    from safeserve.registry.models import Industry

    SchemaGenerator().get_schema(request=None, public=True)
    form = IndustryFilterSet({"level": "x"}, queryset=Industry.objects.all()).form
    assert form.fields["level"].label == Industry._meta.get_field("level").verbose_name
