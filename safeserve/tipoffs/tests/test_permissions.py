"""Every tipoffs route × every persona (and the 举报受理 handler): rows, scope and forged writes.

Expectations from the policy: every county officer reads a report's substance; a town reads the
reports assigned to it and records its verification; only handlers (county + tipoffs.handle_tipoff)
take the other steps, see the reporter and the reward. The reported enterprise, agencies, experts,
insurers and associations see nothing.
"""

import pytest

from safeserve.tipoffs.models import Tipoff, TipoffAttachment
from safeserve_dev import permsuite
from safeserve_dev.permsuite import RouteCheck, route_tests

from .fixtures import extend_world

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root

READ = {"county": "ab", "handler": "ab", "town_a": "a", "town_b": "b"}
API = "/api/v1/tipoffs/"
LOGGED_IN = ("county", "handler", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")


def _pk(obj):
    return [obj.pk]


def _step(action):
    return lambda obj: [obj.pk, action]


ROUTE_CHECKS = [
    RouteCheck("tipoffs:tipoff_list", READ, "tipoff_a", "tipoff_b", label="number"),
    RouteCheck("tipoffs:tipoff_export", READ, "tipoff_a", "tipoff_b", label="number", kind="xlsx"),
    RouteCheck("tipoffs:tipoff_detail", READ, "tipoff_a", "tipoff_b", label="description", args=_pk),
    RouteCheck("tipoffs:attachment", READ, "attachment_a", "attachment_b", args=_pk, kind="file"),
    # The town's verification: the assigned town and the handlers; a county officer who is not a
    # handler sees the report but may not write (403).
    RouteCheck(
        "tipoffs:tipoff_step",
        {"handler": "ab", "town_a": "a", "town_b": "b"},
        "tipoff_a",
        "tipoff_b",
        args=_step("verify"),
        method="post",
        data={"verification": "现场核查"},
        ok=(302,),
        visible={"county": "ab"},
        name="tipoffs:tipoff_step verify",
    ),
    RouteCheck(
        "tipoffs:tipoff_step",
        {"handler": "ab"},
        "tipoff_a",
        "tipoff_b",
        args=_step("extend"),
        method="post",
        data={"reason": "需调取监控录像"},
        ok=(302,),
        visible={"county": "ab", "town_a": "a", "town_b": "b"},
        name="tipoffs:tipoff_step extend",
    ),
    # A reward: handlers only (it names the reporter's eligibility); this report is not closed yet,
    # so even a handler gets the page back with a message and nothing written.
    RouteCheck(
        "tipoffs:reward_step",
        {"handler": "ab"},
        "tipoff_a",
        "tipoff_b",
        args=_step("propose"),
        method="post",
        data={},
        ok=(302,),
        visible={"county": "ab", "town_a": "a", "town_b": "b"},
    ),
    RouteCheck("tipoffs:handlers", {"handler": ""}, no_rows="the county officers and whether they handle reports"),
    RouteCheck(
        "tipoffs:handlers",
        {"handler": ""},
        method="post",
        data={"username": "county", "grant": "on"},
        ok=(302,),
    ),
    # The handlers' own ledger, with reporters: handlers only.
    RouteCheck("tipoffs:ledger", {"handler": "ab"}, "tipoff_a", "tipoff_b", label="number", kind="xlsx"),
    RouteCheck("tipoff-list", READ, "tipoff_a", "tipoff_b", path=f"{API}tipoffs/", kind="json"),
    RouteCheck("tipoff-detail", READ, "tipoff_a", "tipoff_b", args=_pk, kind="json:id"),
    RouteCheck("api-root", dict.fromkeys(LOGGED_IN, ""), path=API, no_rows="the API index: links, no rows"),
]
test_routes = route_tests(ROUTE_CHECKS)


@pytest.mark.parametrize("rc", ROUTE_CHECKS, ids=[rc.id for rc in ROUTE_CHECKS])
def test_routes_as_a_handler(rc, world, db):
    """The handler persona is not one of the suite's shared personas: the same checks, as the handler."""
    permsuite.check_route(rc, "handler", world)


test_a_widened_scope_is_reported = permsuite.widening_tests([Tipoff, TipoffAttachment], [], ROUTE_CHECKS)
