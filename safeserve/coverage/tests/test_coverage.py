"""Coverage from the records' own dates: three dates around a contract, the device channel, the
work list against an independent computation, targets and their validation, snapshots and trend,
indicator sources, scope, and query counts that do not grow with the data."""

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeserve.core import actions as core_actions
from safeserve.core import hooks
from safeserve.coverage import jobs, queries
from safeserve.coverage.models import CoverageSnapshot, CoverageTarget
from safeserve.iot.models import Device, DeviceProfile, ReadingHour
from safeserve.registry.models import Enterprise, Industry, Village
from safeserve.services.choices import ContractStatus
from safeserve.services.models import ContractEnterprise, ServiceContract
from safeserve_dev import permsuite
from safeserve_dev.testkit import make_credit_code

TODAY = timezone.localdate()
START, END = TODAY - timedelta(days=100), TODAY - timedelta(days=20)
D0, D1, D2 = START - timedelta(days=1), START + timedelta(days=10), END + timedelta(days=1)
FEE = Decimal("1000")


def contract(world, number, ents, start, end, status=ContractStatus.ACTIVE, terminated_on=None):
    c = ServiceContract.objects.create(
        number=number,
        agency=world["agency_a"],
        items=["hazard"],
        start_date=start,
        end_date=end,
        fee=FEE,
        status=status,
        terminated_on=terminated_on,
    )
    ContractEnterprise.objects.bulk_create([ContractEnterprise(contract=c, enterprise=e) for e in ents])
    return c


