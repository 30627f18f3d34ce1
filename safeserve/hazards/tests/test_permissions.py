"""Every hazards route × every persona: rows, scope and forged writes, from expectations written
from the policy (roles.py and the transition table in hazards/transitions.py)."""

from datetime import date, timedelta

from safeserve.hazards import queries
from safeserve.hazards import views as v
from safeserve.hazards.models import Hazard, HazardExtension, IssuedNotice
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests
from safeserve_dev.services_fixtures import extend_world


def _documents(world):
    """An issued notice and a pending extension on each side (through the actions, as users would)."""
    from datetime import timedelta

    from safeserve.accounts.models import User
    from safeserve.hazards import actions

    o = world.objs
    o["notice_a"] = actions.hazard_issue_notice(actor=world.user("town_a"), hazards=[o["hazard_a"]])
    o["notice_b"] = actions.hazard_issue_notice(actor=world.user("town_b"), hazards=[o["hazard_b"]])
    for side, user in (("a", world.user("ent_a")), ("b", User.objects.get(username="ent_b_user"))):
        h = o[f"hazard_{side}"]
        o[f"extension_{side}"] = actions.hazard_request_extension(
            actor=user, hazard=h, requested_deadline=h.deadline + timedelta(days=10), reason="设备到货延迟"
        )
    return world


world = permsuite.shared_world(extend_world, _documents)
media_root = permsuite.shared_media_root

WORKING = ("county", "town_a", "town_b", "ent_a", "agency_a")  # hold the hazard permissions
# Hazards: the county all; a town its own; the enterprise its own; an agency those of the
# enterprises it serves (agency A serves enterprise A). Every party of a hazard takes its steps.
SIDE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "agency_a": "a"}
# Reads: the association of enterprise A (assoc_a) also reads its member's hazards; it takes no step.
READ = {**SIDE, "assoc_a": "a"}

CASES = [
    # The catalogue of 重大事故隐患判定标准: reference data every working role reads; the county maintains it.
    PermissionCase(
        v.CRITERION,
        "criterion_a",
        "criterion_b",
        api_prefix="/api/v1/hazards/criteria/",
        label="code",
        view=dict.fromkeys(WORKING, "ab"),
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]
test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)


def _pk(obj):
    return [obj.pk]


def _enterprise_name(obj):
    return obj.enterprise.name


PLAN = {
    "objective": "消除隐患",
    "method": "停产整改",
    "funding": "企业自筹",
    "organisation": "安全科",
    "deadline_requirements": "三十日内",
    "safety_measures": "设置警戒",
}


def _plan(world):
    from safeserve.hazards.models import RemediationPlan

    return {name: PLAN.get(name, "篡改") for name in RemediationPlan.ELEMENTS}


