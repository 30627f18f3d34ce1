"""A town officer's contract work: the agency first and then only its staff, enterprises found by name
within the town, and the signed contract scan (PDF or photo) checked by content."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeserve.registry.models import AgencyStaff
from safeserve.services.models import ServiceContract
from safeserve_dev.services_fixtures import make_contract, pdf, png
from safeserve_dev.testkit import make_id_number

pytestmark = pytest.mark.django_db


def test_the_staff_field_offers_only_the_chosen_agencys_staff(world, client_for):
    town = client_for("town_a")
    AgencyStaff.objects.create(agency=world["agency_b"], name="冯工", id_number=make_id_number(9))
    page = town.get(reverse("services:servicecontract_add")).content.decode()
    assert "请先选择服务机构" in page and world["staff_a"].name not in page
    assert f'hx-get="{reverse("services:contract_staff_options")}"' in page
    options = town.get(reverse("services:contract_staff_options"), {"agency": world["agency_a"].pk}).content.decode()
    assert world["staff_a"].name in options and "冯工" not in options
    options = town.get(reverse("services:contract_staff_options"), {"agency": world["agency_b"].pk}).content.decode()
    assert "冯工" in options and world["staff_a"].name not in options


def test_enterprises_are_found_by_name_within_the_town(world, client_for):
    url = reverse("services:contract_enterprise_search")
    found = client_for("town_a").get(url, {"q": "有限"}).json()["results"]
    assert [r["id"] for r in found] == [world["ent_a"].pk]
    assert client_for("town_b").get(url, {"q": world["ent_a"].name[:4]}).json()["results"] == []
    assert client_for("agency_a").get(url, {"q": "有限"}).status_code == 403


def test_a_contract_is_made_with_picked_enterprises_and_its_scan_attached(world, client_for, media_root):
    town = client_for("town_a")
    today = timezone.localdate()
    data = {
        "number": "JS-PICK-1",
        "agency": world["agency_a"].pk,
        "payer_type": "town",
        "payer_town": world["town_a"].pk,
        "items": ["hazard"],
        "start_date": today.isoformat(),
        "end_date": today.replace(year=today.year + 1).isoformat(),
        "fee": "1000",
        "visits_per_year": "4",
        "staff": [world["staff_a"].pk],
    }
    resp = town.post(reverse("services:servicecontract_add"), data)
    assert "至少选择一家服务企业" in resp.content.decode()
    resp = town.post(reverse("services:servicecontract_add"), {**data, "enterprise_picks": [world["ent_a"].pk]})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    c = ServiceContract.objects.get(number="JS-PICK-1")
    assert list(c.enterprises.all()) == [world["ent_a"]]
    # Another town's enterprise cannot be picked.
    resp = town.post(
        reverse("services:servicecontract_add"),
        {**data, "number": "JS-PICK-2", "enterprise_picks": [world["ent_b"].pk]},
    )
    assert resp.status_code == 200 and not ServiceContract.objects.filter(number="JS-PICK-2").exists()

    scan_url = reverse("services:contract_scan", args=[c.pk])
    hostile = SimpleUploadedFile("合同.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    page = town.post(scan_url, {"scan": hostile}, follow=True).content.decode()
    assert "「合同.pdf」是网页或文本文件，不是 PDF 或照片；请上传扫描件的 PDF 或照片" in page
    c.refresh_from_db()
    assert not c.scan
    good = pdf("签署合同.pdf")
    content = good.read()
    good.seek(0)
    assert town.post(scan_url, {"scan": good}).status_code == 302
    c.refresh_from_db()
    assert c.scan.name.endswith(f"{c.scan_sha256}.pdf")
    resp = client_for("agency_a").get(scan_url)
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf" and resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Content-Disposition"].startswith("attachment")
    assert b"".join(resp.streaming_content) == content
    # A photo of the signed page is accepted too (re-encoded); the agency may not attach one.
    assert town.post(scan_url, {"scan": png("签字页.png")}).status_code == 302
    c.refresh_from_db()
    assert c.scan.name.endswith(".png")
    assert client_for("agency_a").post(scan_url, {"scan": pdf()}).status_code == 403


def test_contract_page_offers_the_scan_upload_to_its_owner_only(world, client_for):
    c = make_contract(world, status="draft", payer_type="town", payer_town=world["town_a"], number="HT-T")
    assert 'data-testid="scan-upload"' in client_for("town_a").get(c.get_absolute_url()).content.decode()
    assert 'data-testid="scan-upload"' not in client_for("agency_a").get(c.get_absolute_url()).content.decode()
