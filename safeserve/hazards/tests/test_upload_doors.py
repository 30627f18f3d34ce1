"""Hostile uploads through every door that takes a photo (issue 8 item 1, issue 11 §1).

Doors: the HTML forms (visit, hazard report, hazard evidence, hazard submit), the API (visit, hazard
report, hazard step, hazard evidence) and the actions called from code. Payloads: SVG with script,
HTML, a JPEG with HTML appended, 30 MB, text named .jpg, a PNG named .html, a 20000×20000 PNG,
a truncated JPEG. A refused file leaves a Chinese error naming it, and nothing behind (no record, no
file); an accepted one is stored only as a clean re-encoded raster, served with its own type and nosniff.
"""

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from safeserve.core import uploads
from safeserve.hazards import actions as hazard_actions
from safeserve.hazards.models import Hazard, HazardEvent, HazardPhoto
from safeserve.services import actions as visit_actions
from safeserve.services import chain
from safeserve.services.models import ServiceVisit, VisitPhoto
from safeserve_dev.services_fixtures import general_template, make_contract
from safeserve_dev.testfiles import SCRIPT, hostile_photos, jpeg_with_exif, upload

pytestmark = pytest.mark.django_db
PAYLOADS = hostile_photos()


@pytest.fixture(autouse=True)
def _chinese():
    """Actions called from code answer in the active language: Chinese, whatever an earlier test left."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def site(world):
    contract = make_contract(world)
    hazard = hazard_actions.hazard_report(
        actor=world.user("agency_a"),
        enterprise=world["ent_a"],
        location="冲压车间",
        description="光电保护失效",
        responsible_person="李四",
    )
    hazard = hazard_actions.hazard_transition(actor=world.user("ent_a"), hazard=hazard, action="start")
    return SimpleNamespace(world=world, contract=contract, hazard=hazard)


def _visit_fields(site):
    w = site.world
    return {
        "contract": site.contract.pk,
        "enterprise": w["ent_a"].pk,
        "staff": [w["staff_a"].pk],
        "findings": "配电箱门未关",
    }


def _report_fields(site):
    return {
        "enterprise": site.world["ent_a"].pk,
        "level": "general",
        "location": "锅炉房",
        "description": "压力表过期",
        "responsible_person": "李四",
    }


# Each door: (persona, how to send one file) -> the response (or the action's result / exception).
def form_visit(site, c, f):
    t = general_template()
    data = {**_visit_fields(site), "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "photos": [f]}
    data.update({"template": t.pk, **{f"result_{i.pk}": "ok" for i in t.items.all()}})
    return c.post(reverse("services:visit_add") + f"?template={t.pk}", data)


def form_hazard_report(site, c, f):
    return c.post(reverse("hazards:hazard_add"), {**_report_fields(site), "photos": [f]})


def form_hazard_evidence(site, c, f):
    url = reverse("hazards:hazard_action", args=[site.hazard.pk, "evidence"])
    return c.post(url, {"note": "已更换", "photos": [f]}, follow=True)


def form_hazard_submit(site, c, f):
    url = reverse("hazards:hazard_action", args=[site.hazard.pk, "submit"])
    return c.post(url, {"note": "整改完成", "photos": [f]}, follow=True)


def api_visit(site, c, f):
    data = {**_visit_fields(site), "visited_at": timezone.now().isoformat(), "photos": [f]}
    return c.post("/api/v1/services/visits/", data)


def api_hazard_report(site, c, f):
    return c.post("/api/v1/hazards/hazards/", {**_report_fields(site), "photos": [f]})


def api_hazard_step(site, c, f):
    return c.post(f"/api/v1/hazards/hazards/{site.hazard.pk}/step/", {"action": "submit", "photos": [f]})


def api_hazard_evidence(site, c, f):
    return c.post(f"/api/v1/hazards/hazards/{site.hazard.pk}/evidence/", {"photos": [f]})


def action_visit_record(site, c, f):
    w = site.world
    return visit_actions.visit_record(
        actor=w.user("agency_a"),
        contract=site.contract,
        enterprise=w["ent_a"],
        visited_at=timezone.now() - timedelta(minutes=5),
        staff=[w["staff_a"]],
        photos=[f],
    )


def action_hazard_report(site, c, f):
    return hazard_actions.hazard_report(
        actor=site.world.user("agency_a"),
        enterprise=site.world["ent_a"],
        location="仓库",
        description="堆垛超高",
        responsible_person="李四",
        photos=[f],
    )


DOORS = {
    "form /services/visits/new/": ("agency_a", form_visit, VisitPhoto),
    "form /hazards/new/": ("agency_a", form_hazard_report, HazardPhoto),
    "form /hazards/<id>/do/evidence/": ("ent_a", form_hazard_evidence, HazardPhoto),
    "form /hazards/<id>/do/submit/": ("ent_a", form_hazard_submit, HazardPhoto),
    "api services/visits": ("agency_a", api_visit, VisitPhoto),
    "api hazards/hazards": ("agency_a", api_hazard_report, HazardPhoto),
    "api hazards/<id>/step": ("ent_a", api_hazard_step, HazardPhoto),
    "api hazards/<id>/evidence": ("ent_a", api_hazard_evidence, HazardPhoto),
    "action visit_record": ("agency_a", action_visit_record, VisitPhoto),
    "action hazard_report": ("agency_a", action_hazard_report, HazardPhoto),
}


def snapshot(site):
    root = settings.MEDIA_ROOT
    files = {p.relative_to(root) for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    hazard = Hazard.objects.get(pk=site.hazard.pk)
    return {
        "files": files,
        "visits": ServiceVisit.objects.count(),
        "visit_photos": VisitPhoto.objects.count(),
        "hazards": Hazard.objects.count(),
        "hazard_photos": HazardPhoto.objects.count(),
        "events": HazardEvent.objects.count(),
        "state": hazard.state,
    }


def send(site, client_for, door, name, content):
    persona, fn, _model = DOORS[door]
    f = upload(name, content)
    try:
        return fn(site, client_for(persona), f), None
    except ValidationError as exc:
        return None, exc


def refusal_text(resp, exc) -> str:
    if exc is not None:
        return " ".join(exc.messages)
    assert resp.status_code in (200, 400), (resp.status_code, resp.content[:500])
    return resp.content.decode()


def assert_served_clean(client, photo, expected_format):
    view = "services:visit_photo" if isinstance(photo, VisitPhoto) else "hazards:hazard_photo"
    resp = client.get(reverse(view, args=[photo.pk]))
    assert resp.status_code == 200
    body = b"".join(resp.streaming_content)
    _ext, ctype, _magic = uploads.FORMATS[expected_format]
    assert resp["Content-Type"] == ctype
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Content-Disposition"].startswith("inline")
    assert "sandbox" in resp["Content-Security-Policy"]
    assert hashlib.sha256(body).hexdigest() == photo.sha256  # the hash is of the bytes stored and served
    assert SCRIPT not in body and b"<html" not in body
    return body


@pytest.mark.parametrize("payload", list(PAYLOADS))
@pytest.mark.parametrize("door", list(DOORS))
def test_hostile_upload(site, client_for, door, payload):
    name, content, expected_format, reason = PAYLOADS[payload]
    before = snapshot(site)
    resp, exc = send(site, client_for, door, name, content)
    model = DOORS[door][2]
    if expected_format is None:
        text = refusal_text(resp, exc)
        assert f"「{name}」" in text and reason in text, text[:3000]
        assert snapshot(site) == before  # no record, no event, no state change, no file
        return

    assert exc is None and (resp is None or not hasattr(resp, "status_code") or resp.status_code in (200, 201, 302))
    if hasattr(resp, "status_code") and resp.status_code == 200 and resp.get("Content-Type", "").startswith("text"):
        assert "已完成" in resp.content.decode() or "已保存" in resp.content.decode()
    photo = model.objects.order_by("-pk").first()
    assert photo is not None and snapshot(site)["files"] - before["files"]
    ext = uploads.FORMATS[expected_format][0]
    assert photo.file.name.endswith(ext) and photo.name.endswith(ext)  # never the client's extension
    stored = photo.file.read()
    photo.file.close()
    assert SCRIPT not in stored and b"<html" not in stored
    assert hashlib.sha256(stored).hexdigest() == photo.sha256
    assert_served_clean(client_for("county"), photo, expected_format)


def test_polyglot_keeps_the_picture_but_not_the_payload(site, client_for):
    from PIL import Image

    name, content, _fmt, _reason = PAYLOADS["polyglot_jpeg_html"]
    assert SCRIPT in content
    resp, _exc = send(site, client_for, "form /hazards/new/", name, content)
    assert resp.status_code == 302
    photo = HazardPhoto.objects.order_by("-pk").first()
    with photo.file.open("rb") as fh:
        stored = fh.read()
    assert Image.open(BytesIO(stored)).size == Image.open(BytesIO(content)).size
    assert SCRIPT not in stored and stored.endswith(b"\xff\xd9")  # nothing after the end of the image


def test_every_refusal_at_once_names_each_file(site, client_for):
    c = client_for("agency_a")
    files = [upload(n, b) for key, (n, b, fmt, _r) in PAYLOADS.items() if fmt is None and key != "30mb"]
    resp = c.post(reverse("hazards:hazard_add"), {**_report_fields(site), "photos": files})
    page = resp.content.decode()
    assert resp.status_code == 200
    for f in files:
        assert f"「{f.name}」" in page
    assert not HazardPhoto.objects.exclude(hazard=site.hazard).exists()


def test_too_many_photos_in_one_go(site, client_for, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "UPLOAD_IMAGE_MAX_FILES": 2}
    from safeserve_dev.testfiles import image_bytes

    files = [upload(f"p{i}.png", image_bytes("PNG")) for i in range(3)]
    resp = client_for("agency_a").post(reverse("hazards:hazard_add"), {**_report_fields(site), "photos": files})
    assert "一次最多上传 2 张照片" in resp.content.decode()
    assert Hazard.objects.count() == 1


@pytest.mark.parametrize("door", ["form /services/visits/new/", "api hazards/hazards", "action hazard_report"])
def test_exif_time_and_gps_survive_as_evidence(site, client_for, door):
    from PIL import ExifTags, Image

    content = jpeg_with_exif()
    _resp, exc = send(site, client_for, door, "IMG_0001.JPG", content)
    assert exc is None
    photo = DOORS[door][2].objects.order_by("-pk").first()
    assert photo.taken_at == datetime.fromisoformat("2026-03-04T05:37:12+08:00")
    assert (photo.latitude, photo.longitude) == (Decimal("30.836806"), Decimal("120.917014"))
    assert photo.name == "IMG_0001.jpg"
    with photo.file.open("rb") as fh:
        stored = fh.read()
    img = Image.open(BytesIO(stored))
    assert img.size == (60, 80)  # the orientation was applied before the tag was dropped
    exif = img.getexif()
    assert set(exif) <= {ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo}  # no make, no description, no orientation
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2026:03:04 05:37:12"
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[1] == "N"
    assert SCRIPT not in stored and b"PhoneMaker" not in stored
    # The evidence is inside the bytes the chain hashes, and the API shows it.
    if isinstance(photo, VisitPhoto):
        assert chain.verify_all().ok
        body = client_for("county").get(f"/api/v1/services/visits/{photo.visit_id}/").json()
    else:
        body = client_for("county").get(f"/api/v1/hazards/hazards/{photo.hazard_id}/").json()
    shown = next(p for p in body["photos"] if p["id"] == photo.pk)
    assert shown["taken_at"].startswith("2026-03-04T05:37:12") and shown["latitude"] == "30.836806"


def test_exif_time_without_offset_is_county_time(site):
    img = uploads.verify_image(upload("a.jpg", jpeg_with_exif(offset=None)))
    assert img.taken_at == datetime.fromisoformat("2026-03-04T05:37:12+08:00")


def test_files_an_action_stored_are_removed_when_it_fails(site):
    """A write that fails after storing its photos leaves no file behind."""
    from safeserve_dev.testfiles import image_bytes

    image = uploads.verify_image(upload("a.png", image_bytes("PNG")))
    before = snapshot(site)["files"]

    @uploads.discard_files_on_error
    def failing():
        photo = HazardPhoto(hazard=site.hazard, stage="after", sha256=image.sha256, name=image.name)
        uploads.save_image(photo.file, image)
        assert snapshot(site)["files"] != before  # it was written
        raise ValidationError("later step failed")

    with pytest.raises(ValidationError):
        failing()
    assert snapshot(site)["files"] == before


# ----------------------------------------------------------------------------- serving what is stored


def _legacy_photo(site, name, content):
    """A file stored before uploads were checked (written straight to storage, as old code did)."""
    from django.core.files.base import ContentFile

    photo = HazardPhoto(hazard=site.hazard, stage="before", sha256=hashlib.sha256(content).hexdigest(), name=name)
    photo.file.save(name, ContentFile(content), save=False)
    photo.save()
    return photo


@pytest.mark.parametrize(
    ("stored_as", "content"),
    [
        ("old.png", b"<html>" + SCRIPT + b"</html>"),  # right extension, wrong bytes
        ("old.svg", b"<svg xmlns='http://www.w3.org/2000/svg'>" + SCRIPT + b"</svg>"),
        ("old.gif", b"GIF89a" + SCRIPT),
        ("old.bin", b"\x00\x01" + SCRIPT),
    ],
)
def test_a_stored_file_that_is_not_a_verified_raster_is_an_opaque_attachment(site, client_for, stored_as, content):
    photo = _legacy_photo(site, stored_as, content)
    resp = client_for("town_a").get(reverse("hazards:hazard_photo", args=[photo.pk]))
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/octet-stream"
    assert resp["Content-Disposition"].startswith("attachment")
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp["Content-Security-Policy"]


def test_served_type_comes_from_the_stored_format_not_the_client_name(site, client_for):
    from safeserve_dev.testfiles import image_bytes

    hazard_actions.hazard_add_evidence(
        actor=site.world.user("ent_a"), hazard=site.hazard, photos=[upload("我的照片.gif", image_bytes("WEBP"))]
    )
    photo = HazardPhoto.objects.order_by("-pk").first()
    assert photo.file.name.endswith(".webp") and photo.name == "我的照片.webp"
    resp = client_for("ent_a").get(reverse("hazards:hazard_photo", args=[photo.pk]))
    assert resp["Content-Type"] == "image/webp"
    assert "inline" in resp["Content-Disposition"] and "%E6%88%91" in resp["Content-Disposition"]


@pytest.mark.parametrize("persona", ["town_b", "expert_a", "norole", "anon"])
def test_photos_stay_behind_the_scope_of_their_record(site, client_for, persona):
    from safeserve_dev.testfiles import image_bytes

    visit = action_visit_record(site, None, upload("v.png", image_bytes("PNG")))
    hazard_photo = HazardPhoto.objects.filter(hazard=site.hazard).first() or _legacy_photo(
        site, "x.png", image_bytes("PNG")
    )
    for url in (
        reverse("services:visit_photo", args=[visit.photos.get().pk]),
        reverse("hazards:hazard_photo", args=[hazard_photo.pk]),
    ):
        resp = client_for(persona).get(url)
        assert resp.status_code in ((302,) if persona == "anon" else (404,)), (persona, url, resp.status_code)
        assert client_for("town_a").get(url).status_code == 200
