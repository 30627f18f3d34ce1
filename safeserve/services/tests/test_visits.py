from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from safeserve.notifications.models import Notification
from safeserve.registry.models import AgencyStaff
from safeserve.services import actions, chain
from safeserve.services.models import ServiceVisit, VisitItemResult, VisitPhoto
from safeserve.services.queries import agency_ratings, missing_visits
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract, png
from safeserve_dev.testkit import earlier_today, make_id_number

pytestmark = pytest.mark.django_db


def record(world, contract, *, when=None, photos=(), findings="", staff=None, **kw):
    t = general_template()
    return actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=world["ent_a"],
        visited_at=when or earlier_today(hours=1),
        staff=staff or [world["staff_a"]],
        template=t,
        results=all_ok(t),
        findings=findings,
        signed_by="李四",
        photos=photos,
        **kw,
    )


def test_record_visit_chains_to_previous(world):
    c = make_contract(world)
    v1 = record(world, c, photos=[png()])
    v2 = record(world, c, findings="配电箱门未关")
    assert (v1.seq, v2.seq) == (1, 2)
    assert v1.prev_hash == ""
    assert v2.prev_hash == v1.content_hash
    assert len(v1.content_hash) == 64
    photo = v1.photos.get()
    assert len(photo.sha256) == 64
    assert chain.verify_all().ok
    assert VisitItemResult.objects.filter(visit=v1).count() == general_template().items.count()


def test_unqualified_staff_is_refused_by_name(world):
    c = make_contract(world)
    day = timezone.localdate()
    lapsed = AgencyStaff.objects.create(
        agency=world["agency_a"],
        name="孙工",
        id_number=make_id_number(7),
        is_registered_engineer=True,
        engineer_certificate_no="ZA-OLD",
        engineer_certificate_valid_until=day - timedelta(days=1),
    )
    with pytest.raises(ValidationError) as exc:
        record(world, c, staff=[world["staff_a"], lapsed])
    msg = " ".join(exc.value.message_dict["staff"])
    assert "孙工" in msg and day.isoformat() in msg
    assert not ServiceVisit.objects.exists()
    # The same person was qualified a week ago: a visit recorded for that day is accepted.
    v = record(world, c, staff=[lapsed], when=timezone.now() - timedelta(days=7))
    assert v.pk


def test_refusals(world):
    c = make_contract(world)
    other = make_contract(world, number="HT-B", agency="agency_b", enterprises=("ent_b",))
    with pytest.raises(PermissionDenied):
        record(world, other)
    with pytest.raises(ValidationError):
        record(world, c, when=timezone.now() + timedelta(days=2))
    t = general_template()
    first = t.items.first()
    with pytest.raises(ValidationError):
        actions.visit_record(
            actor=world.user("agency_a"),
            contract=c,
            enterprise=world["ent_a"],
            visited_at=timezone.now(),
            staff=[world["staff_a"]],
            template=t,
            results={first.pk: ("ok", "")},
        )
    with pytest.raises(PermissionDenied):
        actions.visit_record(
            actor=world.user("town_a"),
            contract=c,
            enterprise=world["ent_a"],
            visited_at=timezone.now(),
            staff=[world["staff_a"]],
        )