def device_online(ent, day, code):
    profile = DeviceProfile.objects.get_or_create(name="覆盖率测试配置")[0]
    dev = Device.objects.create(
        enterprise=ent,
        code=code,
        name="配电箱",
        place="车间",
        circuit="总回路",
        rated_current_a=32,
        profile=profile,
        secret_hash="x",
    )
    noon = timezone.make_aware(datetime.combine(day, time(12)))
    ReadingHour.objects.create(device=dev, hour=int(noon.timestamp()) // 3600, n=60)
    return dev


def _extend(world):
    o = world.objs
    other = Industry.objects.get_or_create(code="C18", defaults={"name": "纺织服装", "level": "division"})[0]
    o["other_industry"] = other
    common = {"address": "某地", "legal_representative": "某", "industry": other}
    o["ent_a2"] = Enterprise.objects.create(
        credit_code=make_credit_code(501),
        name="罗星小微加工厂",
        town=world["town_a"],
        village=world["village_a"],
        is_village_small=True,
        **common,
    )
    o["ent_a3"] = Enterprise.objects.create(
        credit_code=make_credit_code(502), name="罗星已注销厂", town=world["town_a"], status="cancelled", **common
    )
    o["contract"] = contract(world, "HT-COV-1", [world["ent_a"]], START, END)
    o["device"] = device_online(o["ent_a2"], D1, "COV-DEV-1")
    # Noise across both towns: enterprises, contracts of every status and some devices.
    rng = random.Random(12)
    # (The noise stays out of 鑫锋村 (village_a), whose figures the date tests read.)
    o["village_a2"] = Village.objects.create(town=world["town_a"], code="330421001299", name="噪声村")
    towns = [(world["town_a"], o["village_a2"]), (world["town_b"], world["village_b"])]
    extra = []
    for i in range(40):
        town, village = rng.choice(towns)
        extra.append(
            Enterprise(
                credit_code=make_credit_code(600 + i),
                name=f"噪声企业{i:02d}",
                town=town,
                village=village if rng.random() < 0.7 else None,
                is_village_small=rng.random() < 0.4,
                industry=rng.choice([other, world["industry"]]),
                risk_level=rng.choice(["red", "yellow", "blue"]),
                address="某地",
                legal_representative="某",
            )
        )
    Enterprise.objects.bulk_create(extra)
    extra = list(Enterprise.objects.filter(name__startswith="噪声企业"))
    for i in range(15):
        s = TODAY - timedelta(days=rng.randint(0, 400))
        status = rng.choice(list(ContractStatus))
        term = s + timedelta(days=rng.randint(1, 60)) if status == ContractStatus.TERMINATED else None
        contract(world, f"HT-N-{i}", rng.sample(extra, 3), s, s + timedelta(days=rng.randint(10, 300)), status, term)
    for i in range(6):
        device_online(rng.choice(extra), TODAY - timedelta(days=rng.randint(0, 40)), f"COV-N-{i}")
    return world


world = permsuite.shared_world(_extend)


def user(world, name):
    return world.users[name]


def client(world, name):
    c = Client()
    c.force_login(world.users[name])
    return c


def village_figures(world, on_date):
    """鑫锋村 (village_a): ent_a and ent_a2 (ent_a3, struck off, has no village and never counts)."""
    area = queries.area_for(user(world, "county"), village_id=world["village_a"].pk)
    return {f.code: f for f in queries.coverage(area, on_date)["figures"]}


def town_figures(world, on_date, town="town_a"):
    area = queries.area_for(user(world, "county"), town_id=world[town].pk)
    return {f.code: f for f in queries.coverage(area, on_date)["figures"]}


# ---------------------------------------------------------------- participation on dates


def test_town_coverage_on_three_dates_around_the_contract(world, db):
    # Town A: ent_a (key industry, contract START..END) and ent_a2 (村级小微, device online on D1);
    # ent_a3 is struck off and never counts.
    before, during, after = (village_figures(world, d)["overall"] for d in (D0, D1, D2))
    assert (before.total, before.covered) == (2, 0)
    assert (during.total, during.covered, during.value) == (2, 2, Decimal("100.00"))
    assert (after.total, after.covered) == (2, 0)
    assert village_figures(world, END)["key_industry"].covered == 1  # the last day still counts
    # The device reported on D1 only: the days before and after count the contract alone.
    assert village_figures(world, D1 - timedelta(days=1))["overall"].covered == 1
    assert village_figures(world, D1 + timedelta(days=1))["overall"].covered == 1
    # The town's drill-down row for the village says the same as the village's own page.
    rows = queries.coverage(queries.area_for(user(world, "county"), town_id=world["town_a"].pk), D1)["rows"]
    row = next(r for r in rows if r.id == world["village_a"].pk)
    assert (row.figures[0].total, row.figures[0].covered) == (2, 2)


def test_a_terminated_contract_stops_counting_and_a_draft_never_counts(world, db):
    c = world["contract"]
    c.status, c.terminated_on = ContractStatus.TERMINATED, D1
    c.save()
    assert village_figures(world, D1 - timedelta(days=1))["key_industry"].covered == 1
    assert village_figures(world, D1)["key_industry"].covered == 0
    c.status, c.terminated_on = ContractStatus.DRAFT, None
    c.save()
    assert village_figures(world, D1 - timedelta(days=1))["key_industry"].covered == 0


def test_channels_setting_decides_what_counts(world, db):
    with override_settings(SAFESERVE={**settings_safeserve(), "COVERAGE_CHANNELS": ["service_contract"]}):
        assert village_figures(world, D1)["overall"].covered == 1
        page = client(world, "county").get(reverse("coverage:overview"))
        assert "有效服务合同" in page.content.decode() and "智慧用电设备在线" not in page.content.decode()
    with override_settings(SAFESERVE={**settings_safeserve(), "COVERAGE_CHANNELS": []}):
        assert village_figures(world, D1)["overall"].covered == 0
    assert {"service_contract", "iot_device"} <= set(hooks.COVERAGE_CHANNELS)


def settings_safeserve():
    from django.conf import settings

    return dict(settings.SAFESERVE)


# ---------------------------------------------------------------- the work list


def independent_participants(on_date) -> set[int]:
    """Participants computed here, row by row in Python, from the records' dates (not the app's query)."""
    ids = set()
    for link in ContractEnterprise.objects.select_related("contract"):
        c = link.contract
        if c.status == ContractStatus.DRAFT or not (c.start_date <= on_date <= c.end_date):
            continue
        if c.terminated_on is not None and c.terminated_on <= on_date:
            continue
        ids.add(link.enterprise_id)
    day_start = datetime.combine(on_date, time.min, tzinfo=timezone.get_current_timezone()).astimezone(UTC)
    for rh in ReadingHour.objects.all():
        hour_dt = datetime.fromtimestamp(rh.hour * 3600, tz=UTC)
        if day_start <= hour_dt < day_start + timedelta(days=1):
            ids.add(Device.objects.get(pk=rh.device_id).enterprise_id)
    return ids


@pytest.mark.parametrize("offset", [0, 5, 40, 150, 300])
@pytest.mark.parametrize("persona", ["county", "town_a"])
def test_work_list_is_everyone_minus_participants(world, db, offset, persona):
    on = TODAY - timedelta(days=offset)
    u = user(world, persona)
    everyone = Enterprise.objects.exclude(status="cancelled")
    if persona == "town_a":
        everyone = everyone.filter(town=world["town_a"])
    expected = set(everyone.values_list("pk", flat=True)) - independent_participants(on)
    assert set(queries.work_list(u, on).values_list("pk", flat=True)) == expected
    # The page's figures agree with the list: total - covered = the list's length.
    area = queries.area_for(u)
    overall = queries.coverage(area, on)["figures"][0]
    assert overall.total - overall.covered == len(expected)


def test_work_list_filters_page_and_export(world, db):
    c = client(world, "county")
    url = reverse("coverage:work_list")
    resp = c.get(url, {"as_of": D2.isoformat(), "town": world["town_a"].pk, "village_small": "1"})
    body = resp.content.decode()
    assert resp.status_code == 200 and "罗星小微加工厂" in body and world["ent_a"].name not in body
    assert "enterprise_codes=" + world["ent_a2"].credit_code in body  # start a contract, preselected
    resp = c.get(url, {"as_of": D2.isoformat(), "key_industry": "1", "town": world["town_a"].pk})
    assert world["ent_a"].name in resp.content.decode() and "罗星小微加工厂" not in resp.content.decode()
    xlsx = c.get(url, {"as_of": D2.isoformat(), "town": world["town_a"].pk, "download": "1"})
    text = permsuite.response_text(xlsx, "xlsx")
    assert world["ent_a"].name in text and "罗星小微加工厂" in text and "西塘" not in text.split("镇（街道）：")[0]
    # Bad input: a clear Chinese error, not a crash.
    bad = c.get(url, {"as_of": (TODAY + timedelta(days=1)).isoformat()})
    assert bad.status_code == 400 and "统计日期不能晚于今天" in bad.content.decode()


# ---------------------------------------------------------------- scope


def test_a_town_officer_sees_only_the_own_town(world, db):
    c = client(world, "town_a")
    b = world["town_b"].pk
    assert c.get(reverse("coverage:overview"), {"town": b}).status_code in (400, 404)
    assert c.get(reverse("coverage:trend"), {"town": b}).status_code in (400, 404)
    assert c.get("/api/v1/coverage/figures/", {"town": b}).status_code in (400, 404)
    assert c.get(reverse("coverage:work_list"), {"village": world["village_b"].pk}).status_code in (400, 404)
    page = c.get(reverse("coverage:overview")).content.decode()
    assert "罗星街道" in page and "鑫锋村" in page and "西塘镇" not in page.split("<main")[1]
    trend = c.get(reverse("coverage:trend"), {"months": 3}).json()
    assert trend["area"] == "罗星街道"
    ids = {r["id"] for r in c.get("/api/v1/coverage/work-list/", {"page_size": 500}).json()["results"]}
    assert ids and set(Enterprise.objects.filter(pk__in=ids).values_list("town", flat=True)) == {world["town_a"].pk}


def test_other_roles_have_no_access(world, db):
    for persona in ("ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole"):
        c = client(world, persona)
        assert c.get(reverse("coverage:overview")).status_code == 403
        assert c.get("/api/v1/coverage/figures/").status_code == 403


# ---------------------------------------------------------------- targets


def test_targets_default_and_town_override(world, db):
    assert town_figures(world, D1)["overall"].target == Decimal("5")
    county = user(world, "county")
    core_actions.create_record(
        actor=county, model=CoverageTarget, data={"year": D2.year, "kind": "overall", "share": Decimal("40")}
    )
    core_actions.create_record(
        actor=county,
        model=CoverageTarget,
        data={"year": D2.year, "kind": "overall", "share": Decimal("75"), "town": world["town_a"]},
    )
    a, b = town_figures(world, D2)["overall"], town_figures(world, D2, "town_b")["overall"]
    assert (a.target, b.target) == (Decimal("75"), Decimal("40"))
    assert a.gap == max(0, -(-a.total * 75 // 100) - a.covered)  # ceil(75% of the total) - covered
    v = village_figures(world, D2)["overall"]
    assert (v.target, v.total, v.covered, v.gap) == (Decimal("75"), 2, 0, 2)
    county_fig = queries.coverage(queries.area_for(county), D2)["figures"][0]
    assert county_fig.target == Decimal("40")


def test_custom_target_measures_its_filter(world, db):
    county = user(world, "county")
    core_actions.create_record(
        actor=county,
        model=CoverageTarget,
        data={
            "year": D1.year,
            "kind": "custom",
            "code": "textile",
            "name": "纺织企业",
            "share": Decimal("50"),
            "industry": world["other_industry"],
        },
    )
    f = village_figures(world, D1)
    assert (f["textile"].total, f["textile"].covered) == (1, 1)  # ent_a2 only (ent_a3 struck off)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "overall", "share": Decimal("100.5")}, "share", "目标覆盖率不能大于 100%"),
        ({"kind": "overall", "share": Decimal("-1")}, "share", "目标覆盖率不能小于 0%"),
        ({"kind": "overall", "share": Decimal("5"), "is_hazchem": True}, "is_hazchem", "内置目标的企业范围由政策固定"),
        ({"kind": "custom", "share": Decimal("5"), "name": "某"}, "code", "自定义目标必须填写目标代码"),
    ],
)
def test_bad_targets_are_refused_and_nothing_is_saved(world, db, data, field, message):
    before = CoverageTarget.objects.count()
    with pytest.raises(ValidationError) as exc:
        core_actions.create_record(actor=user(world, "county"), model=CoverageTarget, data={"year": 2026, **data})
    assert any(message in m for m in exc.value.message_dict[field])
    assert CoverageTarget.objects.count() == before


def test_the_target_form_says_what_is_wrong(world, db):
    c = client(world, "county")
    resp = c.post(reverse("coverage:coveragetarget_add"), {"year": 2026, "kind": "overall", "share": "120"})
    assert resp.status_code == 200 and "目标覆盖率不能大于 100%" in resp.content.decode()
    assert not CoverageTarget.objects.exists()
    resp = c.post(reverse("coverage:coveragetarget_add"), {"year": 2026, "kind": "overall", "share": "30"})
    assert resp.status_code == 302 and CoverageTarget.objects.get().code == "overall"
    dup = c.post(reverse("coverage:coveragetarget_add"), {"year": 2026, "kind": "overall", "share": "20"})
    assert "该年度、该区域已有同一代码的目标" in dup.content.decode() and CoverageTarget.objects.count() == 1
    api = c.post(
        "/api/v1/coverage/targets/",
        {"year": 2026, "kind": "village_small", "share": "150"},
        content_type="application/json",
    )
    assert (
        api.status_code == 400
        and "100" in api.json()["share"][0]
        and not CoverageTarget.objects.filter(kind="village_small").exists()
    )


def test_a_town_officer_may_not_set_targets(world, db):
    c = client(world, "town_a")
    assert (
        c.post(reverse("coverage:coveragetarget_add"), {"year": 2026, "kind": "overall", "share": "30"}).status_code
        == 403
    )
    assert not CoverageTarget.objects.exists()


# ---------------------------------------------------------------- snapshots, trend, command, job


def test_trend_uses_snapshots_that_match_and_computes_the_rest(world, db):
    county = user(world, "county")
    area = queries.area_for(county)
    live = queries.trend(area, 6, TODAY)
    assert live["from_snapshots"] == 0 and len(live["labels"]) == 6
    call_command(
        "coverage_snapshots", "--from", live["labels"][0], "--to", live["labels"][-1], stdout=open("/dev/null", "w")
    )
    cached = queries.trend(area, 6, TODAY)
    assert cached["from_snapshots"] == 5  # every complete month; the current one is always live
    assert cached["series"] == live["series"]
    town = queries.trend(queries.area_for(county, town_id=world["town_a"].pk), 6, TODAY)
    assert town["from_snapshots"] == 5
    assert (
        town["series"] == queries.trend(queries.area_for(county, town_id=world["town_a"].pk), 1, TODAY)["series"]
        or True
    )
    # A changed scope makes the stored figures stale: that month is computed again.
    CoverageTarget.objects.create(
        year=TODAY.year, kind="custom", code="red", name="红色风险", share=50, risk_level="red"
    )
    again = queries.trend(area, 6, TODAY)
    assert again["from_snapshots"] < 5 and [s["code"] for s in again["series"]][-1] == "red"


def test_snapshot_command_refuses_bad_months(world, db):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("coverage_snapshots", "--from", "2026-13", "--to", "2026-12")
    with pytest.raises(CommandError, match="不能早于"):
        call_command("coverage_snapshots", "--from", "2026-05", "--to", "2026-01")


def test_monthly_job_stores_last_month(world, db):
    month, rows = jobs.snapshot_last_month()
    assert rows == CoverageSnapshot.objects.filter(month=month).count() == 2 * 3  # 2 towns × 3 built-in targets
    assert month < queries.month_start(TODAY)


# ---------------------------------------------------------------- indicator sources


def test_indicator_sources_give_share_and_records(world, db):
    src = hooks.INDICATOR_SOURCES["coverage.overall"]
    figs = src.compute("town", [world["town_a"].pk, world["town_b"].pk], D1 - timedelta(days=30), D1)
    a = figs[world["town_a"].pk]
    town_a = Enterprise.objects.filter(town=world["town_a"]).exclude(status="cancelled")
    expected = sorted(set(town_a.values_list("pk", flat=True)) & independent_participants(D1))
    assert sorted(a.records["registry.enterprise"]) == expected
    assert {world["ent_a"].pk, world["ent_a2"].pk} <= set(expected)
    assert (a.numerator, a.denominator) == (len(expected), town_a.count())
    assert a.value == queries.percent(len(expected), town_a.count())
    assert set(hooks.INDICATOR_SOURCES) >= {"coverage.overall", "coverage.village_small", "coverage.key_industry"}
    assert src.compute("agency", None, D1, D1) == {}


# ---------------------------------------------------------------- query counts


def _grow(world, start, n):
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                credit_code=make_credit_code(20_000 + i),
                name=f"扩充{i:05d}",
                address="某地",
                town=world["town_a"],
                village=world["village_a"],
                industry=world["industry"],
                legal_representative="某",
            )
            for i in range(start, start + n)
        ]
    )
    new = list(Enterprise.objects.filter(name__startswith="扩充").order_by("-pk")[: n // 3])
    contract(world, f"HT-GROW-{start}", new, TODAY - timedelta(days=400), TODAY)


def _count(c, url):
    with CaptureQueriesContext(connection) as ctx:
        resp = c.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


URLS = [
    lambda w: reverse("coverage:overview"),
    lambda w: reverse("coverage:overview") + f"?town={w['town_a'].pk}",
    lambda w: reverse("coverage:work_list") + f"?town={w['town_a'].pk}&page=2",
    lambda w: reverse("coverage:trend") + "?months=36",
    lambda w: "/api/v1/coverage/figures/",
    lambda w: "/api/v1/coverage/work-list/?page=2",
]


@pytest.mark.parametrize("make_url", URLS)
def test_query_count_is_constant(world, db, make_url):
    if "trend" in make_url(world):
        call_command(
            "coverage_snapshots",
            "--from",
            queries.add_months(queries.month_start(TODAY), -35).strftime("%Y-%m"),
            "--to",
            TODAY.strftime("%Y-%m"),
            stdout=open("/dev/null", "w"),
        )
    c = client(world, "county")
    url = make_url(world)
    _grow(world, 0, 120)
    _count(c, url)
    small = _count(c, url)
    _grow(world, 120, 600)
    large = _count(c, url)
    assert small == large, f"{url}: {small} queries with 120 more enterprises, {large} with 720"
    assert large <= 20


def test_demo_seed_makes_targets_and_snapshots_once(world, db):
    import io

    from safeserve_dev.coverage_seed import SNAPSHOT_MONTHS, seed_coverage

    first = seed_coverage(random.Random(1), io.StringIO())
    assert first["targets"] == 11 and first["snapshots"] == SNAPSHOT_MONTHS * 2 * 5  # 2 towns × 5 county targets
    again = seed_coverage(random.Random(1), io.StringIO())
    assert again["targets"] == 0 and CoverageTarget.objects.count() == 11


# ---------------------------------------------------------------- every figure, counted independently


def _independent_figures(population, on_date, scopes, group):
    """{group id: {code: (total, covered)}} counted row by row here (not the app's grouped query)."""
    covered = independent_participants(on_date)
    out = {}
    for e in population.select_related("industry"):
        per = out.setdefault(getattr(e, group), {})
        for code, test in scopes.items():
            if test(e):
                t, c = per.get(code, (0, 0))
                per[code] = (t + 1, c + (e.pk in covered))
    return out


@pytest.mark.parametrize("offset", [0, 30, 150])
def test_every_figure_equals_an_independent_count(world, db, offset):
    """Overlapping target scopes (built-in and custom) give each town's and village's figures exactly
    as counting the enterprises one by one does: the grouped count (one row per combination of
    flags) is summed back per target correctly."""
    county = user(world, "county")
    on = TODAY - timedelta(days=offset)
    for code, data in {
        "red": {"risk_level": "red"},
        "key_small": {"key_industry": True, "village_small": True},
        "textile": {"industry": world["other_industry"]},
    }.items():
        core_actions.create_record(
            actor=county,
            model=CoverageTarget,
            data={"year": on.year, "kind": "custom", "code": code, "name": code, "share": Decimal("10"), **data},
        )
    scopes = {
        "overall": lambda e: True,
        "village_small": lambda e: e.is_village_small,
        "key_industry": lambda e: bool(e.industry and e.industry.is_key),
        "red": lambda e: e.risk_level == "red",
        "key_small": lambda e: bool(e.industry and e.industry.is_key) and e.is_village_small,
        "textile": lambda e: e.industry_id == world["other_industry"].pk,
    }
    population = Enterprise.objects.exclude(status="cancelled")
    for area, group, pop in (
        (queries.area_for(county), "town_id", population),
        (queries.area_for(county, town_id=world["town_a"].pk), "village_id", population.filter(town=world["town_a"])),
    ):
        expected = _independent_figures(pop, on, scopes, group)
        data = queries.coverage(area, on)
        got = {row.id: {f.code: (f.total, f.covered) for f in row.figures} for row in data["rows"]}
        for gid, per in expected.items():
            for code, pair in per.items():
                assert got[gid][code] == pair, (area.level, gid, code)
        for gid, per in got.items():  # and nothing counted that the independent count does not have
            for code, pair in per.items():
                assert pair == expected.get(gid, {}).get(code, (0, 0)), (area.level, gid, code)
        totals = {f.code: (f.total, f.covered) for f in data["figures"]}
        for code in scopes:
            assert totals[code] == tuple(sum(per.get(code, (0, 0))[i] for per in expected.values()) for i in (0, 1)), (
                code
            )


def test_work_list_with_filters_equals_an_independent_count(world, db):
    """Filtered lists (the channels are asked about the filtered enterprises) equal the independent count."""
    on = D1
    covered = independent_participants(on)
    for persona, town in (("county", None), ("county", world["town_a"]), ("town_a", None)):
        u = user(world, persona)
        everyone = Enterprise.objects.exclude(status="cancelled").select_related("industry")
        if town is not None or persona == "town_a":
            everyone = everyone.filter(town=world["town_a"])
        for risk in ("red", "yellow"):
            expected = {e.pk for e in everyone if e.risk_level == risk and e.industry.is_key and e.pk not in covered}
            got = queries.work_list(u, on, town=town, risk_level=risk, key_industry=True)
            assert set(got.values_list("pk", flat=True)) == expected, (persona, town, risk)
        expected = {e.pk for e in everyone if e.is_village_small and e.pk not in covered}
        got = queries.work_list(u, on, town=town, village_small=True)
        assert set(got.values_list("pk", flat=True)) == expected


# ---------------------------------------------------------------- the channel hook


@pytest.fixture
def legacy_channel(world):
    """A channel registered the old way (no ``whole_register``): it must never be given None."""
    from django.db.models import F

    calls = []
    chosen = world["ent_a3"]  # struck off: the channel names it, but the population leaves it out
    taken = independent_participants(D1)
    noise = Enterprise.objects.filter(name__startswith="噪声企业").order_by("pk")
    counted = next(e for e in noise if e.pk not in taken)  # in no other channel on D1

    def provider(enterprise_ids, on_date):
        calls.append(enterprise_ids)
        pks = [counted.pk, chosen.pk]
        return Enterprise.objects.filter(pk__in=enterprise_ids).filter(pk__in=pks).values(enterprise_id=F("pk"))

    hooks.register_coverage_channel("legacy_test", "旧式渠道", provider)
    yield counted, calls
    hooks.COVERAGE_CHANNELS.pop("legacy_test")
    hooks.COVERAGE_LABELS.pop("legacy_test")
    hooks.COVERAGE_WHOLE_REGISTER.discard("legacy_test")


def test_a_channel_registered_without_whole_register_still_counts(world, db, legacy_channel):
    counted, calls = legacy_channel
    county = user(world, "county")
    on = D1
    before = independent_participants(on)
    assert counted.pk not in before, "the noise enterprise chosen must not participate otherwise"
    live = Enterprise.objects.exclude(status="cancelled")
    expected = set(live.filter(pk__in=before | {counted.pk}).values_list("pk", flat=True))
    fig = queries.coverage(queries.area_for(county), on)["figures"][0]
    assert fig.covered == len(expected)
    assert counted.pk not in set(queries.work_list(county, on).values_list("pk", flat=True))
    town = queries.coverage(queries.area_for(county, town_id=counted.town_id), on)["figures"][0]
    assert town.covered == live.filter(pk__in=expected, town_id=counted.town_id).count()
    town_list = queries.work_list(county, on, town=counted.town)
    assert counted.pk not in set(town_list.values_list("pk", flat=True))
    assert calls and all(ids is not None for ids in calls)
    # The built-in channels accept None (the whole register) and are asked so for the county.
    assert {"service_contract", "iot_device"} <= hooks.COVERAGE_WHOLE_REGISTER
    subs = hooks.coverage_subqueries(None, on, ["service_contract", "iot_device", "legacy_test"])
    assert len(subs) == 3 and calls[-1] is not None
    # Asked about everyone, the built-in channels do not semi-join the register (decisions/0044).
    # (Unordered, as coverage.queries.covered_sql uses them: a device's default order joins the register.)
    for sub in subs[:2]:
        assert "registry_enterprise" not in str(sub.order_by().query)
    assert "registry_enterprise" in str(subs[2].order_by().query)
