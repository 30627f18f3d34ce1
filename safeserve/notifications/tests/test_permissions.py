"""Permission checks for the county's delivery page (rows: test_delivery.test_only_the_county_sees...)."""

from safeserve.core.permsuite import RouteCheck, route_tests


def _failed_delivery(world):
    from safeserve.notifications.actions import notify
    from safeserve.notifications.models import Delivery, DeliveryStatus

    (n,) = notify(recipients=[world.user("town_a")], kind="test", title="测试消息")
    Delivery.objects.filter(notification=n).update(status=DeliveryStatus.FAILED, last_error="HTTPError: 500")
    return [Delivery.objects.get(notification=n).pk]


ROUTE_CHECKS = [
    RouteCheck("notifications:delivery_list", {"county"}),
    RouteCheck("notifications:delivery_retry", {"county"}, args=_failed_delivery, method="post", ok=(302,)),
]

test_routes = route_tests(ROUTE_CHECKS)
