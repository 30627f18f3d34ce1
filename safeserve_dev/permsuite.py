"""The inherited permission suite: every route, every HTTP method, every persona — rows, not only status.

An app describes each object type once::

    CASES = [
        PermissionCase(ENTERPRISE, a="ent_a", b="ent_b",
                       view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
                       change={...}, delete={...}, add={"county", "town_a", "town_b"},
                       api_prefix="/api/v1/registry/enterprises/"),
    ]
    test_permissions = permission_tests(CASES)

and gets, for each persona (named in ``testkit.PERSONAS``): the list page, its htmx partial and the
Excel export compared row by row (which of the world's objects ``a`` and ``b`` are shown), detail,
edit and delete pages (another scope's record is a 404), forged add/edit/delete POSTs, the API list
compared by ids, the API detail, and forged API POST/PUT/PATCH/DELETE. A forged write must be
refused *and change nothing*: every row of every model of the project is compared before and after.

Every other route is a ``RouteCheck``: a collection (list, export, chart data, PDF, statistics)
declares which personas see which of ``a``/``b``; an object route (detail, file, PDF, a write on
one record) declares which personas reach which object; a write declares who may make it. A
persona not named in ``see`` is refused. The expectations are written by hand from the policy,
never computed from the code under test.

Coverage (``uncovered_routes``) is computed from the URL resolver: every pattern, named or not,
with every HTTP method its view accepts, must be declared by some app's ``test_permissions``
module, or be excluded in ``EXCLUDED`` with a reason.

The world is built once per module (``shared_world``) and every test runs in a savepoint that is
rolled back; every write a check makes is rolled back at once, so checks never see each other.
"""

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from safeserve.core.scoping import ALL
from safeserve.core.views import ObjectConfig
from safeserve_dev.testkit import PERSONAS, build_world

WRITES = ("post", "put", "patch", "delete")
LOGIN_URL = "/accounts/login/"
TAMPERED = "篡改"


# ---------------------------------------------------------------- the world, once per module


def shared_world(*extenders, name: str = "world"):
    """A module-scoped ``world`` fixture: built once, rolled back when the module ends.

    Each test still runs in its own savepoint (pytest-django's ``db``), so what a test writes is
    gone before the next one. Uploaded files go to one media directory for the module.
    """

    @pytest.fixture(scope="module", name=name)
    def _world(django_db_setup, django_db_blocker, tmp_path_factory):
        media = tmp_path_factory.mktemp("permsuite-media")
        fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                world = build_world()
                for extend in extenders:
                    world = extend(world) or world
                world.media_root = media
                yield world
            finally:
                transaction.set_rollback(True)
                atomic.__exit__(None, None, None)

    return _world


@pytest.fixture(name="media_root")
def shared_media_root(world, settings):
    """Overrides the apps' per-test media directory: the shared world's files live in one place."""
    settings.MEDIA_ROOT = world.media_root
    return world.media_root


# ---------------------------------------------------------------- what the database holds


def project_models():
    return [m for m in apps.get_models(include_auto_created=True) if m.__module__.startswith("safeserve.")]


def snapshot() -> dict[str, frozenset]:
    """Every row of every table of the project's models (m2m tables included), comparable as a whole.

    Plain SQL, not the ORM: a forged write is compared with it, and there are thousands of them."""
    tables = sorted({m._meta.db_table for m in project_models() if not m._meta.proxy and m._meta.managed})
    out = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - our own table names
            out[table] = frozenset(tuple(map(_hashable, row)) for row in cursor.fetchall())
    return out


def _hashable(value):
    if isinstance(value, memoryview):
        return bytes(value)
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


# ---------------------------------------------------------------- reading a response


def _body(resp) -> bytes:
    return b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content


def response_text(resp, kind: str) -> str:
    """The text a person reads: the page's main content, every cell of a workbook, a PDF's text."""
    data = _body(resp)
    if kind == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    if kind == "pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    text = data.decode()
    # The navigation bar names the user's own organisation on every page: rows are what <main> shows.
    m = re.search(r"<main\b.*?</main>", text, re.S)
    return m.group(0) if m else text


