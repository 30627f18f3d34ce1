"""Every notifications route × every persona: the inbox (each user's own messages) and the county's
page of deliveries that have not gone out (rows, scope, forged writes)."""

from safeserve.notifications.models import Notification
from safeserve_dev import permsuite
from safeserve_dev.permsuite import RouteCheck, route_tests

LOGGED_IN = ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")


def _notes(world):
    """A message for each town officer, each with a failed delivery."""
    from safeserve.notifications.actions import notify
    from safeserve.notifications.models import Delivery, DeliveryStatus

    o = world.objs
    (o["note_a"],) = notify(actor=None, recipients=[world.user("town_a")], kind="test", title="甲镇消息", link="/")
    (o["note_b"],) = notify(actor=None, recipients=[world.user("town_b")], kind="test", title="乙镇消息", link="/")
    for key in ("a", "b"):
        Delivery.objects.filter(notification=o[f"note_{key}"]).update(
            status=DeliveryStatus.FAILED, last_error="HTTPError: 500"
        )
        o[f"delivery_{key}"] = Delivery.objects.filter(notification=o[f"note_{key}"]).first()
    return world


world = permsuite.shared_world(_notes)


def _title(delivery):
    return delivery.notification.title


# Everyone has an inbox and sees only their own messages (a user without a role sees an empty one).
INBOX = {**dict.fromkeys(LOGGED_IN, ""), "town_a": "a", "town_b": "b"}
ROUTE_CHECKS = [
    RouteCheck("notifications:inbox", INBOX, "note_a", "note_b", label="title"),
    RouteCheck("notifications:inbox_export", INBOX, "note_a", "note_b", label="title", kind="xlsx"),
    # "Mark all read" acts on the user's own inbox only.
    RouteCheck("notifications:inbox", dict.fromkeys(LOGGED_IN, ""), method="post", ok=(302,)),
    RouteCheck(
        "notifications:open",
        {"town_a": "a", "town_b": "b"},
        "note_a",
        "note_b",
        args=lambda n: [n.pk],
        method="post",
        ok=(302,),
    ),
    # Deliveries that did not go out: the county watches and retries them; nobody else sees any.
    RouteCheck("notifications:delivery_list", {"county": "ab"}, "delivery_a", "delivery_b", label=_title),
    RouteCheck(
        "notifications:delivery_export", {"county": "ab"}, "delivery_a", "delivery_b", label=_title, kind="xlsx"
    ),
    RouteCheck(
        "notifications:delivery_retry",
        {"county": "ab"},
        "delivery_a",
        "delivery_b",
        args=lambda d: [d.pk],
        method="post",
        ok=(302,),
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# Left out: Delivery (only the county holds its permissions, and the county sees every row).
test_a_widened_scope_is_reported = permsuite.widening_tests([Notification], [], ROUTE_CHECKS)


def test_the_suite_reports_a_widened_inbox(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(Notification, "scope_q", classmethod(lambda cls, user, action: ALL))
    inbox, _export, _mark_all, open_one = ROUTE_CHECKS[:4]
    assert any("a (甲镇消息) shown" in f for f in permsuite.failures_of(permsuite.check_route, inbox, "town_b", world))
    failures = permsuite.failures_of(permsuite.check_route, open_one, "town_b", world)
    assert any("changed the database: notifications_notification" in f for f in failures), failures
