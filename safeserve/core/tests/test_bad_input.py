"""Issue 8 §10: no query parameter or body a client can send answers 5xx.

Hand-written cases for each reported 500, then every GET route without path parameters (derived from
the URL resolver, pages and API alike) with hostile values in every filter it declares, and every add
form with hostile values in every field. docs/decisions/0015-input-validation.md
"""

import re
from datetime import date
from io import BytesIO

import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from safeserve.core.excel import sheet_title
from safeserve.core.filters import ScopedFilterSet
from safeserve.core.views import ObjectEditView, ObjectListView

CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = ["0", "-1", "1e30", "99999999999999999999", "9999-12-31", "0001-01-01", "\x00", "x" * 10_000, "[]"]
# One representative of each class of bad value, for the sweeps that try one parameter at a time:
# a negative id, an integer past 64 bits, a float past every column, the first and the last day
# (timezone underflow, +1 day overflow), a NUL (PostgreSQL refuses it), text past any column.
REPRESENTATIVE = ["-1", "99999999999999999999", "1e30", "0001-01-01", "9999-12-31", "\x00", "x" * 10_000]
# Query parameters read outside a FilterSet: by the generic list pages, by DRF, by hand-built views.
PAGE_PARAMS = ["page", "sort"]
API_PARAMS = ["page", "ordering", "format"]
EXTRA_PARAMS = ["page", "year", "quarter", "by", "start", "end", "town", "enterprise", "download", "unread"]
EXTRA_PARAMS += ["visit", "template", "contract", "errors", "q"]
# A valid base query under which a parameter's value reaches the code that uses it.
BASE_QUERY = {
    "hazards:ledger": {"start": "2025-01-01", "end": "2025-06-30", "download": "1"},
    "hazards:statistics": {"year": "2025", "quarter": "2", "download": "1"},
}
SKIP = {"logout", "set_language", "login", "iot-telemetry"}  # no data; the telemetry door is the iot suite's


def _client(world, persona):
    c = Client(raise_request_exception=False)
    if persona != "anon":
        c.force_login(world.users[persona])
    return c


def _params(callback):
    """The query parameters a route reads: its FilterSet's filters and the paging/sorting/options around them."""
    cls = getattr(callback, "cls", None)
    if cls is not None:  # a DRF view or viewset
        fs = getattr(cls, "filterset_class", None)
        return (set(fs.base_filters) if fs else set()) | set(API_PARAMS)
    view_class = getattr(callback, "view_class", None)
    config = getattr(callback, "view_initkwargs", {}).get("config")
    if view_class and issubclass(view_class, ObjectListView) and config is not None:
        return set(config.filterset.base_filters) | set(PAGE_PARAMS)
    # A hand-built view: the FilterSet it uses (if any, found by its module), and every known option.
    names = set(EXTRA_PARAMS)
    for fs in _filtersets():
        same_app = view_class and fs.__module__.rsplit(".", 1)[0] == view_class.__module__.rsplit(".", 1)[0]
        if same_app and fs.__name__.removesuffix("FilterSet") in view_class.__name__:
            names |= set(fs.base_filters)
    return names


def _filtersets():
    todo, seen = list(ScopedFilterSet.__subclasses__()), []
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        seen.append(cls)
    return seen


def parameterless_get_routes(resolver=None, ns=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            yield from parameterless_get_routes(p, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name and not p.pattern.regex.groupindex:
            name = f"{ns}{p.name}"
            if (
                name in SKIP
                or name.endswith("_export")
                or (getattr(p.callback, "actions", None) and "get" not in p.callback.actions)
            ):
                continue  # exports share the list's filtering (tested below with an invalid filter)
            yield name, p.callback


ROUTES = sorted({name: cb for name, cb in parameterless_get_routes()}.items())


def _assert_no_5xx(response, url, params):
    assert response.status_code < 500, f"{response.status_code} on {url} {params!r:.200}"
    if response.status_code == 400 and response.get("Content-Type", "").startswith("application/json"):
        assert CJK.search(response.content.decode()), f"400 without a Chinese message: {response.content[:200]}"


def _filterset_cases():
    for fs in _filtersets():
        if fs._meta.model is not None:
            for name in fs.base_filters:
                yield f"{fs.__name__}.{name}", fs, name


CONFIGS = {
    cb.view_initkwargs["config"].filterset: cb.view_initkwargs["config"]
    for _, cb in ROUTES
    if "config" in getattr(cb, "view_initkwargs", {})
}
FILTER_CASES = sorted(_filterset_cases(), key=lambda c: c[0])


NUMBER_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField, forms.ModelChoiceField)
DATE_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField, forms.MultiValueField)


