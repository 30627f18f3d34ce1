"""The inherited permission suite: every object route, every persona, from one expectation table.

An app describes each object type once::

    CASES = [
        PermissionCase(ENTERPRISE, a="ent_a", b="ent_b",
                       view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
                       change={...}, delete={...}, add={"county", "town_a", "town_b"}),
    ]
    test_permissions = permission_tests(CASES)

and gets, for each persona (named in ``testkit.PERSONAS``), checks of the list page, the Excel
export, detail, edit (GET and a forged POST), delete (GET and a forged POST), add, the API list
and the API detail. A persona not named in a table may do nothing. The expectations are written
by hand from the policy, never computed from the code under test.
"""

import io
from dataclasses import dataclass, field

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from .testkit import PERSONAS
from .views import ObjectConfig


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

    @property
    def id(self):
        return self.config.key

    def routes(self) -> set[str]:
        names = {self.config.route(a) for a in ("list", "export", "add", "detail", "edit", "delete")}
        return names


def _client(world, persona):
    c = Client()
    if persona != "anon":
        c.force_login(world.user(persona))
    return c


def _text(obj, attr):
    return str(getattr(obj, attr))


def _export_text(response) -> str:
    data = b"".join(response.streaming_content)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)


def check_case(case: PermissionCase, persona: str, world):
    c = _client(world, persona)
    cfg = case.config
    objs = {"a": world[case.a], "b": world[case.b]}
    sees = set(case.view.get(persona, ""))
    may_change = set(case.change.get(persona, ""))
    may_delete = set(case.delete.get(persona, ""))
    anon = persona == "anon"
    failures = []

    def expect(cond, msg):
        if not cond:
            failures.append(msg)

    def gate(resp, allowed, what):
        if anon:
            expect(
                resp.status_code == 302 and "/accounts/login/" in resp["Location"],
                f"{what}: anon not sent to login ({resp.status_code})",
            )
        else:
            expect(
                resp.status_code == (200 if allowed else 404),
                f"{what}: expected {200 if allowed else 404}, got {resp.status_code}",
            )

    # List page and export: only visible rows.
    has_view = bool(sees) or (persona in case.view)
    for route in ("list", "export"):
        resp = c.get(reverse(cfg.route(route)))
        if anon:
            gate(resp, False, route)
            continue
        if not has_view:
            expect(resp.status_code in (403, 404), f"{route}: expected 403, got {resp.status_code}")
            continue
        expect(resp.status_code == 200, f"{route}: expected 200, got {resp.status_code}")
        if resp.status_code != 200:
            continue
        text = _export_text(resp) if route == "export" else resp.content.decode()
        for key, obj in objs.items():
            shown = _text(obj, case.label) in text
            expect(shown == (key in sees), f"{route}: {case.label} of {key} {'shown' if shown else 'missing'}")

    # Detail, edit and delete pages: another scope's record is a 404.
    for key, obj in objs.items():
        gate(c.get(reverse(cfg.route("detail"), args=[obj.pk])), key in sees, f"detail {key}")
        gate(c.get(reverse(cfg.route("edit"), args=[obj.pk])), key in may_change, f"edit {key}")
        gate(c.get(reverse(cfg.route("delete"), args=[obj.pk])), key in may_delete, f"delete {key}")
        # Forged writes against records out of scope change nothing.
        if key not in may_change:
            before = type(obj).objects.filter(pk=obj.pk).values().first()
            resp = c.post(reverse(cfg.route("edit"), args=[obj.pk]), {case.label: "篡改"})
            expect(
                resp.status_code in (302, 403, 404) and (anon or resp.status_code != 302),
                f"forged edit {key}: {resp.status_code}",
            )
            expect(type(obj).objects.filter(pk=obj.pk).values().first() == before, f"forged edit {key} changed the row")
        if key not in may_delete:
            c.post(reverse(cfg.route("delete"), args=[obj.pk]))
            expect(type(obj).objects.filter(pk=obj.pk).exists(), f"forged delete {key} deleted the row")

    # Add page.
    resp = c.get(reverse(cfg.route("add")))
    if anon:
        gate(resp, False, "add")
    else:
        expect(resp.status_code == (200 if persona in case.add else 403), f"add: got {resp.status_code}")

    # API.
    if case.api_prefix:
        resp = c.get(case.api_prefix, {"page_size": 1000})
        if anon:
            expect(resp.status_code in (401, 403), f"api list anon: {resp.status_code}")
        elif not has_view:
            expect(resp.status_code == 403, f"api list: expected 403, got {resp.status_code}")
        else:
            expect(resp.status_code == 200, f"api list: {resp.status_code}")
            if resp.status_code == 200:
                ids = {row["id"] for row in resp.json()["results"]}
                for key, obj in objs.items():
                    expect(
                        (obj.pk in ids) == (key in sees), f"api list: {key} {'present' if obj.pk in ids else 'absent'}"
                    )
        for key, obj in objs.items():
            resp = c.get(f"{case.api_prefix}{obj.pk}/")
            want = (401, 403) if anon else ((200,) if key in sees else ((404,) if has_view else (403,)))
            expect(resp.status_code in want, f"api detail {key}: expected {want}, got {resp.status_code}")
            if key not in may_change and not anon:
                resp = c.patch(f"{case.api_prefix}{obj.pk}/", {case.label: "篡改"}, content_type="application/json")
                expect(resp.status_code in (403, 404), f"api forged patch {key}: {resp.status_code}")
            if key not in may_delete and not anon:
                c.delete(f"{case.api_prefix}{obj.pk}/")
                expect(type(obj).objects.filter(pk=obj.pk).exists(), f"api forged delete {key} deleted the row")
    assert not failures, f"{case.id} as {persona}:\n  " + "\n  ".join(failures)


