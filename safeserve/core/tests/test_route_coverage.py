"""Every route the URL resolver knows, with every method, is checked by the permission suite.

Coverage is computed from ``get_resolver().url_patterns`` (named and unnamed patterns, DRF router
routes) against what the apps' ``test_permissions`` modules declare; only the patterns in
``permsuite.EXCLUDED`` are left out, each with its reason.
"""

import importlib
import pkgutil

import safeserve
from safeserve_dev import permsuite


def all_route_names():
    """Qualified names of the named routes outside the admin (other tests walk them too)."""
    return sorted({name for route, name, _methods in permsuite.all_routes() if name and not route.startswith("admin/")})


def permission_modules():
    """Each app's tests/test_permissions.py and any tests/test_<part>_permissions.py beside it."""
    for app in pkgutil.iter_modules(safeserve.__path__):
        try:
            tests = importlib.import_module(f"safeserve.{app.name}.tests")
        except ModuleNotFoundError:
            continue
        for module in pkgutil.iter_modules(tests.__path__):
            if module.name == "test_permissions" or (
                module.name.startswith("test_") and module.name.endswith("_permissions")
            ):
                yield importlib.import_module(f"safeserve.{app.name}.tests.{module.name}")


def test_every_route_and_method_is_checked_by_the_permission_suite():
    missing = permsuite.uncovered_routes(list(permission_modules()))
    assert not missing, "routes without permission expectations:\n  " + "\n  ".join(missing)


def test_the_walk_sees_unnamed_router_and_nested_routes():
    routes = {route: (name, methods) for route, name, methods in permsuite.all_routes()}
    assert routes["registry/enterprises/"][0] == "registry:enterprise_list"
    assert routes["api/v1/registry/enterprises/$"] == ("enterprise-list", ["get", "post"])
    assert routes["api/v1/registry/enterprises/(?P<pk>[^/.]+)/$"][1] == ["delete", "get", "patch", "put"]
    assert routes["hazards/<int:pk>/do/<str:action>/"] == ("hazards:hazard_action", ["post"])


def test_a_new_route_without_expectations_fails_the_coverage_check():
    """An unnamed route, and a method nobody declared, are both reported."""
    extra = [*permsuite.all_routes(), ("registry/secret-report/", None, ["get"])]
    missing = permsuite.uncovered_routes(list(permission_modules()), urlconf_routes=extra)
    assert missing == ["(unnamed) registry/secret-report/ [GET]"]
    # A declared route whose view grows a method is reported for that method only.
    grown = [(r, n, [*m, "put"]) if r == "registry/enterprises/" else (r, n, m) for r, n, m in permsuite.all_routes()]
    missing = permsuite.uncovered_routes(list(permission_modules()), urlconf_routes=grown)
    assert missing == ["registry:enterprise_list registry/enterprises/ [PUT]"]