def _values_for(f) -> list[str]:
    """The bad values that reach what a filter does with its value: numbers for a numeric or id
    filter, first/last days for a date filter, text for the rest; NUL for all. A filter that runs its
    own code (``method``) or whose field is of no known kind gets every hostile value."""
    if f.method is not None:
        return HOSTILE
    field = f.field_class
    if issubclass(field, NUMBER_FIELDS):
        return ["-1", "99999999999999999999", "1e30", "\x00"]
    if issubclass(field, DATE_FIELDS):
        return ["0001-01-01", "9999-12-31", "\x00"]
    if issubclass(field, forms.CharField | forms.ChoiceField | forms.MultipleChoiceField | forms.NullBooleanField):
        return ["\x00", "x" * 10_000, "[]"]
    return HOSTILE


@pytest.mark.parametrize(("label", "filterset", "name"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_every_filter_field_refuses_or_survives_hostile_values(world, rf, label, filterset, name):
    """Each declared filter of each FilterSet, alone, with each hostile value: a form error or a query that runs."""
    request = rf.get("/")
    request.user = world.users["county"]
    config = CONFIGS.get(filterset)  # the page's queryset (some filters need its annotations)
    base = config.queryset(request.user) if config else filterset._meta.model.objects.visible_to(request.user)
    for value in _values_for(filterset.base_filters[name]):
        fs = filterset({name: value}, queryset=base, request=request)
        if fs.is_valid():
            fs.qs.count()  # the database sees the value: no OverflowError, no DataError
        else:
            assert all(CJK.search(str(e)) for errs in fs.errors.values() for e in errs), (label, value, fs.errors)


@pytest.mark.parametrize(("name", "callback"), ROUTES, ids=[n for n, _ in ROUTES])
def test_hostile_query_values_on_every_route(world, name, callback):
    """Every parameterless GET route, each hostile value in all the parameters it reads (filters are above)."""
    client = _client(world, "county")
    url = reverse(name)
    bases = [{}, BASE_QUERY[name]] if name in BASE_QUERY else [{}]
    params = sorted(_params(callback))
    for value in HOSTILE:
        for base in bases:
            for chunk in (params, [p for p in params if p not in base]):
                query = {**base, **dict.fromkeys(chunk, value)}
                _assert_no_5xx(client.get(url, query), url, query)
    if name in BASE_QUERY:  # hand-built forms: one bad field at a time, the others valid
        for value in REPRESENTATIVE:
            for p in params:
                query = {**BASE_QUERY[name], p: value}
                _assert_no_5xx(client.get(url, query), url, query)


def _add_routes():
    for name, callback in ROUTES:
        view_class = getattr(callback, "view_class", None)
        if view_class and issubclass(view_class, ObjectEditView) and name.endswith("_add"):
            yield name, callback.view_initkwargs["config"]


ADD_ROUTES = sorted(_add_routes(), key=lambda r: r[0])
BODY_VALUES = ["\x00", "9999-12-31", "0001-01-01", "99999999999999999999", "-1", "x" * 10_000, "1e30"]


@pytest.mark.parametrize(("name", "config"), ADD_ROUTES, ids=[n for n, _ in ADD_ROUTES])
def test_hostile_values_in_every_add_form_field(world, name, config):
    user = world.users["county"]
    fields = list(config.form(user=user).fields)
    for field in fields:  # each field alone: validation never raises and never lets a NUL through
        for value in BODY_VALUES:
            form = config.form({field: value}, user=user)
            form.is_valid()
            assert "\x00" not in str(form.cleaned_data.get(field, "")), (field, "NUL accepted")
    client = _client(world, "county")
    url = reverse(name)
    for value in BODY_VALUES:  # and through the page, every field at once
        _assert_no_5xx(client.post(url, dict.fromkeys(fields, value)), url, value)


# ------------------------------------------------------------------ the reported 500s, one by one


@pytest.mark.parametrize("query", ["year=0", "year=-1", "year=9999&quarter=4", "year=99999999999999999999"])
def test_statistics_year_out_of_range_is_a_friendly_400(world, query):
    r = _client(world, "county").get(f"/hazards/statistics/?{query}")
    assert r.status_code == 400
    assert "年度" in r.content.decode() and "input-errors" in r.content.decode()


@pytest.mark.parametrize("query", ["quarter=5", "quarter=x", "by=nobody", "year=2025&quarter=0"])
def test_statistics_other_bad_parameters_are_a_400(world, query):
    assert _client(world, "county").get(f"/hazards/statistics/?{query}").status_code == 400


def test_statistics_valid_query_still_works(world):
    c = _client(world, "county")
    assert c.get("/hazards/statistics/?year=2025&quarter=4&by=enterprise").status_code == 200
    r = c.get("/hazards/statistics/?year=2025&quarter=4&download=1")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("start", "end"), [("2025-01-01", "9999-12-31"), ("0001-01-01", "2025-01-01"), ("1899-12-31", "2025-01-01")]
)
def test_ledger_dates_out_of_range_are_a_400_naming_the_field(world, start, end):
    r = _client(world, "county").get("/hazards/ledger/", {"start": start, "end": end, "download": "1"})
    assert r.status_code == 400
    assert "日期须在" in r.content.decode()


def test_ledger_bad_ids_are_a_400(world):
    c = _client(world, "county")
    q = {"start": "2025-01-01", "end": "2025-06-30", "download": "1"}
    assert c.get("/hazards/ledger/", {**q, "enterprise": "99999999999999999999"}).status_code == 400
    assert c.get("/hazards/ledger/", {**q, "town": "-1"}).status_code == 400


EXCEL_FORBIDDEN = "甲/乙\\丙?丁*戊[己]庚:辛有限公司"  # typography: keep (the characters sheet titles refuse)


@pytest.mark.parametrize("name", [EXCEL_FORBIDDEN, "'引号'", "[]", "很长的企业名称" * 10])
def test_an_enterprise_with_any_name_downloads_its_own_ledger(world, name):
    ent = world["ent_a"]
    ent.name = name
    ent.save(update_fields=["name"])
    r = _client(world, "ent_a").get("/hazards/ledger/", {"start": "2025-01-01", "end": "2025-06-30", "download": "1"})
    assert r.status_code == 200
    title = load_workbook(BytesIO(b"".join(r.streaming_content))).sheetnames[0]
    assert title == sheet_title(f"隐患台账-{name}")


def test_sheet_title_strips_what_excel_refuses():
    assert sheet_title("台账-A/B\\C?D*E[F]G:H") == "台账-A B C D E F G H"
    assert len(sheet_title("名" * 40)) == 31
    assert sheet_title("/:?") == "Sheet"
    assert sheet_title("'x'") == "x"


@pytest.mark.parametrize("url", ["/hazards/", "/api/v1/hazards/hazards/"])
@pytest.mark.parametrize("value", ["99999999999", "-1", "1e30", str(2**70)])
def test_due_within_out_of_range(world, url, value):
    r = _client(world, "county").get(url, {"due_within": value})
    assert r.status_code == (400 if url.startswith("/api/") else 200)
    if url.startswith("/api/"):
        assert "due_within" in r.json()
    else:
        assert "input-errors" in r.content.decode()  # the page shows the filter error and no rows


def test_due_within_in_range_filters(world):
    r = _client(world, "county").get("/api/v1/hazards/hazards/", {"due_within": "30"})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/hazards/?enterprise={}",
        "/api/v1/hazards/hazards/?enterprise={}",
        "/services/visits/?enterprise={}",
        "/services/visits/?contract={}",
        "/api/v1/services/visits/?enterprise={}",
        "/api/v1/services/contracts/?enterprise={}",
        "/iot/alarms/?device={}",
        "/registry/enterprises/?town={}",
        "/api/v1/registry/enterprises/?town={}",
    ],
)
@pytest.mark.parametrize("value", ["1e30", "99999999999999999999", str(2**63), "-1", "1.5"])
def test_id_filters_out_of_range(world, url, value):
    r = _client(world, "county").get(url.format(value))
    assert r.status_code in (200, 400)
    if url.startswith("/api/"):
        assert r.status_code == 400 and CJK.search(r.content.decode())


