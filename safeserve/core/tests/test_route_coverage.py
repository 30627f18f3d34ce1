"""A new route that the permission suite does not cover fails here."""

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import safeserve
from safeserve.core.permsuite import covered_routes

# Routes outside the data: authentication, language, API schema/docs, the admin (superusers only).
NOT_DATA = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "set_language",
    "schema",
    "api-docs",
    "api-root",
}


def all_route_names(resolver=None, ns=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue
            yield from all_route_names(p, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}"


def permission_modules():
    for app in pkgutil.iter_modules(safeserve.__path__):
        try:
            yield importlib.import_module(f"safeserve.{app.name}.tests.test_permissions")
        except ModuleNotFoundError:
            continue


def test_every_route_is_covered_by_the_permission_suite():
    covered = set()
    for module in permission_modules():
        covered |= covered_routes(module)
    names = set(all_route_names())
    missing = sorted(n for n in names - NOT_DATA if n not in covered)
    assert not missing, "routes without permission tests: " + ", ".join(missing)


def test_the_coverage_check_sees_routes():
    names = set(all_route_names())
    assert "registry:enterprise_list" in names
    assert "enterprise-list" in names
