"""No workbook we write carries a live formula (issue 8, item 8: CSV/Excel formula injection).

Hostile names are planted in every register, then every export route, the hazard ledger and
statistics, the import templates and the import problem list are downloaded: no cell may be a
formula or start with a formula trigger, and the hostile text stays visible as literal text.
"""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from safeserve.assessment.actions import assessment_open
from safeserve.core.excel import FORMULA_TRIGGERS, as_text_cell, from_text_cell
from safeserve.core.tests.test_route_coverage import all_route_names
from safeserve.hazards import actions as hazard_actions
from safeserve.registry import models as m
from safeserve.registry.roster_import import get_importer
from safeserve_dev.assessment_fixtures import make_scheme
from safeserve_dev.services_fixtures import make_contract

# No ":" or "/" here: the ledger names its sheet after the enterprise (sheet titles are another fix).
HOSTILE = '=HYPERLINK("https"&CHAR(58)&B3,"点我")'
PAYLOADS = {
    "enterprise": HOSTILE,
    "agency": "+cmd|' /C calc'!A0",
    "expert": "@SUM(1+1)*cmd|' /C calc'!A0",
    "association": "-2+3+cmd|' /C calc'!A0",
    "insurer": "\t=1+1",
    "staff": "\r=1+1",
}
# Routes that answer with a workbook but are not named ``*_export``: each is downloaded below.
OTHER_WORKBOOK_ROUTES = {"hazards:ledger", "hazards:statistics", "registry:import_template"} | {
    f"registry:{k}_import" for k in ("enterprise", "agency", "expert")
}
# The account template and credential sheet: accounts/tests/test_provisioning.py checks them inert.
OTHER_WORKBOOK_ROUTES |= {"accounts:user_import", "accounts:user_import_template", "accounts:user_import_credentials"}
# The attendance import's template (a header row only): training/tests/test_training.py checks it inert.
OTHER_WORKBOOK_ROUTES |= {"training:attendance_import"}
# The tip-off handlers' ledger (举报人台账) and the penalty import's template: downloaded below.
OTHER_WORKBOOK_ROUTES |= {"tipoffs:ledger", "credit:penalty_template"}
# The subsidy summary (?download=1): downloaded in test_subsidy_workbooks_write_text_as_text.
OTHER_WORKBOOK_ROUTES |= {"subsidies:overview"}
# Imports that read a workbook and answer a page (every bad row listed on it, no problem-list
# workbook): nothing of theirs is downloaded. ``test_these_imports_answer_pages`` holds them to it.
IMPORT_PAGES = {"credit:penalty_import", "experts:pool_import"}
# The insurers' policy import (an insurer-only page answering a page; insurance/tests/test_policies.py),
# its template, and the regulator's insurance ledger: downloaded below.
OTHER_WORKBOOK_ROUTES |= {"insurance:policy_import", "insurance:policy_template", "insurance:ledger"}
# Exports of one record: the URL is built from a record of the hostile world.
ROUTE_ARGS = {
    "assessment:assessment_export": lambda w: [w["assessment_hostile"].pk],
    "supervision:agency_file_export": lambda w: [w["agency_a"].pk],
    "insurance:insured_file_export": lambda w: [w["ent_a"].pk],
}
ASSESSMENT_TITLE = "@SUM(1+1) 年度考核"


@pytest.fixture
def hostile(world):
    make_contract(world)
    m.Enterprise.objects.filter(pk=world["ent_a"].pk).update(name=PAYLOADS["enterprise"])
    m.Agency.objects.filter(pk=world["agency_a"].pk).update(name=PAYLOADS["agency"])
    m.Expert.objects.filter(pk=world["expert_a"].pk).update(name=PAYLOADS["expert"])
    m.Association.objects.filter(pk=world["assoc_a"].pk).update(name=PAYLOADS["association"])
    m.Insurer.objects.filter(pk=world["insurer_a"].pk).update(name=PAYLOADS["insurer"])
    m.AgencyStaff.objects.filter(pk=world["staff_a"].pk).update(name=PAYLOADS["staff"])
    world["ent_a"].refresh_from_db()
    # A 安责险 policy of the hostile enterprise by the hostile insurer, starting in ten days (so the
    # enterprise, of a mandatory industry, is also on today's 应保未保 list).
    from safeserve_dev.insurance_fixtures import make_policy

    m.Industry.objects.filter(pk=world["industry"].pk).update(insurance_mandatory=True)
    start = timezone.localdate() + timedelta(days=10)
    world.objs["policy_hostile"] = make_policy(world, number="=1+1", start=start, end=start + timedelta(days=300))
    county = world.user("county")
    scheme = make_scheme(county, year=timezone.localdate().year, name="-2+3 考核方案")
    world.objs["assessment_hostile"] = assessment_open(
        actor=county, scheme=scheme, cut_off=timezone.localdate(), title=ASSESSMENT_TITLE
    )
    hazard_actions.hazard_report(
        actor=world.user("town_a"),
        enterprise=world["ent_a"],
        location="=1+1",
        description="-2+3+cmd|' /C calc'!A0",
        responsible_person="@SUM(A1)",
    )
    return world


