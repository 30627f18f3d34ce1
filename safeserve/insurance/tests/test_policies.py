"""Policies: the 应保未保 flag and its lifting on the start date, the coverage channel, the 21% ceiling,
the .xlsx import (all or nothing, row and field errors) and the insurers' bulk API (idempotent,
insurer-scoped)."""

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core import hooks
from safeserve.insurance import actions, queries
from safeserve.insurance.models import Policy
from safeserve_dev.insurance_fixtures import make_policy

TODAY = timezone.localdate()


@pytest.fixture
def mandatory(world):
    world["industry"].insurance_mandatory = True
    world["industry"].save()
    return world


def _row(world, number="PA-X-1", code=None, **kw):
    values = {
        "number": number,
        "credit_code": code or world["ent_a"].credit_code,
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + timedelta(days=364)).isoformat(),
        "premium": "12000",
        "premium_collected": "12000",
        "limit_per_person": "800000",
        "limit_per_accident": "5000000",
        "employees_covered": "30",
        "prevention_share": "20",
        "status": "有效",
        "note": "",
    }
    values.update(kw)
    return values


def _raw(rows):
    return [(i, [r.get(k, "") for k in actions.KEYS]) for i, r in enumerate(rows, start=2)]


def test_mandatory_enterprise_is_flagged_until_the_policy_start_date(mandatory):
    world = mandatory
    county = world.user("county")
    start = TODAY + timedelta(days=10)
    make_policy(world, start=start, end=start + timedelta(days=364))
    day_before = start - timedelta(days=1)
    assert world["ent_a"] in queries.uninsured(county, day_before)
    assert queries.is_uninsured(world["ent_a"], day_before)
    assert world["ent_a"] not in queries.uninsured(county, start)
    assert not queries.is_uninsured(world["ent_a"], start)
    # A town sees only its own town's uninsured enterprises.
    assert list(queries.uninsured(world.user("town_a"), day_before)) == [world["ent_a"]]
    assert list(queries.uninsured(world.user("town_b"), start)) == [world["ent_b"]]


def test_an_enterprise_outside_the_mandatory_industries_is_never_flagged(world):
    assert not queries.uninsured(world.user("county"), TODAY).exists()


def test_a_cancelled_policy_does_not_insure(mandatory):
    p = make_policy(mandatory, status="cancelled")
    assert queries.is_uninsured(mandatory["ent_a"], TODAY)
    p.status = "active"
    p.save()
    assert not queries.is_uninsured(mandatory["ent_a"], TODAY)


def test_the_uninsured_flag_shows_on_the_page_on_a_date(mandatory, client_for):
    start = TODAY + timedelta(days=5)
    make_policy(mandatory, start=start, end=start + timedelta(days=300))
    c = client_for("county")
    before = c.get(reverse("insurance:uninsured"), {"on": (start - timedelta(days=1)).isoformat()})
    on_start = c.get(reverse("insurance:uninsured"), {"on": start.isoformat()})
    assert mandatory["ent_a"].name in before.content.decode()
    assert mandatory["ent_a"].name not in on_start.content.decode()


def test_the_insurance_coverage_channel_counts_a_valid_policy(world):
    ids = [world["ent_a"].pk, world["ent_b"].pk]
    start = TODAY + timedelta(days=3)
    make_policy(world, start=start, end=start + timedelta(days=30))
    covered = lambda d: set(hooks.COVERAGE_CHANNELS["insurance"](ids, d).values_list("enterprise_id", flat=True))  # noqa: E731
    assert covered(start - timedelta(days=1)) == set()
    assert covered(start) == {world["ent_a"].pk}
    assert covered(start + timedelta(days=31)) == set()


def test_a_prevention_share_of_22_percent_is_refused_in_chinese(world):
    p = make_policy(world)
    p.prevention_share = Decimal("22")
    with pytest.raises(ValidationError) as exc:
        p.full_clean()
    message = exc.value.message_dict["prevention_share"][0]
    assert "不得超过实收保费的21%" in message and "22" in message
    p.prevention_share = Decimal("21")
    p.full_clean()
    assert p.prevention_planned == Decimal("2100.00")


def test_the_form_refuses_22_percent(world, client_for):
    c = client_for("insurer_a")
    body = {k: v for k, v in _row(world).items() if k not in ("credit_code", "status")}
    body.update(enterprise=world["ent_a"].credit_code, status="active", safety_honour="none", prevention_share="22")
    resp = c.post(reverse("insurance:policy_add"), body)
    assert resp.status_code == 200
    assert "不得超过实收保费的21%" in resp.content.decode()
    assert not Policy.objects.exists()
    body["prevention_share"] = "21"
    resp = c.post(reverse("insurance:policy_add"), body)
    assert resp.status_code == 302
    p = Policy.objects.get()
    assert (p.insurer, p.enterprise, p.prevention_share) == (world["insurer_a"], world["ent_a"], Decimal("21"))


def test_rows_are_checked_all_or_nothing_with_row_and_field(world):
    insurer = world.user("insurer_a")
    good = _row(world, "PA-1")
    bad = _row(world, "PA-2", code="91330421MA0000000X", prevention_share="22")
    rows, errors = actions.validate_rows(insurer, _raw([good, bad, _row(world, "PA-1")]))
    shown = [e.display() for e in errors]
    assert any(s.startswith("第 3 行，字段「投保企业统一社会信用代码」") for s in shown)
    assert any("第 4 行，字段「保单号」：与第 2 行重复" in s for s in shown)
    assert len(rows) == 1  # the caller writes nothing when there is any error