def response_ids(resp) -> set:
    data = json.loads(_body(resp))
    rows = data["results"] if isinstance(data, dict) and "results" in data else data
    return {row["id"] for row in rows}


def _label(obj, label) -> str:
    return str(label(obj) if callable(label) else getattr(obj, label))


# ---------------------------------------------------------------- one persona's probe


class Probe:
    """A persona's client, the failures found so far, and forged writes compared with a snapshot."""

    def __init__(self, world, persona: str, *, fail_fast: bool = False):
        self.world, self.persona, self.fail_fast = world, persona, fail_fast
        self.anon = persona == "anon"
        self.client = Client()
        if not self.anon:
            self.client.force_login(world.user(persona))
        self.failures: list[str] = []
        self._baseline = None

    def expect(self, cond, msg):
        if not cond:
            self.failures.append(msg)
            if self.fail_fast:
                self.done("stopped at the first failure")

    def call(self, method, url, data=None, *, api=False, headers=None, query=None):
        if method == "get":
            return self.client.get(url, query or {}, headers=headers or {})
        fn = getattr(self.client, method)
        if api:
            return fn(url, json.dumps(data or {}), content_type="application/json", headers=headers or {})
        if method in ("put", "patch", "delete") and not data:
            return fn(url, headers=headers or {})
        return fn(url, data or {}, headers=headers or {})

    def refused(self, resp, what, *, exists=False):
        """Anonymous: the login page (pages) or 401/403 (API). Logged in: 403/404; a record of another
        scope, on a route the persona otherwise uses, must be a 404 (no hint that it exists)."""
        code = resp.status_code
        if self.anon:
            ok = (
                code in (401, 403)
                or (code == 302 and resp["Location"].startswith(LOGIN_URL))
                # an htmx request is sent to the login page as a whole page (accounts.middleware)
                or (code == 204 and resp.get("HX-Redirect", "").startswith(LOGIN_URL))
            )
            self.expect(ok, f"{what}: anon not refused ({code})")
        elif exists:
            self.expect(code == 404, f"{what}: expected 404, got {code}")
        else:
            self.expect(code in (403, 404), f"{what}: expected 403/404, got {code}")

    def baseline(self):
        if self._baseline is None:
            self._baseline = snapshot()
        return self._baseline

    def write(
        self,
        method,
        url,
        data,
        *,
        what,
        allowed,
        ok=(200, 201, 204, 302),
        api=False,
        exists=False,
        denied=None,
        headers=None,
        tables=None,
    ):
        """Make a write in a savepoint that is rolled back: allowed ones answer ``ok``; forged ones are
        refused (``denied``: the codes a persona who sees the record may get instead of 403/404) and
        leave every table as it was."""
        before = None if allowed else self.baseline()
        sid = transaction.savepoint()
        try:
            resp = self.call(method, url, data, api=api, headers=headers)
            code = resp.status_code
            if allowed:
                self.expect(code in ok, f"{what}: expected {ok}, got {code}")
            else:
                if denied and not self.anon:
                    self.expect(code in denied, f"forged {what}: expected {denied}, got {code}")
                else:
                    self.refused(resp, f"forged {what}", exists=exists)
                changed = [t for t in changed_tables(before, snapshot()) if tables is None or t in tables]
                self.expect(not changed, f"forged {what} changed the database: {', '.join(changed)}")
        except AssertionError:
            raise
        except Exception as exc:  # a crash is a failure of this check, not the end of the others
            self.failures.append(f"{what}: raised {exc!r}")
        finally:
            transaction.savepoint_rollback(sid)

    def rows(self, resp, *, kind, objs, label, sees, what):
        """Which of the objects ``a``/``b`` a collection shows, compared with ``sees``."""
        if kind.startswith("json"):
            # "json": the ids of a list; "json:<field>": the ids a record's field names (related rows).
            ids = response_ids(resp) if kind == "json" else set(json.loads(_body(resp))[kind.split(":", 1)[1]])
            for key, obj in objs.items():
                shown = obj.pk in ids
                self.expect(shown == (key in sees), f"{what}: {key} {'present' if shown else 'absent'}")
            return
        text = response_text(resp, kind)
        labels = [_label(obj, label) for obj in objs.values()]
        self.expect(
            len(labels) < 2 or not (labels[0] in labels[1] or labels[1] in labels[0]),
            f"{what}: labels {labels} contain each other: rows cannot be told apart",
        )
        for key, obj in objs.items():
            shown = _label(obj, label) in text
            self.expect(
                shown == (key in sees), f"{what}: {key} ({_label(obj, label)}) {'shown' if shown else 'missing'}"
            )

    def done(self, title):
        assert not self.failures, f"{title} as {self.persona}:\n  " + "\n  ".join(self.failures)