def permission_tests(cases: list[PermissionCase]):
    """A parametrized pytest test over every case × persona."""

    @pytest.mark.parametrize("persona", PERSONAS)
    @pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])
    def test_permissions(case, persona, world):
        check_case(case, persona, world)

    return test_permissions


@dataclass
class RouteCheck:
    """A route that is not a generic object route: who gets ``ok`` and everyone else a refusal.

    ``args(world)`` builds the URL arguments; refusals are 403 or 404 for logged-in personas, the
    login page (or 401/403 for the API) for the anonymous one.
    """

    route: str
    allowed: set[str]
    args: object = None  # callable(world) -> list
    method: str = "get"
    ok: tuple[int, ...] = (200,)

    @property
    def id(self):
        return self.route


def check_route(rc: RouteCheck, persona: str, world):
    c = _client(world, persona)
    url = reverse(rc.route, args=rc.args(world) if rc.args else None)
    resp = getattr(c, rc.method)(url)
    if persona == "anon":
        assert resp.status_code in (302, 401, 403), f"{rc.route} anon: {resp.status_code}"
        if resp.status_code == 302:
            assert "/accounts/login/" in resp["Location"], f"{rc.route} anon redirected to {resp['Location']}"
    elif persona in rc.allowed:
        assert resp.status_code in rc.ok, f"{rc.route} as {persona}: expected {rc.ok}, got {resp.status_code}"
    else:
        assert resp.status_code in (403, 404), f"{rc.route} as {persona}: expected 403/404, got {resp.status_code}"


def route_tests(checks: list[RouteCheck]):
    @pytest.mark.parametrize("persona", PERSONAS)
    @pytest.mark.parametrize("rc", checks, ids=[c.id for c in checks])
    def test_routes(rc, persona, world):
        check_route(rc, persona, world)

    return test_routes


def covered_routes(module) -> set[str]:
    """Route names a test_permissions module covers (object routes, their API, route checks)."""
    names = set(getattr(module, "ROUTES_COVERED", ()))
    for case in getattr(module, "CASES", ()):
        names |= case.routes()
        if case.api_prefix:
            names |= {f"{case.config.key}-list", f"{case.config.key}-detail"}
    for rc in getattr(module, "ROUTE_CHECKS", ()):
        names.add(rc.route)
    return names
