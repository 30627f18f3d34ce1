"""Media on an S3-compatible object store (docs/decisions/0045-media-object-storage.md), against a real
S3 server on loopback (moto's standalone server, reached over HTTP by boto3 and by child processes).

With ``STORAGES["default"]`` built by ``settings.s3_media_storage`` (as ``SAFESERVE_MEDIA_S3_BUCKET``
builds it): a photo uploaded through a real door lands as a private object in the bucket (nothing on
disk), the scoped view streams it to the right user only, the object has no public URL, the visit
chain's hash check reads it from the bucket, the issued PDF is stored and served from there, the
purge deletes the object, ``/readyz`` reports the bucket, and ``manage.py backup`` takes the bucket's
files into the archive, which ``manage.py restore`` puts into an empty bucket of another process.
"""

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from safeserve import settings as project_settings
from safeserve.hazards import actions as hazard_actions
from safeserve.hazards.models import Hazard, HazardPhoto
from safeserve.ops import backups
from safeserve.services import actions as visit_actions
from safeserve.services import chain
from safeserve.services.models import PendingPhoto
from safeserve_dev import s3_server
from safeserve_dev.mqtt_broker import ROOT
from safeserve_dev.services_fixtures import make_contract, png
from safeserve_dev.testfiles import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def endpoint():
    with s3_server.s3_server() as url:
        yield url


class Bucket:
    def __init__(self, endpoint: str, name: str):
        self.endpoint, self.name = endpoint, name
        self.env = s3_server.media_env(endpoint, name)

    def objects(self) -> list[str]:
        return s3_server.keys(self.endpoint, self.name)

    def body(self, key: str) -> bytes:
        return s3_server.body(self.endpoint, self.name, key)


@pytest.fixture
def bucket(endpoint, tmp_path):
    """Media on a fresh private bucket for this test; MEDIA_ROOT points at a folder that must stay empty."""
    b = Bucket(endpoint, s3_server.new_bucket(endpoint))
    storages = {**settings.STORAGES, "default": project_settings.s3_media_storage(b.env)}
    with (
        override_settings(STORAGES=storages, SAFESERVE_MEDIA_S3_BUCKET=b.name, MEDIA_ROOT=tmp_path / "disk-media"),
        translation.override("zh-hans"),
    ):
        yield b
    assert not (tmp_path / "disk-media").exists(), "a media file was written to disk, not to the bucket"