# ---------------------------------------------------------------- generic object routes


def form_payload(config: ObjectConfig, obj, user, **changes) -> dict:
    """What the edit form of ``obj`` submits unchanged (as the county sees it), with ``changes``:
    a valid body, so that a forged write would really write if nothing stopped it."""
    form = config.form(instance=obj, user=user)
    data = {}
    for bf in form:
        value = bf.value()
        if value is None or bf.field.widget.needs_multipart_form:
            continue
        if isinstance(value, bool):
            if value:
                data[bf.html_name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[bf.html_name] = [str(v) for v in value]
        else:
            data[bf.html_name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    data.update(changes)
    return data


@dataclass
class PermissionCase:
    config: ObjectConfig
    a: str  # world object key
    b: str  # world object key
    view: dict[str, str] = field(default_factory=dict)  # persona -> which of "a"/"b" it may see
    change: dict[str, str] = field(default_factory=dict)
    delete: dict[str, str] = field(default_factory=dict)
    add: set[str] = field(default_factory=set)
    api_prefix: str | None = None  # e.g. "/api/v1/registry/enterprises/"
    label: str = "name"  # attribute whose text identifies a row in pages and exports
    api_methods: tuple[str, ...] = ("post", "put", "patch", "delete")  # writes the API offers

    @property
    def id(self):
        return self.config.key

    def route(self, action):
        return self.config.route(action)

    def coverage(self) -> list[tuple[str, str]]:
        """(URL, method) pairs this case checks (for the route coverage test; pk 1 is a sample)."""
        out = [(reverse(self.route(r)), "get") for r in ("list", "export", "add")]
        out.append((reverse(self.route("add")), "post"))
        for r in ("detail", "edit", "delete"):
            out.append((reverse(self.route(r), args=[1]), "get"))
        out += [(reverse(self.route("edit"), args=[1]), "post"), (reverse(self.route("delete"), args=[1]), "post")]
        if self.api_prefix:
            out += [(self.api_prefix, "get"), (f"{self.api_prefix}1/", "get")]
            out += [(self.api_prefix if m == "post" else f"{self.api_prefix}1/", m) for m in self.api_methods]
        return out


def check_case(case: PermissionCase, persona: str, world, *, fail_fast=False):
    p = Probe(world, persona, fail_fast=fail_fast)
    objs = {"a": world[case.a], "b": world[case.b]}
    sees = set(case.view.get(persona, ""))
    may_change = set(case.change.get(persona, ""))
    may_delete = set(case.delete.get(persona, ""))
    has_view = persona in case.view
    county = world.user("county")
    hx = {"HX-Request": "true", "HX-Target": "results"}

    # List page, its htmx partial and the export: exactly the visible rows.
    for what, route, kind, headers in (
        ("list", "list", "html", None),
        ("list (htmx)", "list", "html", hx),
        ("export", "export", "xlsx", None),
    ):
        resp = p.call("get", reverse(case.route(route)), headers=headers)
        if not has_view:
            p.refused(resp, what)
            continue
        p.expect(resp.status_code == 200, f"{what}: expected 200, got {resp.status_code}")
        if resp.status_code == 200:
            p.rows(resp, kind=kind, objs=objs, label=case.label, sees=sees, what=what)

    # Detail, edit and delete pages: another scope's record is a 404.
    for key, obj in objs.items():
        for action, allowed in (("detail", sees), ("edit", may_change), ("delete", may_delete)):
            resp = p.call("get", reverse(case.route(action), args=[obj.pk]))
            if key in allowed and not p.anon:
                p.expect(resp.status_code == 200, f"{action} {key}: expected 200, got {resp.status_code}")
                if action == "detail" and resp.status_code == 200:
                    p.rows(resp, kind="html", objs={key: obj}, label=case.label, sees={key}, what=f"detail {key}")
            else:
                p.refused(resp, f"{action} {key}", exists=bool(allowed))
        # Forged writes on records out of reach: refused, nothing changes.
        if key not in may_change:
            body = form_payload(case.config, obj, county, **{case.label: TAMPERED})
            p.write(
                "post",
                reverse(case.route("edit"), args=[obj.pk]),
                body,
                what=f"edit {key}",
                allowed=False,
                exists=bool(may_change),
            )
        if key not in may_delete:
            p.write(
                "post",
                reverse(case.route("delete"), args=[obj.pk]),
                {},
                what=f"delete {key}",
                allowed=False,
                exists=bool(may_delete),
            )

    # Add page and a forged add.
    resp = p.call("get", reverse(case.route("add")))
    if persona in case.add:
        p.expect(resp.status_code == 200, f"add: expected 200, got {resp.status_code}")
    else:
        p.refused(resp, "add")
        body = form_payload(case.config, objs["a"], county, **{case.label: TAMPERED})
        p.write("post", reverse(case.route("add")), body, what="add", allowed=False)

    # API: list by ids, detail, forged writes.
    if case.api_prefix:
        resp = p.call("get", case.api_prefix)
        if not has_view or p.anon:
            p.refused(resp, "api list")
        else:
            p.expect(resp.status_code == 200, f"api list: expected 200, got {resp.status_code}")
            if resp.status_code == 200:
                p.rows(resp, kind="json", objs=objs, label="id", sees=sees, what="api list")
        for key, obj in objs.items():
            url = f"{case.api_prefix}{obj.pk}/"
            resp = p.call("get", url)
            if key in sees and not p.anon:
                p.expect(resp.status_code == 200, f"api detail {key}: expected 200, got {resp.status_code}")
            else:
                p.refused(resp, f"api detail {key}", exists=bool(sees))
            body = {case.label: TAMPERED}
            if "put" in case.api_methods and key not in may_change:
                p.write("put", url, body, what=f"api PUT {key}", allowed=False, api=True, exists=bool(may_change))
            if "patch" in case.api_methods and key not in may_change:
                p.write("patch", url, body, what=f"api PATCH {key}", allowed=False, api=True, exists=bool(may_change))
            if "delete" in case.api_methods and key not in may_delete:
                p.write("delete", url, None, what=f"api DELETE {key}", allowed=False, api=True, exists=bool(may_delete))
        if "post" in case.api_methods and persona not in case.add:
            p.write("post", case.api_prefix, {case.label: TAMPERED}, what="api POST", allowed=False, api=True)
    p.done(case.id)


def permission_tests(cases: list[PermissionCase]):
    """A parametrized pytest test over every case × persona."""

    @pytest.mark.parametrize("persona", PERSONAS)
    @pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])
    def test_permissions(case, persona, world, db):
        check_case(case, persona, world)

    return test_permissions


