"""The agency file (一机构一档): a town officer sees agencies working in its town with only its
town's records; the agency only its own file; the .xlsx bundle (one sheet per section) and the PDF
carry the same scoped rows."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from safeserve.core import hooks
from safeserve.services import actions as service_actions
from safeserve.supervision import queries
from safeserve_dev import permsuite
from safeserve_dev.services_fixtures import all_ok, extend_world, general_template, make_contract
from safeserve_dev.supervision_fixtures import make_notice


def agency_a_in_both_towns(world):
    """Agency A also serves enterprise B (town B): one visit in each town."""
    o = world.objs
    contract = make_contract(world, number="HT-A-B", enterprises=("ent_b",))
    t = general_template()
    o["visit_ab"] = service_actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=world["ent_b"],
        visited_at=timezone.now() - timedelta(hours=1),
        staff=[world["staff_a"]],
        template=t,
        results=all_ok(t),
    )
    o["notice_a"] = make_notice(world, staff=("staff_a",), note="甲机构执业告知")
    return world


world = permsuite.shared_world(extend_world, agency_a_in_both_towns)


def _client(world, persona):
    c = Client()
    c.force_login(world.user(persona))
    return c


def _visit_enterprises(world, persona, agency="agency_a"):
    sections = {s.key: s for s in queries.agency_file(world.user(persona), world[agency])}
    return sorted(row[1] for row in sections["visits"].rows)


@pytest.mark.django_db
def test_a_town_sees_only_its_own_towns_records_in_the_file(world):
    a, b = world["ent_a"].name, world["ent_b"].name
    assert _visit_enterprises(world, "county") == sorted([a, b])
    assert _visit_enterprises(world, "town_a") == [a]
    assert _visit_enterprises(world, "town_b") == [b]
    page = _client(world, "town_b").get(f"/supervision/agencies/{world['agency_a'].pk}/").content.decode()
    assert b in page and a not in page


@pytest.mark.django_db
def test_the_agency_opens_only_its_own_file(world):
    c = _client(world, "agency_a")
    assert c.get(f"/supervision/agencies/{world['agency_a'].pk}/").status_code == 200
    assert c.get(f"/supervision/agencies/{world['agency_b'].pk}/").status_code == 404
    assert c.get(f"/supervision/agencies/{world['agency_b'].pk}/export.xlsx").status_code == 404
    # Town A: agency B works only in town B.
    assert _client(world, "town_a").get(f"/supervision/agencies/{world['agency_b'].pk}/").status_code == 404
    assert _client(world, "ent_a").get(f"/supervision/agencies/{world['agency_a'].pk}/").status_code == 403


@pytest.mark.django_db
def test_the_xlsx_bundle_has_a_sheet_per_section_with_the_scoped_rows(world, settings):
    resp = _client(world, "town_a").get(f"/supervision/agencies/{world['agency_a'].pk}/export.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)), read_only=True)
    titles = [ws.title for ws in wb.worksheets]
    assert titles[:5] == ["基本信息", "资质", "人员及证书", "执业告知", "服务合同"]
    assert "服务记录" in titles and "抽查结果" in titles
    cells = [str(v) for v in wb["服务记录"].iter_rows(values_only=True) for v in v if v]
    assert world["ent_a"].name in cells and world["ent_b"].name not in cells
    # The staff member's ID number is masked for a town officer.
    staff = [str(v) for row in wb["人员及证书"].iter_rows(values_only=True) for v in row if v]
    assert world["staff_a"].id_number not in staff


@pytest.mark.django_db
def test_the_pdf_names_the_agency(world):
    resp = _client(world, "county").get(f"/supervision/agencies/{world['agency_a'].pk}/file.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages).replace("\x00", "")
    assert world["agency_a"].credit_code in text


@pytest.mark.django_db
def test_staff_sufficiency_against_the_minimum_of_five(world):
    s = queries.staff_sufficiency(world["agency_a"].pk, timezone.localdate())
    assert (s.count, s.minimum, s.sufficient) == (1, 5, False)
    page = _client(world, "county").get(f"/supervision/agencies/{world['agency_a'].pk}/").content.decode()
    assert "1人（最低5人）：不足" in page


@pytest.mark.django_db
def test_other_apps_add_sections_through_the_hook(world, monkeypatch):
    def reports(user, agency):
        return [{"key": "reports_against", "title": "举报", "headers": ["编号"], "rows": [["JB-1"]]}]

    monkeypatch.setattr(hooks, "AGENCY_FILE_SECTIONS", [reports])
    page = _client(world, "county").get(f"/supervision/agencies/{world['agency_a'].pk}/").content.decode()
    assert 'data-testid="section-reports_against"' in page and "JB-1" in page


@pytest.mark.django_db
def test_the_file_page_costs_the_same_queries_with_more_records(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safeserve.supervision.models import SampledItem, SamplingRound
    from safeserve_dev.supervision_fixtures import make_recheck

    c = _client(world, "county")
    url = f"/supervision/agencies/{world['agency_a'].pk}/"
    c.get(url)  # warm caches (content types, permissions)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    rnd = SamplingRound.objects.create(year=2005, half=1, share="0.15", created_by=world.user("county"))
    for visit in ("visit_a", "visit_ab"):
        item = SampledItem.objects.create(round=rnd, agency=world["agency_a"], visit=world[visit], rank=1)
        make_recheck(world, item, "confirmed")
    make_notice(world, towns=("town_a", "town_b"), staff=("staff_a",))
    assert count() == before