def test_another_insurers_policy_number_is_refused(world):
    make_policy(world, insurer="insurer_b", enterprise="ent_b", number="PB-1")
    _rows, errors = actions.validate_rows(world.user("insurer_a"), _raw([_row(world, "PB-1")]))
    assert [e.reason for e in errors] == ["该保单号已由其他保险机构登记"]


def test_only_insurer_staff_register_policies(world):
    for persona in ("county", "town_a", "ent_a"):
        with pytest.raises(PermissionDenied):
            actions.validate_rows(world.user(persona), _raw([_row(world)]))


def _xlsx(rows, headers=None):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(headers or actions.HEADERS)
    for r in rows:
        ws.append([r.get(k, "") for k in actions.KEYS])
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("保单.xlsx", buf.getvalue())


def test_import_page_writes_all_or_none(world, client_for):
    c = client_for("insurer_a")
    resp = c.post(
        reverse("insurance:policy_import"),
        {"file": _xlsx([_row(world, "PA-1"), _row(world, "PA-2", start_date="2026-13-01")])},
    )
    assert resp.status_code == 400
    assert "第 3 行，字段「保险期起」：日期格式应为 2026-01-31" in resp.content.decode()
    assert not Policy.objects.exists()
    resp = c.post(
        reverse("insurance:policy_import"),
        {"file": _xlsx([_row(world, "PA-1"), _row(world, "PA-2", credit_code=world["ent_b"].credit_code)])},
    )
    assert resp.status_code == 302
    assert set(Policy.objects.values_list("number", "insurer_id")) == {
        ("PA-1", world["insurer_a"].pk),
        ("PA-2", world["insurer_a"].pk),
    }


def test_bulk_api_is_idempotent_and_updates_by_number(world):
    c = Client()
    c.force_login(world.user("insurer_a"))
    url = "/api/v1/insurance/policies/bulk/"
    batch = {"policies": [_row(world, "PA-1"), _row(world, "PA-2", credit_code=world["ent_b"].credit_code)]}
    first = c.post(url, json.dumps(batch), content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json() == {"created": ["PA-1", "PA-2"], "updated": [], "unchanged": []}
    again = c.post(url, json.dumps(batch), content_type="application/json")
    assert again.json() == {"created": [], "updated": [], "unchanged": ["PA-1", "PA-2"]}
    assert Policy.objects.count() == 2
    batch["policies"][0]["premium_collected"] = "11000"
    third = c.post(url, json.dumps(batch), content_type="application/json")
    assert third.json() == {"created": [], "updated": ["PA-1"], "unchanged": ["PA-2"]}
    assert Policy.objects.get(number="PA-1").premium_collected == Decimal("11000")


def test_bulk_api_cannot_write_another_insurers_policy(world):
    theirs = make_policy(world, insurer="insurer_b", enterprise="ent_b", number="PB-1")
    c = Client()
    c.force_login(world.user("insurer_a"))
    resp = c.post(
        "/api/v1/insurance/policies/bulk/",
        json.dumps({"policies": [_row(world, "PB-1", premium_collected="1")]}),
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["reason"] == "该保单号已由其他保险机构登记"
    theirs.refresh_from_db()
    assert theirs.insurer == world["insurer_b"] and theirs.premium_collected == Decimal("10000")


def test_bulk_api_refuses_everyone_but_insurers(world):
    for persona in ("county", "town_a", "ent_a", "agency_a"):
        c = Client()
        c.force_login(world.user(persona))
        resp = c.post(
            "/api/v1/insurance/policies/bulk/",
            json.dumps({"policies": [_row(world)]}),
            content_type="application/json",
        )
        assert resp.status_code == 403, persona
    assert not Policy.objects.exists()


def test_the_insurer_scope_through_pages_api_and_exports(world):
    mine = make_policy(world, number="PA-MINE")
    theirs = make_policy(world, insurer="insurer_b", enterprise="ent_b", number="PB-THEIRS")
    other = User.objects.create(username="insurer_b", role=Role.INSURER, insurer=world["insurer_b"])
    for user, seen, hidden in ((world.user("insurer_a"), mine, theirs), (other, theirs, mine)):
        c = Client()
        c.force_login(user)
        page = c.get(reverse("insurance:policy_list")).content.decode()
        assert seen.number in page and hidden.number not in page
        ids = {r["id"] for r in c.get("/api/v1/insurance/policies/").json()["results"]}
        assert ids == {seen.pk}
        assert c.get(reverse("insurance:policy_detail", args=[hidden.pk])).status_code == 404
        assert c.get(reverse("insurance:insured_file", args=[hidden.enterprise_id])).status_code == 404
        export = c.get(reverse("insurance:policy_export"))
        from openpyxl import load_workbook

        cells = {
            str(v)
            for row in load_workbook(io.BytesIO(export.getvalue())).active.iter_rows(values_only=True)
            for v in row
        }
        assert seen.number in cells and hidden.number not in cells


def test_the_enterprise_panel_shows_the_flag(mandatory, client_for):
    resp = client_for("county").get(mandatory["ent_a"].get_absolute_url())
    panel = next(p for p in resp.context["panels"] if p["key"] == "insurance")
    assert panel["items"][0]["text"] == "强制投保行业，今日无有效安责险保单"
    make_policy(mandatory, start=TODAY)
    resp = client_for("county").get(mandatory["ent_a"].get_absolute_url())
    panel = next(p for p in resp.context["panels"] if p["key"] == "insurance")
    assert [f["value"] for f in panel["figures"]] == [1, "否"]


def test_dates_are_whole_days(world):
    assert queries.months_before(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert queries.months_before(date(2026, 3, 15), 6) == date(2025, 9, 15)
