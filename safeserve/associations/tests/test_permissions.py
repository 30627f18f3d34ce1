"""Every associations route × every persona, from expectations written from the policy: an
association sees only its own members and campaigns; a member the campaigns it is grouped in and the
inspections it made or received; a town its enterprises'; the expert named on a campaign, that one."""

from safeserve.associations import models as m
from safeserve.associations import views as v
from safeserve_dev import permsuite
from safeserve_dev.memberwork_fixtures import extend_associations
from safeserve_dev.permsuite import PermissionCase, RouteCheck, permission_tests, route_tests

world = permsuite.shared_world(extend_associations)
media_root = permsuite.shared_media_root

SIDE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "assoc_a": "a"}
CAMPAIGN_SIDE = {**SIDE, "expert_a": "a"}

CASES = [
    PermissionCase(
        v.MEMBERSHIP,
        "membership_a",
        "membership_b",
        label="enterprise",
        view=SIDE,
        change={"county": "ab", "assoc_a": "a"},
        add={"county", "assoc_a"},
    ),
    PermissionCase(
        v.CAMPAIGN,
        "campaign_a",
        "campaign_b",
        view=CAMPAIGN_SIDE,
        change={"assoc_a": "a"},
        delete={"assoc_a": "a"},
        add={"assoc_a"},
    ),
    PermissionCase(
        v.GROUP,
        "group_a",
        "group_b",
        view=CAMPAIGN_SIDE,
        change={"assoc_a": "a"},
        delete={"assoc_a": "a"},
        add={"assoc_a"},
    ),
]
test_permissions = permission_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _campaign_name(obj):
    return obj.campaign.name


# Confirming: only the inspected member (ent_a received inspection_a); the others who see it are refused.
CONFIRM_VISIBLE = {k: v for k, v in CAMPAIGN_SIDE.items() if k != "ent_a"}
ROUTE_CHECKS = [
    RouteCheck("associations:inspection_list", CAMPAIGN_SIDE, "inspection_a", "inspection_b", label=_campaign_name),
    RouteCheck(
        "associations:inspection_export",
        CAMPAIGN_SIDE,
        "inspection_a",
        "inspection_b",
        label=_campaign_name,
        kind="xlsx",
    ),
    RouteCheck(
        "associations:inspection_detail", CAMPAIGN_SIDE, "inspection_a", "inspection_b", label=_campaign_name, args=_pk
    ),
    RouteCheck("associations:inspection_photo", CAMPAIGN_SIDE, "photo_a", "photo_b", args=_pk, kind="file"),
    # Only members record inspections: the pick page lists the running campaigns they are grouped in.
    RouteCheck("associations:inspection_pick", {"ent_a": "a"}, "campaign_a", "campaign_b"),
    RouteCheck("associations:inspection_add", {"ent_a": "a"}, "campaign_a", "campaign_b", args=_pk),
    # An incomplete form comes back with its errors (nothing written); others are refused.
    RouteCheck(
        "associations:inspection_add",
        {"ent_a": "a"},
        "campaign_a",
        "campaign_b",
        args=_pk,
        method="post",
        data={"inspector_names": "伪造"},
        ok=(200,),
    ),
    RouteCheck(
        "associations:inspection_confirm",
        a="inspection_a",
        b="inspection_b",
        args=_pk,
        method="post",
        ok=(302,),
        see={"ent_a": "a"},
        visible=CONFIRM_VISIBLE,
    ),
    RouteCheck("associations:dashboard", {"county": "ab", "assoc_a": "a"}, "ent_a", "ent_b"),
    RouteCheck(
        "associations:dashboard",
        {"county": "ab", "assoc_a": "a"},
        "ent_a",
        "ent_b",
        query={"download": "1"},
        kind="xlsx",
        name="dashboard export",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = permsuite.widening_tests(
    [m.Membership, m.Campaign, m.CampaignGroup, m.MutualInspection], CASES, ROUTE_CHECKS
)