ROUTE_CHECKS = [
    RouteCheck("hazards:hazard_list", READ, "hazard_a", "hazard_b", label="location"),
    RouteCheck("hazards:hazard_export", READ, "hazard_a", "hazard_b", label="location", kind="xlsx"),
    # The report form: an agency picks from the enterprises it serves; officers type a credit code;
    # an enterprise reports for itself.
    RouteCheck("hazards:hazard_add", {**dict.fromkeys(WORKING, ""), "agency_a": "a"}, "ent_a", "ent_b"),
    RouteCheck(
        "hazards:hazard_add", dict.fromkeys(WORKING, ""), method="post", data={"location": "篡改"}, ok=(200, 302)
    ),
    RouteCheck(
        "hazards:ledger",
        READ,
        "hazard_a",
        "hazard_b",
        label="description",
        kind="xlsx",
        query={"download": "1", "start": f"{date.today().year - 1}-01-01", "end": f"{date.today().year + 1}-12-31"},
        name="hazards:ledger download",
    ),
    # The ledger form offers a choice of towns to the county only (the others have one or none).
    RouteCheck("hazards:ledger", {**dict.fromkeys((*WORKING, "assoc_a"), ""), "county": "ab"}, "town_a", "town_b"),
    RouteCheck("hazards:statistics", READ, "ent_a", "ent_b", query={"by": "enterprise"}),
    RouteCheck(
        "hazards:statistics",
        READ,
        "ent_a",
        "ent_b",
        kind="xlsx",
        query={"by": "enterprise", "download": "1"},
        name="hazards:statistics download",
    ),
    RouteCheck("hazards:hazard_detail", READ, "hazard_a", "hazard_b", label="description", args=_pk),
    # Issuing a rectification document: every party of the hazard (what it issues depends on who it is).
    RouteCheck(
        "hazards:hazard_notice",
        SIDE,
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        data={},
        ok=(302,),
        visible={"assoc_a": "a"},  # an association reads its member's hazard but issues nothing
    ),
    # The issued document, as stored: whoever sees the enterprise's hazards.
    RouteCheck("hazards:notice_download", SIDE, "notice_a", "notice_b", label=lambda n: n.number, args=_pk, kind="pdf"),
    # 督办: the county on any hazard, a town officer on its own town's; the enterprise and agency see
    # the hazard but may not urge (a page with a message, nothing written).
    RouteCheck(
        "hazards:hazard_urge",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        data={"message": "篡改"},
        ok=(302,),
        visible={"ent_a": "a", "agency_a": "a", "assoc_a": "a"},
    ),
    # 申请延期: the party that rectifies (the enterprise, or its agency on its behalf); officers decide.
    # (A pending request already exists in the world, so an allowed request is refused with a message.)
    RouteCheck(
        "hazards:extension_request",
        {"ent_a": "a", "agency_a": "a"},
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        data=lambda w: {
            "requested_deadline": (w["hazard_a"].deadline + timedelta(days=5)).isoformat(),
            "reason": "篡改",
        },
        ok=(302,),
        visible={"county": "ab", "town_a": "a", "town_b": "b", "assoc_a": "a"},
    ),
    RouteCheck(
        "hazards:extension_decide",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "extension_a",
        "extension_b",
        args=lambda e: [e.pk, "approve"],
        method="post",
        data={"note": "篡改"},
        ok=(302,),
        visible={"ent_a": "a", "agency_a": "a"},
    ),
    RouteCheck("hazards:hazard_photo", READ, "hazard_photo", "hazard_photo_b", args=_pk, kind="file"),
    # Every party of a reported 重大 hazard writes its 治理方案 (transitions.py).
    RouteCheck("hazards:hazard_plan", SIDE, "hazard_major", "hazard_major_b", label="location", args=_pk),
    RouteCheck(
        "hazards:hazard_plan", SIDE, "hazard_major", "hazard_major_b", args=_pk, method="post", data=_plan, ok=(302,)
    ),
    RouteCheck(
        "hazards:hazard_action",
        SIDE,
        "hazard_a",
        "hazard_b",
        args=lambda h: [h.pk, "start"],
        method="post",
        data={"note": "篡改"},
        ok=(302,),
        visible={"assoc_a": "a"},  # it reads its member's hazard: refused with a message, nothing changes
    ),
    RouteCheck("hazard-list", READ, "hazard_a", "hazard_b", kind="json"),
    RouteCheck(
        "hazard-list",
        dict.fromkeys(WORKING, ""),
        method="post",
        api=True,
        data=lambda w: {
            "enterprise": w["ent_b"].pk,
            "location": "篡改",
            "description": "篡改",
            "responsible_person": "某",
        },
        ok=(201, 404),  # an officer of town A cannot name enterprise B: 404
    ),
    RouteCheck("hazard-detail", READ, "hazard_a", "hazard_b", args=_pk, kind="json"),
    RouteCheck(
        "hazard-step", SIDE, "hazard_a", "hazard_b", args=_pk, method="post", api=True, data={"action": "start"}
    ),
    # The same side steps through the API (the same actions, so the same parties).
    RouteCheck(
        "hazard-urge",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        api=True,
        data={"message": "篡改"},
        visible={"ent_a": "a", "agency_a": "a"},
    ),
    RouteCheck(
        "hazard-extension",
        {"ent_a": "a", "agency_a": "a"},
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        api=True,
        data=lambda w: {
            "requested_deadline": (w["hazard_a"].deadline + timedelta(days=5)).isoformat(),
            "reason": "篡改",
        },
        ok=(400,),  # a request is already pending in the world: refused with the reason, nothing written
        visible={"county": "ab", "town_a": "a", "town_b": "b"},
    ),
    RouteCheck(
        "hazard-extension-decision",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        api=True,
        data=lambda w: {"extension": w["extension_a"].pk, "decision": "refuse", "note": "篡改"},
        ok=(200, 404),  # hazard B's page names extension A: a 404, as for any row of another hazard
        visible={"ent_a": "a", "agency_a": "a"},
    ),
    RouteCheck("hazard-notice", SIDE, "hazard_a", "hazard_b", args=_pk, method="post", api=True, data={}, ok=(201,)),
    RouteCheck("hazard-plan", SIDE, "hazard_major", "hazard_major_b", args=_pk, method="put", api=True, data=_plan),
    # Evidence needs photos: those who may add it get a 400 for an empty body; nobody else gets in.
    RouteCheck(
        "hazard-evidence",
        SIDE,
        "hazard_a",
        "hazard_b",
        args=_pk,
        method="post",
        api=True,
        data={},
        ok=(400,),
        visible={"assoc_a": "a"},
    ),
    RouteCheck(
        "api-root",
        dict.fromkeys(
            ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"), ""
        ),
        path="/api/v1/hazards/",
        no_rows="the API index: links to the endpoints, no rows",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
# Left out: MajorHazardCriterion (reference data, already every row) and RemediationPlan (read only
# through its hazard's page): widening their scope alone changes nothing a route shows.
test_a_widened_scope_is_reported = permsuite.widening_tests(
    [Hazard, IssuedNotice, HazardExtension], CASES, ROUTE_CHECKS
)


# ---------------------------------------------------------------- the suite can fail


def test_the_suite_reports_hazards_for_widened_to_every_hazard(world, db, monkeypatch):
    """``hazards_for`` returning every hazard (measured: the old suite stayed green) turns it red."""
    monkeypatch.setattr(queries, "hazards_for", lambda user, action="view": Hazard.objects.all())
    failures = permsuite.failures_of(permsuite.check_route, ROUTE_CHECKS[0], "town_b", world)
    assert any("a (" in f and "shown" in f for f in failures), failures


def test_the_suite_reports_a_widened_hazard_scope_on_every_read_and_write(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(Hazard, "scope_q", classmethod(lambda cls, user, action: ALL))
    reads = [
        rc
        for rc in ROUTE_CHECKS
        if (rc.method == "get" and rc.args is not None and isinstance(world[rc.a], Hazard))
        or rc.route == "hazards:hazard_list"
    ]
    writes = [
        rc
        for rc in ROUTE_CHECKS
        if rc.route in ("hazards:hazard_action", "hazard-step", "hazards:hazard_urge", "hazards:hazard_notice")
    ]
    reported = {rc.id: permsuite.failures_of(permsuite.check_route, rc, "town_b", world) for rc in reads + writes}
    assert all(reported.values()), reported