def _cells(resp):
    assert resp.status_code == 200, resp.content[:300] if hasattr(resp, "content") else resp
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))  # formulas kept as formulas
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def _assert_inert(cells, where):
    for c in cells:
        assert c.data_type != "f", f"{where} {c.coordinate}: formula {c.value!r}"
        if isinstance(c.value, str):
            assert not c.value.startswith(FORMULA_TRIGGERS) or as_text_cell(c.value) == c.value, (
                f"{where} {c.coordinate}: {c.value!r}"
            )
    return {c.value for c in cells if isinstance(c.value, str)}


def _export_routes():
    return sorted(n for n in all_route_names() if n.endswith("_export"))


def test_every_workbook_route_is_checked():
    names = set(all_route_names())
    workbook_like = {n for n in names if any(w in n for w in ("export", "ledger", "statistics", "import_template"))}
    workbook_like |= {n for n in names if n.endswith("_import")}
    assert workbook_like <= set(_export_routes()) | OTHER_WORKBOOK_ROUTES | IMPORT_PAGES
    assert "registry:enterprise_export" in _export_routes()
    assert set(ROUTE_ARGS) <= set(_export_routes())


def _export_url(name, world):
    return reverse(name, args=ROUTE_ARGS[name](world)) if name in ROUTE_ARGS else reverse(name)


def test_every_export_route_writes_text_as_text(hostile, client_for):
    county = client_for("county")
    seen = set()
    for name in _export_routes():
        seen |= _assert_inert(_cells(county.get(_export_url(name, hostile))), name)
    assert "'" + HOSTILE in seen  # the enterprise register, visible as literal text
    assert "'" + ASSESSMENT_TITLE in seen  # an export of one record (an assessment), built from its pk
    for payload in PAYLOADS.values():
        assert "'" + payload.replace("\r", "\n") in seen, payload  # XML reads a lone CR back as LF
    # What an enterprise user downloads of its own record holds the same literal text.
    own = _assert_inert(_cells(client_for("ent_a").get(reverse("registry:enterprise_export"))), "ent_a")
    assert "'" + HOSTILE in own


def test_hazard_ledger_and_statistics_write_text_as_text(hostile, client_for):
    today = timezone.localdate()
    period = {"start": (today - timedelta(days=5)).isoformat(), "end": today.isoformat(), "download": "1"}
    for persona in ("county", "town_a", "ent_a"):
        values = _assert_inert(_cells(client_for(persona).get(reverse("hazards:ledger"), period)), "ledger")
        assert {"'" + HOSTILE, "'=1+1", "'-2+3+cmd|' /C calc'!A0", "'@SUM(A1)"} <= values
    stats = client_for("county").get(reverse("hazards:statistics"), {"by": "enterprise", "download": "1"})
    assert "'" + HOSTILE in _assert_inert(_cells(stats), "statistics")


def test_tipoff_ledger_and_penalty_template_write_text_as_text(hostile, client_for):
    from safeserve.tipoffs.tests.fixtures import file_tipoff, make_handler

    file_tipoff(enterprise=hostile["ent_a"], name="=1+1", phone="13911110009", text="-2+3+cmd|' /C calc'!A0")
    handler = make_handler()
    c = client_for("anon")
    c.force_login(handler)
    values = _assert_inert(_cells(c.get(reverse("tipoffs:ledger"))), "tipoffs:ledger")
    assert {"'" + HOSTILE, "'=1+1"} <= values  # the reported enterprise and the reporter, literal text
    _assert_inert(_cells(client_for("county").get(reverse("credit:penalty_template"))), "credit:penalty_template")