def check_forged_body_would_write(case: PermissionCase, world):
    """The body the forged edits send is valid: posted by a persona who may edit, it writes. So a
    refused forged edit is refused for its sender, not for its content."""
    persona = next(p for p, keys in case.change.items() if "a" in keys)
    p = Probe(world, persona)
    obj = world[case.a]
    body = form_payload(case.config, obj, world.user("county"), **{case.label: TAMPERED})
    sid = transaction.savepoint()
    try:
        resp = p.call("post", reverse(case.route("edit"), args=[obj.pk]), body)
        p.expect(resp.status_code == 302, f"valid edit: expected 302, got {resp.status_code}")
        if resp.status_code != 302:
            p.failures.append(response_text(resp, "html")[:3000])
        stored = type(obj)._base_manager.filter(pk=obj.pk).values_list(case.label, flat=True).first()
        p.expect(stored == TAMPERED, f"valid edit did not store {case.label}: {stored!r}")
    finally:
        transaction.savepoint_rollback(sid)
    p.done(f"{case.id} edit body")


def body_tests(cases: list[PermissionCase]):
    @pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])
    def test_forged_edit_bodies_would_write(case, world, db):
        check_forged_body_would_write(case, world)

    return test_forged_edit_bodies_would_write


# ---------------------------------------------------------------- every other route


