"""seed_demo, load_reference, the industry migration and the benchmark command, end to end."""

import re
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F, Q
from django.test import Client, override_settings
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.demo import DEMO_PASSWORD
from safeserve.accounts.models import User
from safeserve.core.identity import validate_credit_code, validate_id_number
from safeserve.core.models import AuditLog
from safeserve.registry import models as m
from safeserve.registry import reference as ref
from safeserve_dev.registry_seed import ensure_demo_accounts, org_code_check

pytestmark = pytest.mark.django_db


def seed(*args):
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def codes():
    return list(m.Enterprise.objects.order_by("id").values_list("credit_code", flat=True))


# ---------------------------------------------------------------------------------------------
# Reference data


def test_industry_migration_loaded_sections_and_divisions_with_flags():
    by_code = {i.code: i for i in m.Industry.objects.select_related("parent")}
    assert {s for s, _n in ref.SECTIONS} <= set(by_code)
    for n in range(13, 44):  # every manufacturing division
        ind = by_code[f"C{n}"]
        assert ind.level == "division" and ind.parent.code == "C"
    # 重点行业 and 安责险 flags follow DOMAIN.md.
    assert by_code["C20"].is_key and by_code["C21"].is_key and by_code["C26"].is_key
    assert not by_code["C39"].is_key and not by_code["H62"].is_key
    for code in ("A04", "B06", "C26", "C31", "C32", "E47", "E50", "G54"):
        assert by_code[code].insurance_mandatory, code
    for code in ("C20", "C39", "F51", "G59", "H62"):
        assert not by_code[code].insurance_mandatory, code
    assert by_code["E"].insurance_mandatory and not by_code["G"].insurance_mandatory


def test_load_reference_is_idempotent_and_codes_are_plausible():
    out = StringIO()
    call_command("load_reference", stdout=out)
    call_command("load_reference", stdout=out)
    assert "新增镇（街道） 0 个" in out.getvalue().splitlines()[-1]
    towns = list(m.Town.objects.order_by("sort_order"))
    assert [t.name for t in towns] == [t.name for t in ref.TOWNS]
    for t in towns:
        assert re.fullmatch(r"330421\d{6}", t.code)
        villages = list(t.villages.all())
        assert 8 <= len(villages) <= 15
        assert all(v.code[:9] == t.code[:9] and len(v.code) == 12 for v in villages)
    assert m.Village.objects.count() == sum(len(t.villages) for t in ref.TOWNS)


# ---------------------------------------------------------------------------------------------
# seed_demo


def test_seed_is_deterministic_and_depends_on_the_seed():
    seed("--enterprises", "120", "--seed", "7", "--agencies", "6", "--experts", "5", "--no-accounts")
    first = codes()
    first_names = list(m.Enterprise.objects.order_by("id").values_list("name", flat=True))
    assert len(first) == 120
    seed("--enterprises", "120", "--seed", "7", "--agencies", "6", "--experts", "5", "--no-accounts", "--reset")
    assert codes() == first
    assert list(m.Enterprise.objects.order_by("id").values_list("name", flat=True)) == first_names
    seed("--enterprises", "120", "--seed", "8", "--agencies", "6", "--experts", "5", "--no-accounts", "--reset")
    assert codes() != first