def test_insurance_workbooks_write_text_as_text(hostile, client_for):
    county = client_for("county")
    year = hostile["policy_hostile"].start_date.year
    ledger = _assert_inert(
        _cells(county.get(reverse("insurance:ledger"), {"download": "1", "year": year})), "insurance:ledger"
    )
    assert "'" + PAYLOADS["insurer"] in ledger
    uninsured = _assert_inert(
        _cells(county.get(reverse("insurance:uninsured"), {"download": "1"})), "insurance:uninsured"
    )
    assert "'" + HOSTILE in uninsured
    _assert_inert(
        _cells(client_for("insurer_a").get(reverse("insurance:policy_template"))), "insurance:policy_template"
    )
    # The appointments' list (?download=1): a hostile place and the hostile insured, literal text.
    from safeserve.insurance.models import Appointment, PreventionPlan

    policy = hostile["policy_hostile"]
    plan = PreventionPlan.objects.create(policy=policy, items=["hazard"], agency=hostile["agency_a"], goals="g")
    Appointment.objects.create(
        plan=plan, day=policy.start_date, place="=1+1", items=["hazard"], proposed_by=hostile.user("agency_a")
    )
    appointments = _assert_inert(
        _cells(county.get(reverse("insurance:appointment_list"), {"download": "1"})), "insurance:appointment_list"
    )
    assert {"'=1+1", "'" + HOSTILE} <= appointments


def test_lists_that_download_themselves_write_text_as_text(hostile, client_for):
    """The hand-written lists whose export is the page with ?download=1 (test_lists.DOWNLOAD)."""
    from safeserve.core.tests.test_lists import DOWNLOAD

    county = client_for("county")
    seen = set()
    for name in sorted(DOWNLOAD):
        seen |= _assert_inert(_cells(county.get(reverse(name), {"download": "1"})), name)
    assert "'" + ASSESSMENT_TITLE in seen  # assessment:assessment_list


def test_these_imports_answer_pages(client_for):
    county = client_for("county")
    for name in IMPORT_PAGES:
        resp = county.get(reverse(name))
        assert resp.status_code == 200 and resp["Content-Type"].startswith("text/html"), name


def test_import_templates_and_problem_list_write_text_as_text(hostile, client_for, tmp_path, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_UPLOAD_DIR": str(tmp_path)}
    county = client_for("county")
    for kind in ("enterprise", "agency", "expert"):
        _assert_inert(_cells(county.get(reverse("registry:import_template", args=[kind]))), kind)
    # A roster with hostile cells: the problem list quotes them, inert.
    importer = get_importer("enterprise", None)
    example = {**importer.example_row(), "town": "=1+1", "industry": "@SUM(A1)"}
    wb = Workbook()
    ws = wb.active
    ws.append([c.header for c in importer.columns])
    ws.append([example.get(c.field, "") for c in importer.columns])
    for c in ws[2]:
        c.data_type = "s"  # text cells, as a user's file would hold them
    path = tmp_path / "hostile.xlsx"
    wb.save(path)
    with path.open("rb") as fh:
        page = county.post(reverse("registry:enterprise_import"), {"file": fh})
    token = page.context["token"]
    values = _assert_inert(_cells(county.get(reverse("registry:enterprise_import"), {"errors": token})), "errors")
    assert any("=1+1" in v for v in values) and any("@SUM(A1)" in v for v in values)


def test_as_text_cell_keeps_types_and_escapes_triggers():
    day = date(2026, 1, 2)
    for value in (0, -5, 3.5, day, True, None, "普通文本", "-5", "+3.25", "13800000001"):
        assert as_text_cell(value) == value
    for text in ("=1+1", "+1+cmd", "-1+cmd", "@A1", "\t=1", "\r=1", "\n=1", "＝1+1", "-", "@"):
        assert as_text_cell(text) == "'" + text
        assert from_text_cell(as_text_cell(text)) == text
    assert from_text_cell("'abc") == "'abc"


def test_subsidy_workbooks_write_text_as_text(hostile, client_for):
    """The subsidy applications' export and the county summary's workbook (?download=1)."""
    from safeserve_dev.subsidies_fixtures import make_application, make_own_contract, make_policy

    policy = make_policy(hostile, name="=1+1 补贴政策")
    make_application(hostile, policy, make_own_contract(hostile, number="@SUM(A1)"))
    for persona in ("county", "town_a", "ent_a"):
        export = client_for(persona).get(reverse("subsidies:subsidyapplication_export"))
        values = _assert_inert(_cells(export), f"subsidies export as {persona}")
        assert {"'" + HOSTILE, "'=1+1 补贴政策", "'@SUM(A1)"} <= values
    for persona in ("county", "town_a"):
        summary = client_for(persona).get(reverse("subsidies:overview"), {"download": "1"})
        _assert_inert(_cells(summary), f"subsidies summary as {persona}")
