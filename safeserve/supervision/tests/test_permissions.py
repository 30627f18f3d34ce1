"""Every supervision route × every persona: rows, scope and forged writes, with expectations
written from the policy (roles.py and the models' scope rules)."""

from django.utils import timezone

from safeserve.supervision import views as v
from safeserve.supervision.models import PracticeNotice, SampledItem
from safeserve_dev import permsuite
from safeserve_dev.permsuite import (
    PermissionCase,
    RouteCheck,
    body_tests,
    permission_tests,
    route_tests,
    widening_tests,
)
from safeserve_dev.services_fixtures import extend_world
from safeserve_dev.supervision_fixtures import FreshUpload
from safeserve_dev.supervision_fixtures import extend_world as extend_supervision

world = permsuite.shared_world(extend_world, extend_supervision)
media_root = permsuite.shared_media_root

# The county all; a town what touches its own town; agency A its own (B has no persona).
SIDE = {"county": "ab", "town_a": "a", "town_b": "b", "agency_a": "a"}
ROUNDS = {"county": "ab", "town_a": "ab", "town_b": "ab", "agency_a": "ab", "expert_a": "ab"}
# Sampled visits: as SIDE, and the expert the county assigned (expert A to item A).
ITEMS = {**SIDE, "expert_a": "a"}

CASES = [
    # Notice A waits for the county: its agency and the county may still change or withdraw it;
    # notice B is recorded and changes no more. Towns read those of their area; agencies add their own.
    PermissionCase(
        v.NOTICE,
        "notice_a",
        "notice_b",
        label="note",
        api_prefix="/api/v1/supervision/notices/",
        api_methods=(),
        view=SIDE,
        change={"county": "a", "agency_a": "a"},
        delete={"county": "a", "agency_a": "a"},
        add={"county", "agency_a"},
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _agency_name(obj):
    return obj.agency.name


def _recheck_body(world):
    return {
        "checked_on": timezone.localdate().isoformat(),
        "checker_kind": "officer",
        "checker_name": "复核员",
        "outcome": "confirmed",
        "findings": "记录属实",
        "photos": FreshUpload(),
    }


ROUTE_CHECKS = [
    # The county records or returns a notice (a recorded one answers with a message).
    RouteCheck(
        "supervision:notice_decide",
        {"county": "ab"},
        "notice_a",
        "notice_b",
        args=_pk,
        method="post",
        data={"decision": "record"},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b", "agency_a": "a"},
        denied=(403,),
    ),
    RouteCheck("supervision:round_list", ROUNDS, "round_a", "round_b", label=str),
    RouteCheck("supervision:round_detail", ROUNDS, "round_a", "round_b", args=_pk, label=str),
    RouteCheck("supervision:round_add", {"county": ""}, no_rows="the form of a new round"),
    RouteCheck(
        "supervision:round_add",
        {"county": ""},
        method="post",
        data=lambda w: {
            "year": timezone.localdate().year,
            "half": 1 if timezone.localdate().month <= 6 else 2,
            "share": "0.15",
        },
        ok=(302,),
    ),
    RouteCheck(
        "supervision:round_draw",
        {"county": "ab"},
        "round_a",
        "round_b",
        args=_pk,
        method="post",
        data={"source": "lottery", "value": "20260101"},
        ok=(302,),
        visible={"town_a": "ab", "town_b": "ab", "agency_a": "ab"},
        denied=(403,),
    ),
    RouteCheck("supervision:item_detail", ITEMS, "sitem_a", "sitem_b", args=_pk, label=_agency_name),
    # The county assigns the expert; the others who see the item may not.
    RouteCheck(
        "supervision:item_assign",
        {"county": "ab"},
        "sitem_a",
        "sitem_b",
        args=_pk,
        method="post",
        data=lambda w: {"expert": w["expert_b"].pk},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b", "agency_a": "a", "expert_a": "a"},
        denied=(403,),
    ),
    # The county, or the town of the visit, re-checks a sampled visit; the agency only reads it.
    RouteCheck(
        "supervision:item_recheck",
        {"county": "ab", "town_a": "a", "town_b": "b", "expert_a": "a"},
        "sitem_a",
        "sitem_b",
        args=_pk,
        method="post",
        data=_recheck_body,
        ok=(302,),
        visible={"agency_a": "a"},
        denied=(403,),
    ),
    # Only the county proposes a listing from a false or copied record.
    RouteCheck(
        "supervision:item_propose",
        {"county": "ab"},
        "old_a",
        "old_b",
        args=_pk,
        method="post",
        data={"finding": "服务记录系复制其他企业记录"},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b", "agency_a": "a"},
        denied=(403,),
    ),
    # 租借资质、挂靠: only the county records it on an agency's file (and proposes the listings).
    RouteCheck(
        "supervision:agency_misconduct",
        {"county": "ab"},
        "agency_a",
        "agency_b",
        args=_pk,
        method="post",
        data={"finding": "出借资质证书"},
        ok=(302,),
        visible={"town_a": "a", "town_b": "b", "agency_a": "a"},
        denied=(403,),
    ),
    RouteCheck("supervision:recheck_photo", SIDE, "rphoto_a", "rphoto_b", args=_pk, kind="file"),
    # The agency file: the county every agency, a town those working in it, the agency itself.
    RouteCheck("supervision:agency_files", SIDE, "agency_a", "agency_b"),
    RouteCheck("supervision:agency_file", SIDE, "agency_a", "agency_b", args=_pk),
    RouteCheck("supervision:agency_file_export", SIDE, "agency_a", "agency_b", args=_pk, kind="file"),
    RouteCheck("supervision:agency_file_pdf", SIDE, "agency_a", "agency_b", args=_pk, kind="file"),
    # (The PDF's content is checked in test_agency_file.py: pypdf reads this WeasyPrint's text as UTF-16.)
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/supervision/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# ReCheck's scope is its item's (ReCheck.scope_q reads SampledItem.scope_q): widening the item is the test.
test_a_widened_scope_is_reported = widening_tests([PracticeNotice, SampledItem], CASES, ROUTE_CHECKS)
