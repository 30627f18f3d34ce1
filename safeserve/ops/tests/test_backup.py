"""Backups that restore: seed, back up, restore into a fresh database and media folder (another
process, as an operator would), then verify_records passes, every table's count and every chain's
checksum match, and the photos open. On SQLite in `make test`, on PostgreSQL in `make test-postgres`."""

import io
import json
import os
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from safeserve.ops import backups
from safeserve_dev.mqtt_broker import ROOT

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def run(env, *args, check=True):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def target(tmp_path):
    """A fresh, empty database of the suite's engine and an empty var folder, for another process."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="safeserve.settings", SAFESERVE_VAR_DIR=str(tmp_path / "var"))
    env.pop("PYTEST_XDIST_WORKER", None)
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        yield env
        return
    import psycopg

    name = f"restore_{os.getpid()}_{datetime.now():%H%M%S%f}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        yield env
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def seeded(transactional_db):
    from safeserve_dev.services_fixtures import extend_world
    from safeserve_dev.testkit import build_world

    world = build_world()
    extend_world(world)
    return world


CHECK = """
import json
from pathlib import Path
from PIL import Image
from django.conf import settings
from safeserve.ops import backups
from safeserve.services.models import VisitPhoto
opened = 0
for p in VisitPhoto.objects.all():
    with Image.open(Path(settings.MEDIA_ROOT) / p.file.name) as im:
        im.load(); opened += 1
print(json.dumps({"tables": backups.table_counts(), "chains": backups.chain_checksums(), "photos": opened}))
"""


def tamper(archive: Path, dest: Path) -> Path:
    """A copy of ``archive`` with one uploaded file changed by a byte."""
    with tarfile.open(archive) as src, tarfile.open(dest, "w") as dst:
        changed = False
        for member in src.getmembers():
            data = src.extractfile(member)
            if not changed and member.name.startswith("media/") and member.isfile():
                body = data.read() + b"x"
                member.size, changed = len(body), True
                dst.addfile(member, io.BytesIO(body))
            else:
                dst.addfile(member, data)
    return dest


def break_database(archive: Path, dest: Path) -> Path:
    """A copy of ``archive`` whose database dump is cut off half way, with the manifest's checksum made
    to match: the archive passes the checksum check and fails while the database is being loaded."""
    manifest = backups.read_manifest(archive)
    with tarfile.open(archive) as src, tarfile.open(dest, "w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            if member.name == manifest["database"]:
                full = data.read()
                body = full[: len(full) // 2]
                manifest["files"][member.name] = backups.hashlib.sha256(body).hexdigest()
            elif member.name == "manifest.json":
                continue
            else:
                body = data.read() if data else None
            if body is None:
                dst.addfile(member)
                continue
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
        info = tarfile.TarInfo("manifest.json")
        raw = json.dumps(manifest).encode()
        info.size = len(raw)
        dst.addfile(info, io.BytesIO(raw))
    return dest


NOTHING_LEFT = """
import json
from django.db import connection
print(json.dumps(connection.introspection.table_names()))
"""


def test_backup_then_restore_into_a_fresh_database_matches(seeded, target, tmp_path):
    out = tmp_path / "backups"
    call_command("backup", out=str(out), stdout=open(os.devnull, "w"))
    archive = next(out.glob("safeserve-*.tar"))
    manifest = backups.read_manifest(archive)
    assert manifest["engine"] == connection.vendor
    assert manifest["tables"]["services_servicevisit"] >= 2 and manifest["chains"]
    assert manifest["tables"] == backups.table_counts() and manifest["chains"] == backups.chain_checksums()
    assert any(name.startswith("media/") for name in manifest["files"])

    # A changed file in the archive: refused before anything is written.
    bad = run(target, "restore", str(tamper(archive, tmp_path / "tampered.tar")), check=False)
    assert bad.returncode != 0 and "checksum" in bad.stderr
    assert not any(p.is_file() for p in (Path(target["SAFESERVE_VAR_DIR"]) / "media").rglob("*"))

    # A dump that breaks half way in: refused, and the files stored and tables made so far are taken back.
    broken = run(target, "restore", str(break_database(archive, tmp_path / "broken.tar")), check=False)
    assert broken.returncode != 0, broken.stdout
    assert not any(p.is_file() for p in (Path(target["SAFESERVE_VAR_DIR"]) / "media").rglob("*"))
    assert json.loads(run(target, "shell", "-c", NOTHING_LEFT).stdout.strip().splitlines()[-1]) == []

    restored = run(target, "restore", str(archive))
    assert "counts and chains match" in restored.stdout
    verified = run(target, "verify_records")
    assert " 0 broken" in verified.stdout and "checked 0 records" not in verified.stdout
    after = json.loads(run(target, "shell", "-c", CHECK).stdout.strip().splitlines()[-1])
    assert after["tables"] == manifest["tables"]
    assert after["chains"] == manifest["chains"]
    assert after["photos"] >= 2

    # The restored database is no longer empty: a second restore into it is refused.
    again = run(target, "restore", str(archive), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_prune_keeps_the_newest_per_day_and_per_week(tmp_path):
    stamps = [
        "20261130-013000",
        "20261130-120000",
        "20261129-013000",
        "20261128-013000",
        "20261120-013000",
        "20261110-013000",
        "20261001-013000",
    ]
    for s in stamps:
        (tmp_path / f"safeserve-{s}.tar").write_bytes(b"x")
    removed = backups.prune(tmp_path, keep_daily=2, keep_weekly=3)
    kept = sorted(p.name for p in tmp_path.glob("*.tar"))
    assert kept == sorted(
        [
            "safeserve-20261130-120000.tar",  # newest of today (and of this week)
            "safeserve-20261129-013000.tar",  # newest of yesterday
            "safeserve-20261120-013000.tar",  # newest of the third week
        ]
    )
    assert len(removed) == 4
