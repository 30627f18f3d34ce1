"""The inherited permission suite for the iot pages and API, plus the routes that are not generic."""

from safeserve.core.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests
from safeserve.iot import views

WATCHERS = {"county", "town_a", "town_b", "ent_a", "agency_a"}

CASES = [
    PermissionCase(
        views.DEVICE,
        a="device_a",
        b="device_b",
        view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"},
        change={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a"},
        delete={"county": "ab", "town_a": "a", "town_b": "b"},
        add={"county", "town_a", "town_b", "ent_a"},
        api_prefix="/api/v1/iot/devices/",
    ),
    PermissionCase(
        views.PROFILE,
        a="profile_a",
        b="profile_b",
        view=dict.fromkeys(WATCHERS, "ab"),
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)


def _pk(key):
    return lambda world: [world[key].pk]


ROUTE_CHECKS = [
    RouteCheck("iot:overview", WATCHERS),
    RouteCheck("iot:alarm_list", WATCHERS),
    RouteCheck("iot:alarm_export", WATCHERS),
    RouteCheck("iot:alarm_page", {"county", "town_a", "ent_a", "agency_a"}, _pk("alarm_a")),
    RouteCheck("iot:deadletter_list", {"county"}),
    RouteCheck("iot:deadletter_export", {"county"}),
    RouteCheck("iot:deadletter_detail", {"county"}, _pk("deadletter")),
    RouteCheck("iot:device_rotate", {"county", "town_a", "ent_a"}, _pk("device_a"), method="post", ok=(302,)),
]
test_routes = route_tests(ROUTE_CHECKS)

# Tested one by one in test_api.py (device door, alarm API and device actions).
ROUTES_COVERED = {
    "iot-telemetry",
    "alarm-list",
    "alarm-detail",
    "alarm-acknowledge",
    "alarm-close",
    "device-rotate-secret",
    "device-series",
}