class TestTamperEvidence:
    def test_content_change_outside_the_app_is_reported(self, world, client_for):
        c = make_contract(world)
        v1 = record(world, c)
        v2 = record(world, c)
        out = StringIO()
        call_command("verify_records", stdout=out)
        assert "checked 2 records, 0 broken" in out.getvalue()
        ServiceVisit.objects.filter(pk=v1.pk).update(findings="改过的内容")
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("verify_records", stdout=out)
        assert f"visit={v1.pk}" in out.getvalue() and "content changed" in out.getvalue()
        assert f"visit={v2.pk}" not in out.getvalue()  # v2's link to v1's stored hash is intact
        page = client_for("agency_a").get(v1.get_absolute_url()).content.decode()
        assert 'data-testid="chain-broken"' in page
        assert 'data-testid="chain-ok"' in client_for("agency_a").get(v2.get_absolute_url()).content.decode()

    def test_checklist_result_change_is_reported(self, world):
        c = make_contract(world)
        v = record(world, c)
        first = VisitItemResult.objects.filter(visit=v).order_by("id").first()
        VisitItemResult.objects.filter(pk=first.pk).update(result="na")
        report = chain.verify_all()
        assert [b[0] for b in report.broken] == [v.pk]

    def test_replaced_photo_file_is_reported(self, world):
        c = make_contract(world)
        v = record(world, c, photos=[png()])
        photo = VisitPhoto.objects.get(visit=v)
        with open(photo.file.path, "wb") as f:
            f.write(b"not the original")
        report = chain.verify_all()
        assert not report.ok and "file changed" in report.broken[0][3]

    def test_deleted_record_breaks_the_chain(self, world):
        c = make_contract(world)
        record(world, c)
        v2 = record(world, c)
        v3 = record(world, c)
        ServiceVisit.objects.filter(pk=v2.pk).delete()
        report = chain.verify_all()
        assert [b[0] for b in report.broken] == [v3.pk]
        assert chain.verify_visit(ServiceVisit.objects.get(pk=v3.pk))  # the single-record check agrees

    def test_rehashed_record_still_breaks_the_next_link(self, world):
        c = make_contract(world)
        v1 = record(world, c)
        v2 = record(world, c)
        ServiceVisit.objects.filter(pk=v1.pk).update(findings="伪造")
        forged = ServiceVisit.objects.get(pk=v1.pk)
        content, _ = chain.stored_content(forged)
        ServiceVisit.objects.filter(pk=v1.pk).update(content_hash=chain.digest(content))
        report = chain.verify_all()
        assert [b[0] for b in report.broken] == [v2.pk]


def test_visit_form_mobile_and_records(world, client_for):
    c = make_contract(world)
    t = general_template()
    agency = client_for("agency_a")
    page = agency.get(reverse("services:visit_add") + f"?contract={c.pk}").content.decode()
    assert 'accept="image/jpeg,image/png,image/webp"' in page and "capture" in page
    data = {
        "contract": c.pk,
        "enterprise": world["ent_a"].pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "staff": [world["staff_a"].pk],
        "template": t.pk,
        "findings": "二楼配电箱未上锁",
        "signed_by": "李四",
        "photos": [png("a.png"), png("b.png", (0, 0, 255))],
    }
    for item in t.items.all():
        data[f"result_{item.pk}"] = "ok"
    resp = agency.post(reverse("services:visit_add"), data)
    assert resp.status_code == 302, resp.content.decode()[:3000]
    v = ServiceVisit.objects.get()
    assert v.photos.count() == 2
    assert agency.get(reverse("services:visit_photo", args=[v.photos.first().pk])).status_code == 200
    assert client_for("town_b").get(reverse("services:visit_photo", args=[v.photos.first().pk])).status_code == 404
    assert client_for("town_b").get(v.get_absolute_url()).status_code == 404
    assert client_for("town_a").get(v.get_absolute_url()).status_code == 200


def test_visit_form_shows_qualification_refusal(world, client_for):
    c = make_contract(world)
    world["staff_a"].engineer_certificate_valid_until = timezone.localdate() - timedelta(days=3)
    world["staff_a"].save()
    t = general_template()
    data = {
        "contract": c.pk,
        "enterprise": world["ent_a"].pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "staff": [world["staff_a"].pk],
        "template": t.pk,
    }
    for item in t.items.all():
        data[f"result_{item.pk}"] = "ok"
    resp = client_for("agency_a").post(reverse("services:visit_add"), data)
    assert resp.status_code == 200
    assert "赵工" in resp.content.decode() and "没有有效的执业资格" in resp.content.decode()


