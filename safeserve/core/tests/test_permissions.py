"""Permission checks for the platform shell: the home page and the inbox (rows, scope, forged writes)."""

from safeserve.core import permsuite
from safeserve.core.permsuite import RouteCheck, route_tests
from safeserve.notifications.models import Notification

LOGGED_IN = ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")


def _notes(world):
    from safeserve.notifications.actions import notify

    (world.objs["note_a"],) = notify(recipients=[world.user("town_a")], kind="test", title="甲镇消息", link="/")
    (world.objs["note_b"],) = notify(recipients=[world.user("town_b")], kind="test", title="乙镇消息", link="/")
    return world


world = permsuite.shared_world(_notes)

# Everyone has an inbox and sees only their own messages (a user without a role sees an empty one).
INBOX = {**dict.fromkeys(LOGGED_IN, ""), "town_a": "a", "town_b": "b"}
ROUTE_CHECKS = [
    # The home page: each role's own numbers. Which numbers is each app's business (their
    # home_summary tests); here: every logged-in user has one, and it names no other town's messages.
    RouteCheck("home", dict.fromkeys(LOGGED_IN, ""), no_rows="cards of counts and charts, no rows of records"),
    RouteCheck("notifications:inbox", INBOX, "note_a", "note_b", label="title"),
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
]

test_routes = route_tests(ROUTE_CHECKS)

test_a_widened_scope_is_reported = permsuite.widening_tests([Notification], [], ROUTE_CHECKS)


def test_the_suite_reports_a_widened_inbox(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(Notification, "scope_q", classmethod(lambda cls, user, action: ALL))
    inbox, _mark_all, open_one = ROUTE_CHECKS[1:]
    assert any("a (甲镇消息) shown" in f for f in permsuite.failures_of(permsuite.check_route, inbox, "town_b", world))
    failures = permsuite.failures_of(permsuite.check_route, open_one, "town_b", world)
    assert any("changed the database: notifications_notification" in f for f in failures), failures
