"""行政处罚 import: all or nothing, each problem named by row and column in Chinese; scoped parties."""

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from safeserve.credit import penalty_import
from safeserve.credit.models import Penalty

pytestmark = pytest.mark.django_db


def workbook(rows):
    wb = Workbook()
    ws = wb.active
    ws.append(penalty_import.HEADERS)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "penalties.xlsx"
    return buf


def row(world, n, key="ent_a", kind="生产经营单位", **kw):
    code = world[key].credit_code if key else ""
    values = {
        "doc": f"嘉应急罚〔2026〕{n}号",
        "day": f"2026-03-0{n % 9 + 1}",
        "kind": kind,
        "code": code,
        "person": "",
        "violation": "未按规定开展隐患排查",
        "basis": "《中华人民共和国安全生产法》第一百零二条",
        "fine": "20000",
        "measures": "责令停产停业整顿",
        "status": "",
    }
    values.update(kw)
    return list(values.values())


def post(client, rows):
    return client.post(reverse("credit:penalty_import"), {"file": workbook(rows)})


def test_a_good_file_imports_every_row(world, client_for):
    c = client_for("county")
    r = post(
        c,
        [
            row(world, 1),
            row(world, 2, key="agency_a", kind="第三方服务机构", measures=""),
            row(world, 3, key=None, kind="个人", person="张某", measures="警告"),
        ],
    )
    assert r.status_code == 302
    assert Penalty.objects.count() == 3
    p = Penalty.objects.get(decision_number="嘉应急罚〔2026〕1号")
    assert (p.enterprise, p.measures, str(p.fine)) == (world["ent_a"], ["suspend"], "20000.00")


def test_one_bad_row_imports_nothing_and_names_row_and_column(world, client_for):
    c = client_for("county")
    r = post(c, [row(world, 1), row(world, 2, fine="两万"), row(world, 3, day="昨天"), row(world, 1)])
    text = r.content.decode()
    assert r.status_code == 400 and Penalty.objects.count() == 0
    assert "第 3 行，字段「罚款金额（元）」" in text
    assert "第 4 行，字段「处罚日期」" in text
    assert "第 5 行，字段「处罚决定书文号」：与第 2 行重复" in text


def test_a_town_imports_only_its_own_enterprises(world, client_for):
    c = client_for("town_a")
    r = post(c, [row(world, 1), row(world, 2, key="ent_b")])
    assert r.status_code == 400 and Penalty.objects.count() == 0
    assert "第 3 行，字段「统一社会信用代码」" in r.content.decode()
    r = post(c, [row(world, 4, key="agency_a", kind="第三方服务机构")])
    assert "镇（街道）只能导入本镇企业的行政处罚" in r.content.decode() and Penalty.objects.count() == 0
    assert post(c, [row(world, 5)]).status_code == 302 and Penalty.objects.count() == 1


def test_not_a_workbook(world, client_for):
    c = client_for("county")
    f = io.BytesIO(b"not a workbook")
    f.name = "x.xlsx"
    r = c.post(reverse("credit:penalty_import"), {"file": f})
    assert r.status_code == 400 and "xlsx" in r.content.decode() and Penalty.objects.count() == 0


def test_public_page_shows_published_listings_only(world, client_for):
    from datetime import timedelta

    from django.utils import timezone

    from safeserve.credit import actions

    today = timezone.localdate()
    county = world.user("county")
    p = Penalty.objects.create(
        decision_number="嘉应急罚〔2026〕9号",
        decided_on=today,
        party_kind="enterprise",
        enterprise=world["ent_a"],
        violation="无证经营",
        legal_basis="安全生产法",
    )
    li = actions.listing_propose(
        actor=county,
        data={
            "subject": "enterprise",
            "enterprise": world["ent_a"],
            "situation": "no_permit",
            "penalty": p,
            "facts": "未取得许可从事生产经营",
        },
    )
    anon = client_for("anon")
    url = reverse("credit:public_listings")
    assert world["ent_a"].name not in anon.get(url).content.decode()
    li = actions.listing_transition(actor=county, listing=li, action="notify")
    li = actions.listing_transition(
        actor=county, listing=li, action="decide", on=li.objection_deadline + timedelta(days=1)
    )
    assert world["ent_a"].name not in anon.get(url).content.decode()
    actions.listing_transition(actor=county, listing=li, action="publish")
    text = anon.get(url).content.decode()
    assert world["ent_a"].name in text and world["ent_a"].credit_code in text and li.decision_number in text
    assert world["ent_a"].legal_representative not in text and world["ent_a"].address not in text
