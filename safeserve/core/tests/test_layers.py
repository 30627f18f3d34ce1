"""The layer hooks fail closed, apps read settings one way, and the README lists every variable.

The import contract itself is pyproject.toml's [tool.importlinter], run by `make lint` (lint-imports).
"""

import re
from pathlib import Path

import pytest
from django.test import Client

from safeserve.core import hooks
from safeserve.registry.models import AgencyStaff, Enterprise
from safeserve_dev.services_fixtures import make_contract

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def without_relation(monkeypatch):
    def drop(name):
        monkeypatch.setitem(hooks.SCOPE_RELATIONS, name, None)
        monkeypatch.delitem(hooks.SCOPE_RELATIONS, name)

    return drop


def test_an_unknown_relation_is_empty():
    assert list(hooks.related_ids("no_such_relation", 1)) == []


def test_agency_sees_served_enterprises_through_the_provider_and_none_without_it(world, without_relation):
    make_contract(world)
    agency = world.user("agency_a")
    assert list(Enterprise.objects.visible_to(agency)) == [world["ent_a"]]
    without_relation("agency_enterprises")
    assert not Enterprise.objects.visible_to(agency).exists()


def test_enterprise_sees_its_agency_staff_through_the_provider_and_none_without_it(world, without_relation):
    make_contract(world)
    ent = world.user("ent_a")
    assert list(AgencyStaff.objects.visible_to(ent)) == [world["staff_a"]]
    without_relation("enterprise_agency_staff")
    assert not AgencyStaff.objects.visible_to(ent).exists()


def test_registry_and_accounts_register_their_navigation(world):
    resp = Client()
    resp.force_login(world.user("county"))
    page = resp.get("/").content.decode()
    for route in ("/registry/enterprises/", "/registry/agencies/", "/accounts/users/"):
        assert f'href="{route}' in page, route


def _runtime_sources():
    for path in sorted((ROOT / "safeserve").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or "/management/commands/" in rel:
            continue
        if rel in {"safeserve/settings.py", "safeserve/wsgi.py"}:
            continue
        yield rel, path.read_text(encoding="utf-8")


def test_apps_read_configuration_from_settings_only():
    offenders = [rel for rel, text in _runtime_sources() if re.search(r"\bos\.environ\b|\bgetenv\(", text)]
    assert offenders == []


def test_readme_lists_every_environment_variable_the_settings_read():
    settings_text = (ROOT / "safeserve/settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z0-9_]+)"', settings_text))
    assert len(names) > 20
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
