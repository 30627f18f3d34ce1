"""Plans, draws and records through the app's own code: capacity, determinism, exclusions, caps,
the one-step finding → hazard, and the public page (no personal data, nothing unpublished)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from safeserve.core import actions as core_actions
from safeserve.core import draws
from safeserve.core.models import Draw
from safeserve.hazards.choices import HazardSource
from safeserve.hazards.models import Hazard
from safeserve.inspections import actions, planning, queries
from safeserve.inspections.models import Inspection, InspectionPlan, PlanTarget
from safeserve.registry.models import Enterprise
from safeserve_dev import permsuite
from safeserve_dev.inspections_fixtures import extend_world
from safeserve_dev.testkit import make_credit_code

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root
TODAY = timezone.localdate()


def _record(world, side="a", **kw):
    town = f"town_{side}"
    args = {
        "actor": world.user(town),
        "enterprise": world[f"ent_{side}"],
        "kind": "special",
        "officer_1": world.user(town),
        "officer_2": world.user(f"{town}2"),
        "inspected_on": TODAY,
        "items_checked": "消防通道",
        "result": "passed",
        "result_summary": "未发现问题",
    }
    args.update(kw)
    return actions.inspection_record(**args)


# ---------------------------------------------------------------- capacity


def test_negative_capacity_is_a_chinese_error_and_nothing_is_saved(world, db):
    before = InspectionPlan.objects.count()
    data = {
        "year": TODAY.year + 1,
        "town": world["town_a"],
        "name": "负数计划",
        "officers": 2,
        "working_days": 250,
        "other_enforcement_days": 400,
        "non_enforcement_days": 200,
    }
    with pytest.raises(ValidationError) as exc:
        core_actions.create_record(actor=world.user("county"), model=InspectionPlan, data=data)
    assert "可用执法人日为负数" in str(exc.value) and "-100" in str(exc.value)
    assert InspectionPlan.objects.count() == before
    # The same through the page: the form shows the reason, nothing is written.
    c = Client()
    c.force_login(world.user("county"))
    resp = c.post(
        "/inspections/plans/add/",
        {**data, "town": world["town_a"].pk, "mandatory_share": 60, "days_per_inspection": "2.0"},
    )
    assert resp.status_code == 200 and "可用执法人日为负数" in resp.content.decode()
    assert InspectionPlan.objects.count() == before


def test_capacity_split(world, db):
    plan = world["plan_a"]
    assert plan.capacity == 3 * 250 - 100 - 50 == 600
    assert plan.mandatory_capacity + plan.random_capacity == 600
    assert plan.random_slots == int(plan.random_capacity // 2)


# ---------------------------------------------------------------- draws through the plan code


def _extra_enterprise(world, n, town="town_a"):
    return Enterprise.objects.create(
        credit_code=make_credit_code(n),
        name=f"新增{n}号企业",
        address="某路",
        town=world[town],
        industry=world["industry"],
        legal_representative="甲",
    )


def test_same_inputs_same_result_and_a_changed_list_changes_the_hash(world, db):
    county = world.user("county")
    plan = world["plan_a"]
    for n in range(40, 46):
        _extra_enterprise(world, n)
    first = actions.targets_freeze(actor=county, plan=plan, month=12, places=2)
    second = actions.targets_freeze(actor=county, plan=plan, month=12, places=2)
    assert first.draw.candidates == second.draw.candidates
    assert first.draw.candidates_hash == second.draw.candidates_hash
    a = actions.targets_enter_value(actor=county, target_draw=first, source="lottery", value="12345")
    b = actions.targets_enter_value(actor=county, target_draw=second, source="lottery", value="12345")
    assert [t.enterprise_id for t in a] == [t.enterprise_id for t in b]
    assert draws.verify(Draw.objects.get(pk=first.draw.pk)).ok
    # Weights follow the documented risk rule.
    weights = {c["id"]: c["weight"] for c in first.draw.candidates}
    assert set(weights.values()) <= set(planning.RISK_WEIGHTS.values())
    # One more enterprise in the area: a different list, a different hash.
    _extra_enterprise(world, 47)
    third = actions.targets_freeze(actor=county, plan=plan, month=12, places=2)
    assert third.draw.candidates_hash != first.draw.candidates_hash


def test_fewer_candidates_than_places_is_a_chinese_error_and_nothing_is_saved(world, db):
    before = Draw.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.targets_freeze(actor=world.user("county"), plan=world["plan_b"], month=12, places=50)
    assert "少于抽取数量50" in str(exc.value)
    assert Draw.objects.count() == before


def test_the_drawn_units_are_excluded_with_reasons_from_the_next_draw(world, db):
    candidates, exclusions = planning.random_pool(world["plan_a"])
    reasons = {e["id"]: e["reason"] for e in exclusions}
    assert reasons[str(world["ent_a"].pk)] == "已列入本计划重点检查"
    assert reasons[str(world["ent_a2"].pk)] == "已在本计划中抽中"
    assert not {c["id"] for c in candidates} & set(reasons)


# ---------------------------------------------------------------- inspectors


def test_declared_conflicts_and_last_round_inspectors_are_excluded(world, db):
    # town_a2 declared a conflict with ent_a2: never a candidate for it, the reason recorded.
    candidates, exclusions = planning.officer_pool(world["ent_a2"])
    ids = {c["id"] for c in candidates}
    o2 = str(world.user("town_a2").pk)
    assert o2 not in ids
    assert any(e["id"] == o2 and e["reason"].startswith("申报回避") for e in exclusions)
    # Town B's officers are not candidates for a town A enterprise at all.
    assert str(world.user("town_b").pk) not in ids
    # The random target's draw excluded town_a2 with its reason; the chosen two are neither.
    target = world["random_a"]
    assert any(e["id"] == o2 for e in target.inspector_draw.exclusions)
    assert {target.officer_1_id, target.officer_2_id}.isdisjoint({world.user("town_a2").pk})
    # town_a and town_a2 inspected ent_a today (the world's record): excluded as the last round.
    _cands, excl = planning.officer_pool(world["ent_a"])
    last = {e["id"] for e in excl if e["reason"].startswith("上一轮")}
    assert last == {str(world.user("town_a").pk), str(world.user("town_a2").pk)}


def test_an_inspector_draw_with_fewer_than_two_officers_is_a_chinese_error(world, db):
    from safeserve.accounts.models import User

    User.objects.filter(role="county").update(enforcement_cert_no="")
    target = PlanTarget.objects.filter(plan=world["plan_a"], status="planned").first()
    before = Draw.objects.count()
    # Left: town_a and town_a2, both excluded (last round) -> no candidate.
    with pytest.raises(ValidationError) as exc:
        actions.inspectors_freeze(actor=world.user("county"), target=target, reason="人员调整")
    assert "少于抽取数量2" in str(exc.value)
    assert Draw.objects.count() == before


def test_an_inspector_redraw_cites_the_old_draw_and_needs_a_reason(world, db):
    target = PlanTarget.objects.get(pk=world["random_a"].pk)
    old = target.inspector_draw
    with pytest.raises(ValidationError):
        actions.inspectors_freeze(actor=world.user("county"), target=target, reason="")
    new = actions.inspectors_freeze(actor=world.user("county"), target=target, reason="检查人员病假")
    assert new.supersedes_id == old.pk and new.redraw_reason == "检查人员病假"
    target.refresh_from_db()
    assert target.officer_1_id is None
    actions.inspectors_enter_value(actor=world.user("county"), target=target, source="server")
    target.refresh_from_db()
    assert target.officer_1_id and target.officer_2_id


def test_a_target_redraw_voids_the_old_targets_and_cites_the_old_draw(world, db):
    td = world["td_b"]
    new = actions.targets_freeze(
        actor=world.user("county"), plan=td.plan, month=td.month, places=1, supersedes=td, reason="抽中企业已停产"
    )
    assert new.draw.supersedes_id == td.draw_id
    assert set(td.targets.values_list("status", flat=True)) == {"void"}


# ---------------------------------------------------------------- caps


def test_caps_are_never_exceeded(world, db, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "INSPECTION_CAPS": {"1": 1, "2": 1, "3": 1, "none": 1}}
    # ent_a2 holds its one random target this year: the cap (1) is reached.
    assert planning.cap_load([world["ent_a2"].pk], TODAY.year)[world["ent_a2"].pk] == 1
    with pytest.raises(ValidationError) as exc:
        _record(world, enterprise=world["ent_a2"])
    assert "年度常规检查已达上限 1 次" in str(exc.value)
    # A case-driven inspection is typed as such and does not count.
    case = _record(world, enterprise=world["ent_a2"], kind="case", case_reason="complaint")
    assert not case.counts_toward_cap
    assert planning.cap_load([world["ent_a2"].pk], TODAY.year)[world["ent_a2"].pk] == 1
    # A new red unit: the rules ask 5 a year, its cap (lowered to 1) allows one.
    fresh = _extra_enterprise(world, 60)
    Enterprise.objects.filter(pk=fresh.pk).update(risk_level="red")
    # The random pool leaves out units at their cap, with the reason.
    plan = InspectionPlan.objects.create(
        year=TODAY.year, town=None, name="全县计划", officers=2, working_days=250, mandatory_share=50
    )
    actions.plan_commit(actor=world.user("county"), plan=plan)
    _cands, excl = planning.random_pool(plan)
    assert any(e["id"] == str(world["ent_a2"].pk) and "上限" in e["reason"] for e in excl)
    # Whatever the rules ask (red 4 + non-participant 1), the new plan adds nothing beyond the cap
    # left: every unit it schedules stays within its cap across all plans of the year.
    from collections import Counter

    added = Counter(plan.targets.values_list("enterprise_id", flat=True))
    load = planning.cap_load(list(Enterprise.objects.values_list("pk", flat=True)), TODAY.year)
    for ent in Enterprise.objects.values(*planning.ENT_FIELDS):
        if added[ent["pk"]]:
            assert load[ent["pk"]] <= planning.cap_for(ent), ent["name"]
    assert added[world["ent_a"].pk] == 0  # already at (above) the lowered cap: nothing more
    assert added[fresh.pk] == 1


def test_the_preview_schedules_no_more_than_the_cap_left(world, db):
    plan = InspectionPlan.objects.create(year=TODAY.year + 1, town=world["town_b"], name="明年", officers=2)
    pv = planning.preview(plan)
    for row in pv.rows:
        assert row.count <= row.frequency.cap
        assert len(row.months) == row.count
    # ent_b: red risk (4) + non-participant (+1) = 5, below its cap (6 for 未定级).
    row = next(r for r in pv.rows if r.enterprise["pk"] == world["ent_b"].pk)
    assert row.frequency.wanted == 5 and row.count == 5


def test_a_rule_above_the_cap_is_warned_about(world, db):
    from safeserve.inspections.models import FrequencyRule

    FrequencyRule.objects.create(name="红色每月1次", kind="risk", match="red", per_year=12)
    warnings = planning.rule_warnings()
    assert any(w["rule"].name == "红色每月1次" and w["count"] == 2 for w in warnings)
    c = Client()
    c.force_login(world.user("county"))
    assert "超过年度检查上限" in c.get("/inspections/rules/").content.decode()


# ---------------------------------------------------------------- records


def test_a_finding_becomes_a_hazard_in_the_same_step(world, db):
    insp = _record(
        world,
        findings=[
            {"location": "喷漆房", "description": "防爆电气失效", "responsible_person": "李四", "level": "general"}
        ],
    )
    hazard = insp.hazards.get()
    assert hazard.source == HazardSource.INSPECTION and hazard.enterprise_id == world["ent_a"].pk
    assert hazard.events.first().note.startswith("监督检查发现")


def test_a_failing_finding_writes_nothing(world, db):
    before = (Inspection.objects.count(), Hazard.objects.count())
    with pytest.raises(ValidationError):
        _record(
            world, findings=[{"location": "仓库", "description": "x", "responsible_person": "李四", "level": "major"}]
        )
    assert (Inspection.objects.count(), Hazard.objects.count()) == before


def test_only_certified_officers_are_the_inspecting_subject(world, db):
    from safeserve.accounts.models import User

    agency = world.user("agency_a")
    with pytest.raises(ValidationError) as exc:
        _record(world, officer_2=agency)
    assert "没有执法证号" in str(exc.value)
    User.objects.filter(pk=world.user("town_a2").pk).update(enforcement_cert_no="")
    with pytest.raises(ValidationError):
        _record(world, officer_2=User.objects.get(pk=world.user("town_a2").pk))
    with pytest.raises(PermissionDenied):
        _record(world, actor=agency)


def test_a_drawn_target_is_recorded_by_its_drawn_officers_only(world, db):
    target = PlanTarget.objects.select_related("officer_1", "officer_2").get(pk=world["random_a"].pk)
    from safeserve.inspections.models import certified_officers

    other = certified_officers().exclude(pk__in=[target.officer_1_id, target.officer_2_id]).first()
    with pytest.raises(ValidationError) as exc:
        _record(world, enterprise=world["ent_a2"], plan_target=target, officer_1=target.officer_1, officer_2=other)
    assert "已随机抽定检查人员" in str(exc.value)
    ok = _record(
        world, enterprise=world["ent_a2"], plan_target=target, officer_1=target.officer_1, officer_2=target.officer_2
    )
    assert ok.kind == "random"
    target.refresh_from_db()
    assert target.status == "done"


def test_the_enterprise_confirms_its_own_record_only(world, db):
    insp = world["insp_a"]
    with pytest.raises(PermissionDenied):
        actions.inspection_confirm(actor=world.user("town_a"), inspection=insp)
    done = actions.inspection_confirm(actor=world.user("ent_a"), inspection=insp, note="无异议")
    assert done.confirmed_at and done.enterprise_note == "无异议"
    with pytest.raises(PermissionDenied):
        actions.inspection_confirm(actor=world.user("ent_a"), inspection=world["insp_b"])


# ---------------------------------------------------------------- 一公开

PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Z])\d{17}[\dX](?![0-9A-Z])")


def test_the_public_page_shows_published_results_only_and_no_personal_data(world, db):
    actions.inspection_publish(actor=world.user("town_a"), inspection=world["insp_a"])
    resp = Client().get("/inspections/public/")
    assert resp.status_code == 200
    text = permsuite.response_text(resp, "html")  # what <main> shows
    assert world["ent_a"].name in text and "发现一般隐患，已责令整改（a）" in text
    assert "发现一般隐患，已责令整改（b）" not in text  # insp_b is not published
    assert f"/draws/{world['td_a'].draw.number}/" in text
    assert world["td_a"].draw.candidates_hash in text
    # SHA-256 hashes are published by design; scan the rest for phone and ID numbers.
    plain = re.sub(r"\b[0-9a-f]{64}\b", "", text)
    assert not PHONE.search(plain) and not ID_NUMBER.search(plain)
    for persona in ("county", "county_o2", "county_o3", "town_a", "town_a2", "town_b", "town_b2"):
        assert f">{persona}<" not in text and f"{persona}（" not in text and f"、{persona}" not in text
    for cert in ("ZF-330421",):
        assert cert not in text
    assert "李四" not in text and "13800000001" not in text  # the enterprise's contact


def test_the_publication_deadline_counts_working_days(world, db):
    from datetime import date

    assert queries.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday
    assert queries.add_working_days(date(2026, 11, 30), 20) == date(2026, 12, 28)


def test_the_public_section_is_registered(world, db):
    from safeserve.core import hooks

    assert queries.public_section in hooks.PUBLIC_SECTIONS
    assert queries.public_section(None)["url"] == "/inspections/public/"


# ---------------------------------------------------------------- indicator


def test_plan_completion_indicator(world, db):
    from safeserve.core import hooks

    source = hooks.INDICATOR_SOURCES["inspections.plan_completion"]
    start = TODAY.replace(month=1, day=1)
    figures = source.compute("town", [world["town_a"].pk, world["town_b"].pk], start, TODAY)
    fa = figures[world["town_a"].pk]
    planned = PlanTarget.objects.filter(
        plan__year=TODAY.year, month__lte=TODAY.month, enterprise__town=world["town_a"]
    ).exclude(status="void")
    assert fa.denominator == planned.count() and fa.numerator == 1
    assert sorted(fa.records["inspections.plantarget"]) == sorted(planned.values_list("pk", flat=True))
    # A cut-off before the inspection: nothing done yet.
    earlier = source.compute("town", [world["town_a"].pk], start, TODAY - timedelta(days=1))
    assert earlier[world["town_a"].pk].numerator == 0


# ---------------------------------------------------------------- query counts


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_the_data(world, db):
    county = Client()
    county.force_login(world.user("county"))
    urls = ["/inspections/public/", "/inspections/progress/", f"/inspections/plans/{world['plan_a'].pk}/"]
    before = [_queries(county if "public" not in u else Client(), u) for u in urls]
    for n in range(3):
        ent = _extra_enterprise(world, 70 + n)
        insp = _record(world, enterprise=ent)
        actions.inspection_publish(actor=world.user("county"), inspection=insp)
    actions.targets_freeze(actor=world.user("county"), plan=world["plan_a"], month=12, places=2)
    after = [_queries(county if "public" not in u else Client(), u) for u in urls]
    assert before == after


def test_the_enterprise_page_shows_its_inspections_to_who_may_see_them(world, db):
    url = f"/registry/enterprises/{world['ent_a'].pk}/"
    for persona, shown in (("county", True), ("town_a", True), ("ent_a", True), ("agency_a", False)):
        c = Client()
        c.force_login(world.user(persona))
        resp = c.get(url)
        if resp.status_code != 200:
            assert not shown
            continue
        assert ("本年检查" in resp.content.decode()) == shown, persona


def test_unpublished_results_are_reminded_then_escalated_once(world, db):
    from safeserve.notifications.models import Notification

    insp = world["insp_b"]  # recorded today, not published
    actions.inspection_publish(actor=world.user("county"), inspection=world["insp_a"])  # published: no reminder
    due = queries.publish_due(insp)
    assert actions.remind_unpublished(due - timedelta(days=30)) == 0  # far from the deadline
    soon = actions.remind_unpublished(due)
    assert soon and Notification.objects.filter(dedup_key=f"inspection:{insp.pk}:publish:soon").exists()
    assert actions.remind_unpublished(due) == 0  # once per stage
    late = actions.remind_unpublished(due + timedelta(days=1))
    county = Notification.objects.filter(
        dedup_key=f"inspection:{insp.pk}:publish:overdue", recipient=world.user("county")
    )
    assert late and county.exists()
    assert not Notification.objects.filter(dedup_key__startswith=f"inspection:{world['insp_a'].pk}:publish")