DUMMY = SimpleNamespace(pk=1)


@dataclass
class RouteCheck:
    """A route that is not a generic object route.

    ``see`` maps each persona that may use the route to the objects it reaches: for a collection
    (``args`` None) the rows of ``a``/``b`` it shows; for an object route (``args`` given) the
    objects whose URL answers; for a write, the objects (or, on a collection, ``""``: the route)
    it may write. Personas not in ``see`` are refused. ``no_rows`` says why a route shows no row of
    the world (a form, an empty shell); then ``a``/``b`` are not given.
    """

    route: str
    see: dict[str, str]
    a: str | None = None
    b: str | None = None
    label: str | Callable = "name"  # text by which a row shows; JSON compares ids
    args: Callable | None = None  # callable(obj) -> URL args: an object route, tried on a and on b
    url_args: list | Callable = field(default_factory=list)  # URL args of a collection route, or callable(world)
    method: str = "get"
    kind: str = "html"  # html, xlsx, pdf, json (rows by id), json:<field> (ids in a field), file (status only)
    data: Callable | dict | None = None  # body of a write: dict or callable(world) -> dict
    api: bool = False  # JSON body
    query: dict | None = None
    headers: dict | None = None
    ok: tuple[int, ...] = (200,)
    path: str | None = None  # a route without a name: its literal URL
    no_rows: str = ""
    name: str = ""
    xfail: dict[str, str] = field(default_factory=dict)  # persona -> "leak: ... fixed on branch X"
    visible: dict[str, str] | None = None  # writes: who sees the record but may not write it
    denied: tuple[int, ...] = (302, 400, 403)  # what those get (a page with a message, a 400, a 403)
    unchanged: tuple[str, ...] | None = None  # tables a refused write must leave alone (default: all)

    @property
    def id(self):
        return self.name or f"{self.route}:{self.method}"

    def write_options(self) -> dict:
        return {"api": self.api, "headers": self.headers, "tables": self.unchanged}

    def url(self, obj=None, world=None) -> str:
        if self.path:
            return self.path
        if self.args:
            args = self.args(obj)
        elif callable(self.url_args):
            args = self.url_args(world) if world is not None else [1]  # pk 1: a sample for coverage
        else:
            args = self.url_args
        return reverse(self.route, args=args or None)

    def coverage(self) -> list[tuple[str, str]]:
        return [(self.url(DUMMY), self.method)]

    def __post_init__(self):
        if self.method == "get" and not self.no_rows and not (self.a and self.b):
            raise ValueError(f"{self.route}: a GET route declares its rows (a, b) or why it has none (no_rows)")


