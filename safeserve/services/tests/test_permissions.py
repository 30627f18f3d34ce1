"""Every services route × every persona, from expectations written from the policy."""

import pytest

from safeserve.core.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests
from safeserve.services import views as v
from safeserve.services.testing import extend_world

API = "/api/v1/services/"
SEE_VISITS = {"county", "town_a", "ent_a", "agency_a"}  # town_b, experts, insurers, associations: no
REFERENCE = dict.fromkeys(("county", "town_a", "town_b", "ent_a", "agency_a"), "ab")


@pytest.fixture
def world(world):
    return extend_world(world)


CASES = [
    # Drafts: the parties and their town officers may see them; only drafts are edited or deleted,
    # and only by their owner (the payer or the county; contract_a/b are enterprise-paid, so their
    # town officers only read them); the agency only reads.
    PermissionCase(
        v.CONTRACT,
        "contract_a",
        "contract_b",
        api_prefix=f"{API}contracts/",
        label="number",
        view={"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"},
        change={"county": "ab", "ent_a": "a"},
        delete={"county": "ab", "ent_a": "a"},
        add={"county", "town_a", "town_b", "ent_a"},
    ),
    PermissionCase(
        v.TEMPLATE,
        "template_a",
        "template_b",
        api_prefix=f"{API}checklist-templates/",
        view=REFERENCE,
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
    PermissionCase(
        v.ITEM,
        "item_a",
        "item_b",
        api_prefix=f"{API}checklist-items/",
        label="text",
        view=REFERENCE,
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)


def _pk(key):
    return lambda w: [w[key].pk]


ALL_WITH_VISIT_PERM = {"county", "town_a", "town_b", "ent_a", "agency_a"}
ROUTE_CHECKS = [
    RouteCheck("services:visit_list", ALL_WITH_VISIT_PERM),
    RouteCheck("services:visit_due", ALL_WITH_VISIT_PERM),
    RouteCheck("services:visit_add", {"agency_a"}),
    RouteCheck("services:visit_detail", SEE_VISITS, _pk("visit_a")),
    RouteCheck("services:visit_notice", SEE_VISITS, _pk("visit_a")),
    RouteCheck("services:visit_photo", SEE_VISITS, _pk("visit_photo")),
    # Posting goes back to the page (with a message) for whoever sees the record; others get 404.
    RouteCheck("services:visit_rate", SEE_VISITS, _pk("visit_a"), method="post", ok=(302,)),
    RouteCheck(
        "services:contract_transition",
        {"county", "town_a", "ent_a", "agency_a"},
        lambda w: [w["contract_a"].pk, "activate"],
        method="post",
        ok=(302,),
    ),
    RouteCheck("services:ratings", {"county", "town_a", "town_b", "ent_a", "agency_a", "insurer_a", "assoc_a"}),
    RouteCheck("servicevisit-list", ALL_WITH_VISIT_PERM),
    RouteCheck("servicevisit-detail", SEE_VISITS, _pk("visit_a")),
    RouteCheck("servicevisit-rate", SEE_VISITS, _pk("visit_a"), method="post", ok=(400,)),
    RouteCheck("visitrating-list", ALL_WITH_VISIT_PERM),
    RouteCheck(
        "servicecontract-transition",
        {"county", "town_a", "ent_a", "agency_a"},
        _pk("contract_a"),
        method="post",
        ok=(400,),
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
