"""Permission checks for the platform shell: home page, inbox."""

from safeserve.core.permsuite import RouteCheck, route_tests
from safeserve.core.testkit import PERSONAS

LOGGED_IN = set(PERSONAS) - {"anon"}


def _notification_of_town_a(world):
    from safeserve.notifications.actions import notify

    (n,) = notify(recipients=[world.user("town_a")], kind="test", title="测试消息", link="/")
    return [n.pk]


ROUTE_CHECKS = [
    RouteCheck("home", LOGGED_IN),
    RouteCheck("notifications:inbox", LOGGED_IN),
    RouteCheck("notifications:open", {"town_a"}, args=_notification_of_town_a, method="post", ok=(302,)),
]

test_routes = route_tests(ROUTE_CHECKS)