def check_route(rc: RouteCheck, persona: str, world, *, fail_fast=False):
    p = Probe(world, persona, fail_fast=fail_fast)
    allowed_keys = None if p.anon else rc.see.get(persona)
    visible_keys = "" if p.anon else (rc.visible or {}).get(persona, "")
    uses = allowed_keys is not None
    data = rc.data(world) if callable(rc.data) else rc.data
    objs = {"a": world[rc.a], "b": world[rc.b]} if rc.a else {}
    if rc.args is None:
        url = rc.url(world=world)
        if rc.method == "get":
            resp = p.call("get", url, query=rc.query, headers=rc.headers)
            if not uses:
                p.refused(resp, rc.id)
            else:
                p.expect(resp.status_code in rc.ok, f"{rc.id}: expected {rc.ok}, got {resp.status_code}")
                if objs and resp.status_code == 200:
                    p.rows(resp, kind=rc.kind, objs=objs, label=rc.label, sees=set(allowed_keys), what=rc.id)
        else:
            denied = rc.denied if persona in (rc.visible or {}) else None
            p.write(rc.method, url, data, what=rc.id, allowed=uses, ok=rc.ok, denied=denied, **rc.write_options())
    else:
        reaches = (allowed_keys or "") + visible_keys
        for key, obj in objs.items():
            url = rc.url(obj)
            what = f"{rc.id} {key}"
            if rc.method == "get":
                resp = p.call("get", url, query=rc.query, headers=rc.headers)
                if uses and key in allowed_keys:
                    p.expect(resp.status_code in rc.ok, f"{what}: expected {rc.ok}, got {resp.status_code}")
                    if rc.kind in ("html", "pdf") and resp.status_code == 200:
                        p.rows(resp, kind=rc.kind, objs={key: obj}, label=rc.label, sees={key}, what=what)
                else:
                    p.refused(resp, what, exists=bool(reaches))
            elif uses and key in allowed_keys:
                p.write(rc.method, url, data, what=what, allowed=True, ok=rc.ok, **rc.write_options())
            elif key in visible_keys:
                p.write(rc.method, url, data, what=what, allowed=False, denied=rc.denied, **rc.write_options())
            else:
                p.write(rc.method, url, data, what=what, allowed=False, exists=bool(reaches), **rc.write_options())
    p.done(rc.id)


def route_tests(checks: list[RouteCheck]):
    params = [
        pytest.param(
            rc,
            persona,
            id=f"{rc.id}-{persona}",
            marks=[pytest.mark.xfail(strict=True, reason=rc.xfail[persona])] if persona in rc.xfail else [],
        )
        for rc in checks
        for persona in PERSONAS
    ]

    @pytest.mark.parametrize(("rc", "persona"), params)
    def test_routes(rc, persona, world, db):
        check_route(rc, persona, world)

    return test_routes


def failures_of(run: Callable, *args, **kwargs) -> list[str]:
    """Run one check in-process and return what it reported (for the suite's self-tests)."""
    try:
        run(*args, **kwargs)
    except AssertionError as exc:
        return str(exc).splitlines()
    return []


NARROW = ("town_b", "agency_a", "ent_a", "town_a", "insurer_a", "assoc_a", "expert_a")  # personas with a partial view


def widening_tests(models, cases, checks):
    """For each model: its ``scope_q`` returning every row must make the suite report a failure.

    Runs this module's checks that involve the model (its object case, the route checks whose
    objects are of that model) for the personas with a partial view, stopping at the first failure.
    """

    @pytest.mark.parametrize("model", models, ids=[m.__name__ for m in models])
    def test_a_widened_scope_is_reported(model, world, db, monkeypatch):
        monkeypatch.setattr(model, "scope_q", classmethod(lambda cls, user, action: ALL))
        relevant = [(check_case, c) for c in cases if issubclass(c.config.model, model)]
        relevant += [(check_route, rc) for rc in checks if rc.a and isinstance(world[rc.a], model)]
        assert relevant, f"no check involves {model.__name__}"
        for persona in NARROW:
            for run, item in relevant:
                if failures_of(run, item, persona, world, fail_fast=True):
                    return
        pytest.fail(f"{model.__name__}.scope_q returning every row went unnoticed by {len(relevant)} checks")

    return test_a_widened_scope_is_reported


# ---------------------------------------------------------------- coverage from the URL resolver