def test_seeded_records_are_valid():
    seed("--enterprises", "300", "--seed", "3", "--agencies", "8", "--experts", "20", "--no-accounts")
    for model in (m.Enterprise, m.Agency, m.Insurer, m.Association):
        for code in model.objects.values_list("credit_code", flat=True):
            validate_credit_code(code)
            assert org_code_check(code[8:16]) == code[16], code  # the organisation-code part checks too
    for model in (m.AgencyStaff, m.Expert):
        for number in model.objects.values_list("id_number", flat=True):
            validate_id_number(number)
    names = list(m.Enterprise.objects.values_list("name", flat=True))
    assert len(set(names)) == len(names)
    assert all(n.startswith("嘉善县") and n.endswith("有限公司") for n in names)
    for e in m.Enterprise.objects.select_related("town", "village")[:300]:
        e.full_clean()  # validators, and the village lies in the enterprise's town
        assert e.town.name in e.address and (e.village is None or e.village.name in e.address)
    sizes = dict.fromkeys(("micro", "small", "medium", "large"), 0)
    for s in m.Enterprise.objects.values_list("size_class", flat=True):
        sizes[s] += 1
    assert sizes["micro"] + sizes["small"] > 0.75 * 300
    assert m.Enterprise.objects.filter(industry__code__in=["C20", "C21"]).count() > 0.1 * 300
    # Qualifications expired and expiring within 60 days exist, so the flags show.
    states = {a.qualification_state for a in m.Agency.objects.all()}
    assert {"expired", "expiring"} <= states
    assert m.AgencyStaff.objects.filter(is_registered_engineer=True).exists()
    assert m.Association.members.through.objects.exists()
    # One summary audit row per model, noted seed_demo.
    rows = AuditLog.objects.filter(note="seed_demo", action="import")
    assert {r.content_type.model for r in rows} >= {"enterprise", "agency", "expert", "insurer", "association"}
    assert rows.get(content_type__model="enterprise").changes["count"] == 300


def test_second_run_without_reset_skips():
    seed("--enterprises", "50", "--no-accounts")
    before = codes()
    out = seed("--enterprises", "50", "--no-accounts")
    assert "跳过" in out
    assert codes() == before


@override_settings(DEBUG=True)
def test_every_role_has_a_demo_account_that_logs_in_and_sees_its_home():
    out = seed("--enterprises", "150", "--seed", "2")
    demo = {u.role: u for u in User.objects.filter(username__startswith="demo_")}
    assert set(demo) == set(Role.values)
    assert User.objects.get(username="demo_town").town.name == "罗星街道"
    assert User.objects.get(username="demo_town2").town.name == "西塘镇"
    for user in User.objects.filter(username__startswith="demo_"):
        assert user.username in out
        c = Client()
        resp = c.post("/accounts/login/", {"username": user.username, "password": DEMO_PASSWORD})
        assert resp.status_code == 302, user.username
        home = c.get("/")
        assert home.status_code == 200, user.username
    # The demo town officer sees its own town only.
    town_user = User.objects.get(username="demo_town")
    visible = m.Enterprise.objects.visible_to(town_user)
    assert visible.exists() and not visible.exclude(town=town_user.town).exists()
    # The demo association has the demo enterprise as a member.
    ent = User.objects.get(username="demo_enterprise").enterprise
    assert User.objects.get(username="demo_association").association.members.filter(pk=ent.pk).exists()
    # Seeding again adds nothing and does not fail.
    assert "演示账号已存在" in seed("--enterprises", "150", "--seed", "2")


@override_settings(DEBUG=False)
def test_demo_accounts_are_refused_when_debug_is_off():
    with pytest.raises(CommandError, match="DEBUG"):
        seed("--enterprises", "20")
    assert not m.Enterprise.objects.exists()
    assert not User.objects.filter(username__startswith="demo_").exists()
    with pytest.raises(ImproperlyConfigured):
        ensure_demo_accounts()
    # Data alone (for benchmarks) is allowed.
    seed("--enterprises", "20", "--no-accounts")
    assert m.Enterprise.objects.count() == 20
    assert not User.objects.filter(username__startswith="demo_").exists()


# ---------------------------------------------------------------------------------------------
# benchmark