def test_api_records_visit_with_photo(world, client_for):
    c = make_contract(world)
    t = general_template()
    api = client_for("agency_a")
    payload = {
        "contract": c.pk,
        "enterprise": world["ent_a"].pk,
        "visited_at": timezone.now().isoformat(),
        "staff": [world["staff_a"].pk],
        "template": t.pk,
        "results": [{"item": i.pk, "result": "ok"} for i in t.items.all()],
    }
    resp = api.post("/api/v1/services/visits/", payload, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert len(resp.json()["content_hash"]) == 64
    resp = api.post(
        "/api/v1/services/visits/",
        {
            "contract": c.pk,
            "enterprise": world["ent_a"].pk,
            "visited_at": timezone.now().isoformat(),
            "staff": [world["staff_a"].pk],
            "photos": [png()],
        },
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["photos"][0]["sha256"]
    assert resp.json()["prev_hash"] == ServiceVisit.objects.order_by("seq").first().content_hash
    assert (
        client_for("ent_a").post("/api/v1/services/visits/", payload, content_type="application/json").status_code
        == 403
    )


def test_rating(world, client_for):
    c = make_contract(world)
    v = record(world, c)
    resp = client_for("ent_a").post(reverse("services:visit_rate", args=[v.pk]), {"score": "4", "comment": "认真"})
    assert resp.status_code == 302
    v2 = record(world, c)
    client_for("ent_a").post(f"/api/v1/services/visits/{v2.pk}/rate/", {"score": 5}, content_type="application/json")
    with pytest.raises(PermissionDenied):
        actions.visit_rate(actor=world.user("agency_a"), visit=v, score=5)
    a = agency_ratings(world.user("county")).get(pk=world["agency_a"].pk)
    assert (a.rating_count, float(a.rating_avg)) == (2, 4.5)
    assert chain.verify_all().ok  # rating is outside the hashed content
    assert "4.5 / 2" in client_for("agency_a").get("/").content.decode()


def test_missing_visits_flagged_to_agency_and_town(world):
    today = timezone.localdate()
    c = make_contract(world, start=today - timedelta(days=200), visits_per_year=4)  # every 92 days
    rows = missing_visits(None, today=today)
    assert [(r["enterprise_id"], r["last_visit"]) for r in rows] == [(world["ent_a"].pk, None)]
    assert actions.flag_missing_visits(today) == 2  # agency_a user + town_a officer
    assert actions.flag_missing_visits(today) == 0  # idempotent
    kinds = set(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == {("agency_a", "visit_missing"), ("town_a", "visit_missing")}
    record(world, c)
    assert missing_visits(None, today=today) == []
    # 93 days after that visit it is due again.
    with time_machine.travel(timezone.now() + timedelta(days=94)):
        assert len(missing_visits(None)) == 1


def test_visit_list_sorts_filters_by_htmx_and_exports(world, client_for):
    """The visit list runs on the generic list machinery: sorting, the htmx results part, export."""
    import io

    from openpyxl import load_workbook

    c = make_contract(world)
    record(world, c, when=timezone.now() - timedelta(days=3), findings="旧记录")
    record(world, c, when=timezone.now() - timedelta(hours=2), findings="新记录")
    client = client_for("town_a")
    url = reverse("services:visit_list")
    first, second = ServiceVisit.objects.order_by("visited_at")
    page = client.get(url + "?sort=visited_at").content.decode()
    assert page.index(first.get_absolute_url()) < page.index(second.get_absolute_url())
    page = client.get(url + "?sort=-visited_at").content.decode()
    assert page.index(second.get_absolute_url()) < page.index(first.get_absolute_url())
    part = client.get(url + "?sort=-visited_at", headers={"HX-Request": "true", "HX-Target": "results"})
    part = part.content.decode()
    assert 'data-testid="visit-table"' in part and "<html" not in part
    resp = client.get(reverse("services:visit_export"))
    ws = load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active
    cells = [str(v) for row in ws.iter_rows(values_only=True) for v in row]
    assert "旧记录" in cells and "新记录" in cells
    # Another town sees neither row in the export.
    ws = load_workbook(
        io.BytesIO(b"".join(client_for("town_b").get(reverse("services:visit_export")).streaming_content))
    )
    assert "新记录" not in [str(v) for row in ws.active.iter_rows(values_only=True) for v in row]