# Patterns that carry no data of the world, each with the reason. Matched against the route string
# (what ``resolve(url).route`` gives) by prefix, or by URL name.
EXCLUDED = {
    "admin/": "Django admin: superusers only, audited and checked by its own test (issue 9 §4)",
    "i18n/": "language switch: sets a cookie, no data",
    "api/schema/": "OpenAPI schema: describes the endpoints, no rows",
    "api/docs/": "Swagger UI page for the schema, no rows",
    "^media/": "development file server (DEBUG only); uploads are served by scoped views (hazard_photo, visit_photo)",
    "^static/": "static files (DEBUG only)",
    "accounts/login/": "authentication form, no rows (accounts/tests/test_auth.py)",
    "accounts/logout/": "ends the session, no rows (accounts/tests/test_auth.py)",
    "accounts/password/invite/": "the invite door (no login, a single-use token), no rows "
    "(accounts/tests/test_provisioning.py: single use, expiry, throttling)",
    "accounts/password/": "the user's own password change form, no rows (accounts/tests/test_auth.py)",
    "healthz": "liveness probe for a load balancer: says only that the process answers (ops/tests)",
    "readyz": "readiness probe: a status word and a latency per dependency, nothing else (ops/tests)",
    "metrics": "Prometheus figures for configured addresses or a bearer token; 404 for anyone else (ops/tests)",
    "portal/": "the public portal (no login): aggregates and published items only (market/tests/test_portal.py)",
    "draws/<str:number>/": (
        "the public verification page of a random draw (一公开), open to anyone by design: ids, hash, value "
        "and result, names only where the owner published them (core/tests/test_draws.py)"
    ),
    "credit/public/": (
        "the public serious-default list (黑名单公示), open to anyone by design: current listings only, the "
        "name, credit code, situation, decision number and dates a decision publishes (credit/tests/test_listing.py)"
    ),
    "report/": (
        "the public 举报 doors (file a report, follow it with tracking code + password), open to anyone by "
        "design: a case shows only after the right code and password, wrong tries are throttled per code and "
        "per address, filings per address (tipoffs/tests/test_public.py)"
    ),
    "inspections/public/": (
        "一公开: published inspection results and draw announcements, open to anyone by design; enterprise "
        "name, date and result only, never officers or contacts (inspections/tests/test_plans.py)"
    ),
    "procurement/public/": (
        "政府购买服务合同公示, open to anyone by design: number, buyer, supplier, service, method, amount, "
        "term and award date of awarded purchases, never a person (procurement/tests/test_pages.py)"
    ),
    "services/confirm/": (
        "the enterprise contact's one-time-code page, open to anyone by design: nothing of the visit shows "
        "before the right code; wrong codes count and void it (services/tests/test_visit_phone.py)"
    ),
}
FORMAT_SUFFIX = ("(?P<format>", "<drf_format_suffix:format>")  # DRF format-suffix variants of a route
SKIPPED_METHODS = {"head", "options"}  # HEAD is GET without a body; OPTIONS describes methods, no rows


def _join(route1, route2):
    return route2 if not route1 else route1 + route2.removeprefix("^")


def view_methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)  # a DRF viewset route: {method: action}
    if actions:
        methods = list(actions)
    else:
        cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
        # A function view: assume it answers GET and POST.
        methods = ["get", "post"] if cls is None else [m for m in cls.http_method_names if hasattr(cls, m)]
    return sorted(set(methods) - SKIPPED_METHODS)


def all_routes(resolver=None, prefix="", ns=""):
    """(route string, URL name or None, methods) for every pattern, named or not, all the way down."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        route = _join(prefix, str(p.pattern))
        if isinstance(p, URLResolver):
            yield from all_routes(p, route, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern):
            yield route, (ns + p.name if p.name else None), view_methods(p.callback)


def excluded(route: str) -> str | None:
    if any(marker in route for marker in FORMAT_SUFFIX):
        return "DRF format-suffix variant: same view and queryset as the route it suffixes"
    for prefix, reason in EXCLUDED.items():
        if route.startswith(prefix):
            return reason
    return None


def declared(modules) -> set[tuple[str, str]]:
    """(route string, method) pairs the permission modules check."""
    out = set()
    for module in modules:
        items = [*getattr(module, "CASES", ()), *getattr(module, "ROUTE_CHECKS", ())]
        for item in items:
            for url, method in item.coverage():
                out.add((resolve(url.split("?")[0]).route, method))
    return out


def uncovered_routes(modules, urlconf_routes=None) -> list[str]:
    covered = declared(modules)
    missing = []
    for route, name, methods in urlconf_routes or all_routes():
        if excluded(route):
            continue
        gaps = [m.upper() for m in methods if (route, m) not in covered]
        if gaps:
            missing.append(f"{name or '(unnamed)'} {route} [{', '.join(gaps)}]")
    return missing