def test_benchmark_runs_end_to_end_and_prints_every_figure():
    out = StringIO()
    try:
        call_command(
            "benchmark",
            "--enterprises",
            "200",
            "--small",
            "60",
            "--repeat",
            "2",
            "--import-rows",
            "120",
            stdout=out,
        )
    except CommandError as exc:  # a timing target missed on a busy machine is a result, not an error
        assert "target missed" in str(exc)
    text = out.getvalue()
    assert "baseline: GET /accounts/login/" in text
    lines = {
        key: next((line for line in text.splitlines() if line.startswith(key)), None)
        for key in (
            "企业列表 ?risk_level=yellow 第1页",
            "企业列表 ?risk_level=yellow 第",
            "企业列表 ?q=",
            "企业详情页",
            "企业列表 API 第1页",
            "import 120 rows",
        )
    }
    assert all(lines.values()), text
    figure = re.compile(r"(\d+\.\d)ms +(\d+\.\d)ms +[\d.]+ +(\d+) +(\d+) +(yes|NO) +p95 < 150 ms +(PASS|FAIL)")
    for key, line in lines.items():
        if key.startswith("import"):
            assert re.search(r"\d+\.\d\ds .*< 20 s +(PASS|FAIL)", line), line
            continue
        match = figure.search(line)
        assert match, line
        median, p95, q_full, q_small, equal, _result = match.groups()
        assert float(median) <= float(p95)
        assert q_full == q_small and equal == "yes", line  # the same queries at 60 and 200 enterprises
    assert "imported 120 of 120 rows" in text
    assert m.Enterprise.objects.count() == 320
    assert User.objects.filter(username="bench_town", role=Role.TOWN).exists()


def test_benchmark_refuses_a_database_with_data():
    seed("--enterprises", "5", "--no-accounts")
    with pytest.raises(CommandError, match="already holds 5 enterprises"):
        call_command("benchmark", "--enterprises", "10", "--skip-import", stdout=StringIO())


def test_reset_clears_a_demo_with_accounts_whose_officers_froze_draws_and_made_schemes(settings):
    """`make run` seeds the demo accounts; `seed_demo --reset` must then clear them although the demo
    county officer froze and drew draws and made the agency-grading scheme (protected references)."""
    from safeserve.accounts.models import User
    from safeserve.core.models import Draw

    settings.DEBUG = True  # demo accounts exist only in development
    seed("--enterprises", "80", "--seed", "5", "--agencies", "6", "--experts", "12")
    county = User.objects.get(username="demo_county")
    assert Draw.objects.filter(frozen_by=county).exists()
    seed("--enterprises", "80", "--seed", "5", "--agencies", "6", "--experts", "12", "--reset")
    assert m.Enterprise.objects.count() == 80
    assert User.objects.filter(username="demo_county").exists()


@override_settings(DEBUG=True)  # demo accounts: the demo agency's appointments
def test_seeded_records_are_never_in_the_future_even_before_office_hours():
    """Demo visits, hazards and appointment answers fall in office hours (08:00 to 17:00) of past days
    and of today. Seeded at 05:50 in Asia/Shanghai, today's office hours have not come yet: nothing
    may be recorded after now, nor a hazard closed before it was reported."""
    from safeserve.hazards.models import Hazard, HazardEvent
    from safeserve.insurance.models import Appointment
    from safeserve.services.models import ServiceVisit

    early = datetime(2026, 12, 2, 5, 50, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(early, tick=False):
        seed("--enterprises", "300", "--seed", "3", "--agencies", "8", "--experts", "20")
        now = timezone.now()
        today = [v for v in ServiceVisit.objects.all() if timezone.localdate(v.visited_at) == timezone.localdate()]
        assert today, "the seed makes visits on today (else this test proves nothing)"
        assert Appointment.objects.filter(answered_at__date=timezone.localdate()).exists()
        assert not ServiceVisit.objects.filter(Q(visited_at__gt=now) | Q(signed_at__gt=now)).exists()
        assert not Hazard.objects.filter(Q(reported_at__gt=now) | Q(closed_at__lt=F("reported_at"))).exists()
        assert not HazardEvent.objects.filter(at__gt=now).exists()
        assert not Appointment.objects.filter(answered_at__gt=now).exists()