def test_off_by_default_and_private_when_on():
    """No SAFESERVE_MEDIA_S3_BUCKET: files on disk as before. Set: the S3 backend, private, no overwrite."""
    if not os.environ.get("SAFESERVE_MEDIA_S3_BUCKET"):
        assert settings.STORAGES["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    options = project_settings.s3_media_storage({"SAFESERVE_MEDIA_S3_BUCKET": "b"})["OPTIONS"]
    assert options["default_acl"] == "private" and options["querystring_auth"] is True
    assert options["file_overwrite"] is False and "custom_domain" not in options


@pytest.fixture
def contracted(world):
    """agency_a serves ent_a (an agency reports hazards only at enterprises it serves)."""
    make_contract(world)
    return world


def _report_with_photo(client, world, content: bytes, name="现场.jpg"):
    resp = client.post(
        reverse("hazards:hazard_add"),
        {
            "enterprise": world["ent_a"].pk,
            "level": "general",
            "location": "锅炉房",
            "description": "压力表过期",
            "responsible_person": "李四",
            "photos": [upload(name, content)],
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return HazardPhoto.objects.filter(hazard__enterprise=world["ent_a"]).latest("pk")


def test_an_uploaded_photo_is_a_private_object_served_only_by_the_scoped_view(bucket, contracted, client_for):
    world = contracted
    photo = _report_with_photo(client_for("agency_a"), world, image_bytes("JPEG"))
    # In the bucket under the field's name, the re-encoded bytes whose hash the record keeps.
    assert photo.file.name in bucket.objects()
    assert hashlib.sha256(bucket.body(photo.file.name)).hexdigest() == photo.sha256

    # Served through the scoped view, streamed from the bucket: the reporter, the town, the enterprise.
    url = reverse("hazards:hazard_photo", args=[photo.pk])
    for persona in ("agency_a", "town_a", "county", "ent_a"):
        resp = client_for(persona).get(url)
        assert resp.status_code == 200, persona
        assert hashlib.sha256(b"".join(resp.streaming_content)).hexdigest() == photo.sha256
        assert resp["Content-Type"] == "image/jpeg" and resp["X-Content-Type-Options"] == "nosniff"
        assert "private" in resp["Cache-Control"]
    # Another town's officer: the same 404 as a missing photo. Anonymous: the login page.
    assert client_for("town_b").get(url).status_code == 404
    assert client_for("anon").get(url).status_code == 302

    # No way round the view: the object's plain URL, unsigned, is refused by the store.
    raw = f"{bucket.endpoint}/{bucket.name}/{photo.file.name}"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(raw, timeout=5)  # our own loopback test server
    assert refused.value.code == 403
    grants = s3_server.client(bucket.endpoint).get_object_acl(Bucket=bucket.name, Key=photo.file.name)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"] and "URI" not in grants[0]["Grantee"]

    # The same photo again is a second object: a stored file is never overwritten.
    again = _report_with_photo(client_for("agency_a"), world, image_bytes("JPEG"))
    assert again.sha256 == photo.sha256 and again.file.name != photo.file.name
    assert {photo.file.name, again.file.name} <= set(bucket.objects())


def test_a_gone_object_is_a_404_not_a_crash(bucket, contracted, client_for):
    world = contracted
    photo = _report_with_photo(client_for("agency_a"), world, image_bytes("PNG"), name="a.png")
    s3_server.client(bucket.endpoint).delete_object(Bucket=bucket.name, Key=photo.file.name)
    assert client_for("town_a").get(reverse("hazards:hazard_photo", args=[photo.pk])).status_code == 404


def test_the_visit_chain_checks_photo_hashes_read_from_the_bucket(bucket, world):
    contract = make_contract(world)
    visit = visit_actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=world["ent_a"],
        visited_at=timezone.now() - timedelta(minutes=5),
        staff=[world["staff_a"]],
        photos=[png("现场.png")],
    )
    photo = visit.photos.get()
    assert photo.file.name in bucket.objects()
    assert chain.verify_visit(visit) == []
    # Someone with access to the bucket swaps the object: the chain check, reading the bucket, sees it.
    s3_server.client(bucket.endpoint).put_object(Bucket=bucket.name, Key=photo.file.name, Body=b"\x89PNG changed")
    assert f"photo {photo.pk} file changed" in chain.verify_visit(visit)


def test_the_issued_notice_pdf_is_stored_in_the_bucket_and_served_after_the_scope_check(bucket, contracted, client_for):
    world = contracted
    _report_with_photo(client_for("agency_a"), world, image_bytes("JPEG"))
    hazard = Hazard.objects.get(enterprise=world["ent_a"])
    notice = hazard_actions.hazard_issue_notice(actor=world.user("town_a"), hazards=[hazard])
    assert notice.file.name in bucket.objects()
    assert bucket.body(notice.file.name).startswith(b"%PDF-")
    url = reverse("hazards:notice_download", args=[notice.pk])
    resp = client_for("town_a").get(url)
    assert resp.status_code == 200 and resp["X-Content-SHA256"] == notice.sha256
    assert hashlib.sha256(resp.content).hexdigest() == notice.sha256
    assert client_for("town_b").get(url).status_code == 404


def test_the_purge_deletes_left_behind_photos_from_the_bucket(bucket, world, client_for):
    uploaded = client_for("agency_a").post(reverse("services:pending_photo_add"), {"photo": png("现场.png")})
    assert uploaded.status_code == 201, uploaded.content
    name = PendingPhoto.objects.get().file.name
    assert name in bucket.objects()
    with time_machine.travel(timezone.now() + timedelta(hours=visit_actions.PENDING_PHOTO_HOURS, minutes=1)):
        assert visit_actions.purge_pending_photos() == 1
    assert name not in bucket.objects()


def test_a_failed_upload_action_leaves_no_object_behind(bucket, world):
    with pytest.raises(ZeroDivisionError):
        _fails_after_storing(world)
    assert bucket.objects() == []


@visit_actions.uploads.discard_files_on_error
def _fails_after_storing(world):
    visit_actions.pending_photo_add(actor=world.user("agency_a"), upload=png())
    raise ZeroDivisionError


def test_readyz_reports_the_bucket(bucket, client):
    ok = client.get("/readyz")
    assert ok.status_code == 200 and ok.json()["checks"]["media"]["status"] == "ok"
    assert bucket.name not in ok.content.decode() and bucket.endpoint not in ok.content.decode()
    s3_server.client(bucket.endpoint).delete_bucket(Bucket=bucket.name)  # empty: nothing was uploaded
    down = client.get("/readyz")
    assert down.status_code == 503 and down.json()["checks"]["media"]["status"] == "down"
    s3_server.client(bucket.endpoint).create_bucket(Bucket=bucket.name)


def test_readyz_does_not_check_media_on_disk(client):
    assert "media" not in client.get("/readyz").json()["checks"]


CHECK = """
import hashlib, json
from safeserve.services.models import VisitPhoto
from safeserve.hazards.models import HazardPhoto
rows = list(VisitPhoto.objects.all()) + list(HazardPhoto.objects.all())
ok = 0
for p in rows:
    with p.file.open("rb") as f:
        ok += hashlib.sha256(f.read()).hexdigest() == p.sha256
print(json.dumps({"photos": len(rows), "intact": ok}))
"""


def restore_env(tmp_path, db_name: str, bucket=None) -> dict:
    """The environment of another process restoring into a fresh SQLite file (and ``bucket``, if any)."""
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="safeserve.settings",
        SAFESERVE_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / db_name}",
        **(bucket.env if bucket else {}),
    )
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def manage(env, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.django_db(transaction=True)
def test_backup_takes_the_bucket_and_restore_fills_an_empty_bucket(endpoint, tmp_path):
    from safeserve_dev.testkit import build_world

    source = Bucket(endpoint, s3_server.new_bucket(endpoint))
    storages = {**settings.STORAGES, "default": project_settings.s3_media_storage(source.env)}
    with override_settings(STORAGES=storages, MEDIA_ROOT=tmp_path / "disk-media"), translation.override("zh-hans"):
        world = build_world()
        visit_actions.visit_record(
            actor=world.user("agency_a"),
            contract=make_contract(world),
            enterprise=world["ent_a"],
            visited_at=timezone.now() - timedelta(minutes=5),
            staff=[world["staff_a"]],
            photos=[png("一.png"), png("二.png", colour=(10, 200, 10))],
        )
        hazard_actions.hazard_report(
            actor=world.user("agency_a"),
            enterprise=world["ent_a"],
            location="仓库",
            description="堆垛超高",
            responsible_person="李四",
            photos=[upload("三.jpg", image_bytes("JPEG"))],
        )
        stored = source.objects()
        assert len(stored) == 3
        out = tmp_path / "backups"
        call_command("backup", out=str(out), stdout=open(os.devnull, "w"))
    assert not (tmp_path / "disk-media").exists()
    archive = next(out.glob("safeserve-*.tar"))
    manifest = backups.read_manifest(archive)
    media = {k.removeprefix("media/"): v for k, v in manifest["files"].items() if k.startswith("media/")}
    assert media == {key: hashlib.sha256(source.body(key)).hexdigest() for key in stored}

    if connection.vendor != "sqlite":
        return  # the PostgreSQL round trip is test_backup.py's; the bucket part is the same code
    target = Bucket(endpoint, s3_server.new_bucket(endpoint))
    env = restore_env(tmp_path, "restored.sqlite3", target)

    def run(*args):
        return manage(env, *args)

    restored = run("restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "counts and chains match" in restored.stdout
    assert target.objects() == stored
    assert all(target.body(k) == source.body(k) for k in stored)
    assert not Path(tmp_path / "var" / "media").exists()
    verified = run("verify_records")
    assert " 0 broken" in verified.stdout, verified.stdout + verified.stderr
    after = json.loads(run("shell", "-c", CHECK).stdout.strip().splitlines()[-1])
    assert after == {"photos": 3, "intact": 3}

    # An empty database but a bucket that already holds files: refused, nothing overwritten.
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'second.sqlite3'}"
    again = run("restore", str(archive))
    assert again.returncode != 0 and "media store is not empty" in again.stderr
    assert target.objects() == stored

    # Off the object store again: the same archive into a fresh database and an empty folder on disk.
    for key in target.env:
        env.pop(key, None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'on-disk.sqlite3'}"
    env["SAFESERVE_VAR_DIR"] = str(tmp_path / "var-disk")
    to_disk = run("restore", str(archive))
    assert to_disk.returncode == 0, to_disk.stdout + to_disk.stderr
    on_disk = tmp_path / "var-disk" / "media"
    assert sorted(str(p.relative_to(on_disk)) for p in on_disk.rglob("*") if p.is_file()) == sorted(stored)
    assert all((on_disk / k).read_bytes() == source.body(k) for k in stored)
    assert " 0 broken" in run("verify_records").stdout


@pytest.mark.django_db(transaction=True)
def test_an_archive_of_media_on_disk_restores_into_a_bucket(endpoint, tmp_path, settings):
    """Moving onto an object store: a backup made with media on disk fills an empty bucket."""
    from safeserve_dev.testkit import build_world

    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL round trip is test_backup.py's; the media part is the same code")
    settings.MEDIA_ROOT = tmp_path / "disk-media"
    with translation.override("zh-hans"):
        world = build_world()
        visit_actions.visit_record(
            actor=world.user("agency_a"),
            contract=make_contract(world),
            enterprise=world["ent_a"],
            visited_at=timezone.now() - timedelta(minutes=5),
            staff=[world["staff_a"]],
            photos=[png("一.png")],
        )
        out = tmp_path / "backups"
        call_command("backup", out=str(out), stdout=open(os.devnull, "w"))
    on_disk = {
        str(p.relative_to(settings.MEDIA_ROOT)): p.read_bytes() for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()
    }
    assert on_disk
    archive = next(out.glob("safeserve-*.tar"))
    target = Bucket(endpoint, s3_server.new_bucket(endpoint))
    restored = manage(restore_env(tmp_path, "restored.sqlite3", target), "restore", str(archive))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert sorted(target.objects()) == sorted(on_disk)
    assert all(target.body(k) == body for k, body in on_disk.items())
    assert not (tmp_path / "var" / "media").exists()