def test_export_with_an_invalid_filter_is_a_400_not_the_whole_table(world):
    r = _client(world, "county").get("/registry/enterprises/export.xlsx", {"town": "99999999999999999999"})
    assert r.status_code == 400
    assert "input-errors" in r.content.decode()


def test_list_page_with_an_invalid_filter_shows_the_error_and_no_rows(world):
    r = _client(world, "county").get("/registry/enterprises/", {"status": "nonsense"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "input-errors" in body and world["ent_a"].name not in body and "共 0 条" in body


def test_dates_in_filters_are_bounded(world):
    c = _client(world, "county")
    assert c.get("/api/v1/hazards/hazards/", {"reported_from": "0001-01-01"}).status_code == 400
    assert c.get("/api/v1/hazards/hazards/", {"reported_to": "2025-01-01"}).status_code == 200


def test_bad_template_id_on_the_visit_form_is_not_a_500(world):
    c = _client(world, "agency_a")
    for value in ("abc", "\x00", "99999999999999999999", "-1"):
        assert c.get("/services/visits/new/", {"template": value}).status_code < 500


# ------------------------------------------------------------------ JSON bodies


BODIES = {
    "deeply nested": "[" * 100_000 + "]" * 100_000,
    "nested objects": '{"a":' * 50 + "1" + "}" * 50,
    "malformed": '{"name": ',
    "NaN": '{"name": NaN}',
    "huge float": '{"sort_order": 1e999}',
    "huge int": '{"sort_order": ' + "9" * 5000 + "}",
    "NUL in a value": '{"code": "330421009", "name": "a\\u0000b"}',
    "NUL in a key": '{"na\\u0000me": "x"}',
    "not UTF-8": b'{"name": "\xff\xfe"}',
    "wrong types": '{"code": [], "name": {}, "sort_order": "x"}',
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
@pytest.mark.parametrize(
    "url", ["/api/v1/registry/towns/", "/api/v1/hazards/hazards/", "/api/v1/services/visits/", "/api/v1/iot/devices/"]
)
def test_hostile_json_bodies_are_a_400_in_chinese(world, url, body):
    r = _client(world, "county").post(url, body, content_type="application/json")
    assert r.status_code == 400 or (r.status_code == 403 and "services" in url), r.content[:300]
    assert CJK.search(r.content.decode()), r.content[:300]


def test_nul_in_a_text_field_is_a_400_for_forms_too(world):
    r = _client(world, "county").post("/registry/towns/add/", {"code": "330421009", "name": "a\x00b", "sort_order": 1})
    assert r.status_code == 200 and "空" in r.content.decode()  # the form re-renders with the error
    from safeserve.registry.models import Town

    assert not Town.objects.filter(code="330421009").exists()


def test_dates_in_bodies_are_bounded(world):
    c = _client(world, "county")
    body = {
        "agency": world["agency_a"].pk,
        "name": "资质",
        "number": "N-1",
        "issuer": "厅",
        "valid_until": "9999-12-31",
    }
    r = c.post("/api/v1/registry/agency-qualifications/", body, content_type="application/json")
    assert r.status_code == 400 and "valid_until" in r.json()
    r = c.post("/registry/qualifications/add/", body)
    assert r.status_code == 200 and "日期须在" in r.content.decode()
    body["valid_until"] = str(date(2030, 1, 1))
    assert c.post("/api/v1/registry/agency-qualifications/", body, content_type="application/json").status_code == 201


# ------------------------------------------------------------------ the exception handler


def test_a_missing_record_is_a_chinese_404(world):
    r = _client(world, "county").get("/api/v1/registry/enterprises/99999999999999999999/")
    assert r.status_code == 404 and CJK.search(r.json()["detail"])


def test_deleting_a_referenced_record_is_a_409_that_names_the_reason(world):
    r = _client(world, "county").delete(f"/api/v1/registry/towns/{world['town_a'].pk}/")
    assert r.status_code == 409 and "引用" in r.content.decode()


def test_a_refused_action_is_a_403_or_400_with_its_reason(world):
    """Django's PermissionDenied / ValidationError raised by an action reach the client in Chinese."""
    c = _client(world, "ent_a")
    r = c.post("/api/v1/hazards/hazards/", {"location": "车间", "description": "d", "responsible_person": "p"})
    assert r.status_code in (201, 400, 403)
    if r.status_code != 201:
        assert CJK.search(r.content.decode())


def test_nul_in_basic_auth_credentials_is_not_a_500(world):
    """PostgreSQL refuses NUL in the username lookup; the API answers 4xx, not 500."""
    import base64

    token = base64.b64encode(b"cou\x00nty:pw").decode()
    r = Client(raise_request_exception=False).get("/api/v1/registry/towns/", HTTP_AUTHORIZATION=f"Basic {token}")
    assert r.status_code in (400, 401, 403)
