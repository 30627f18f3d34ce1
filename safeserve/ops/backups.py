"""Backups that restore: one archive holds the database, the uploaded files and a manifest.

``make_backup`` writes ``safeserve-YYYYmmdd-HHMMSS.tar`` (written to a temporary name, then renamed,
so a half-written archive never looks like a backup):

- ``db.sqlite3`` (SQLite's online backup API: consistent while the site runs) or ``db.dump``
  (PostgreSQL: ``pg_dump --format=custom``);
- ``media/…``: every uploaded file, read through the media storage (Django's ``default_storage``: the
  folder ``SAFESERVE_VAR_DIR/media`` or, when ``SAFESERVE_MEDIA_S3_BUCKET`` is set, the bucket), each
  streamed once into the archive and hashed on the way (docs/decisions/0045-media-object-storage.md);
- ``manifest.json``, written last (the hashes of the media are known only once they are read):
  engine, time, row count per table, a SHA-256 per tamper-evident chain (each agency's visit
  records: seq and record hash in order), and the SHA-256 of every file in the archive.

``restore`` refuses a database that already has tables or a media store that already has files,
checks every file against the manifest before touching anything, restores, and compares the
restored counts and chain checksums with the manifest. docs/deployment.md
"""

import contextlib
import hashlib
import io
import json
import os
import posixpath
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

FORMAT = 1
ARCHIVE_PREFIX = "safeserve-"


class BackupError(Exception):
    pass


def sha256_path(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tables() -> list[str]:
    """Every table the project's models (and their many-to-many tables) own, sorted."""
    names = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            names.add(model._meta.db_table)
    existing = set(connection.introspection.table_names())
    return sorted(names & existing)


def table_counts(using: str = "default") -> dict[str, int]:
    conn = connections[using]
    with conn.cursor() as cur:
        counts = {}
        for table in tables():
            cur.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}")  # noqa: S608 - our own table names
            counts[table] = cur.fetchone()[0]
    return counts


def chain_checksums() -> dict[str, str]:
    """Per agency: SHA-256 over its visit records' (seq, previous hash, record hash) in order; and
    the same per chain of every other app's tamper-evident records (``core.hooks.RECORD_CHAINS``)."""
    from safeserve.core import hooks
    from safeserve.services.models import ServiceVisit

    sums: dict[str, hashlib._Hash] = {}
    rows = ServiceVisit.objects.order_by("agency_id", "seq").values_list(
        "agency_id", "seq", "prev_hash", "content_hash"
    )
    for agency_id, seq, prev, content in rows.iterator(chunk_size=5000):
        sums.setdefault(f"visits/agency:{agency_id}", hashlib.sha256()).update(f"{seq}:{prev}:{content}\n".encode())
    out = {key: h.hexdigest() for key, h in sums.items()}
    for chain in hooks.RECORD_CHAINS.values():
        out.update(chain.checksums())
    return dict(sorted(out.items()))


def _dump_database(dest: Path) -> str:
    vendor = connection.vendor
    if vendor == "sqlite":
        target = dest / "db.sqlite3"
        connection.ensure_connection()
        out = sqlite3.connect(target)
        try:
            connection.connection.backup(out)
        finally:
            out.close()
        return target.name
    if vendor == "postgresql":
        target = dest / "db.dump"
        subprocess.run(  # noqa: S603 - pg_dump with our own connection settings
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-acl",
                "--file",
                str(target),
                "--dbname",
                _pg_dsn(),
            ],
            check=True,
            capture_output=True,
            env=_pg_env(),
        )
        return target.name
    raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} not found: install the PostgreSQL client (sudo apt-get install postgresql-client)")
    return path


def _pg_dsn(alias: str = "default") -> str:
    s = connections[alias].settings_dict
    parts = [f"dbname={s['NAME']}"]
    if s.get("HOST"):
        parts.append(f"host={s['HOST']}")
    if s.get("PORT"):
        parts.append(f"port={s['PORT']}")
    if s.get("USER"):
        parts.append(f"user={s['USER']}")
    return " ".join(parts)


def _pg_env(alias: str = "default") -> dict | None:
    """The password for pg_dump/pg_restore, never on their command line (``ps`` shows that); the tools
    are called by absolute path, so they need nothing else from the environment."""
    password = connections[alias].settings_dict.get("PASSWORD")
    return {"PGPASSWORD": password} if password else None


@dataclass
class Result:
    path: Path
    manifest: dict


def media_names(storage=None) -> list[str]:
    """Every stored file's name, walking the media storage (a folder on disk or a bucket), sorted."""
    storage = storage or default_storage
    names: list[str] = []
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:  # no media folder yet: nothing was ever uploaded
            continue
        names += [posixpath.join(folder, f) for f in files]
        folders += [posixpath.join(folder, d) for d in dirs]
    return sorted(names)


class _Hashing:
    """A read-only file wrapper that hashes and counts what is read through it."""

    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.read_bytes = 0

    def read(self, size=-1):
        block = self.fh.read(size)
        self.sha.update(block)
        self.read_bytes += len(block)
        return block


def _add_media(tar: tarfile.TarFile, name: str, storage) -> str | None:
    """Stream one stored file into the archive as ``media/<name>``; its SHA-256, or None if it vanished."""
    try:
        fh = storage.open(name, "rb")
    except FileNotFoundError:  # deleted (a purge, a failed upload cleaned up) since it was listed
        return None
    with fh:
        info = tarfile.TarInfo(f"media/{name}")
        info.size = fh.size
        info.mtime = int(datetime.now().timestamp())
        reader = _Hashing(fh)
        tar.addfile(info, reader)
        if reader.read_bytes != info.size:
            raise BackupError(f"media/{name}: read {reader.read_bytes} bytes, expected {info.size}")
        return reader.sha.hexdigest()


def make_backup(out_dir: Path | str | None = None, progress=print) -> Result:
    out = Path(out_dir or settings.SAFESERVE_BACKUP_DIR)
    out.mkdir(parents=True, exist_ok=True)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    final = out / f"{ARCHIVE_PREFIX}{stamp}.tar"
    with tempfile.TemporaryDirectory(prefix="safeserve-backup-") as tmp:
        staging = Path(tmp)
        progress("数据库…")
        db_file = _dump_database(staging)
        progress("清点记录…")
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "engine": connection.vendor,
            "database": db_file,
            "tables": table_counts(),
            "chains": chain_checksums(),
            "files": {db_file: sha256_path(staging / db_file)},
        }
        storage = default_storage
        names = media_names(storage)
        progress(f"上传文件 {len(names)} 个…")
        partial = final.with_suffix(".tar.partial")
        try:
            with tarfile.open(partial, "w") as tar:
                tar.add(staging / db_file, arcname=db_file)
                for i, name in enumerate(names, 1):
                    digest = _add_media(tar, name, storage)
                    if digest is not None:
                        manifest["files"][f"media/{name}"] = digest
                    if i % 500 == 0:
                        progress(f"  {i}/{len(names)}")
                body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo("manifest.json")
                info.size, info.mtime = len(body), int(datetime.now().timestamp())
                tar.addfile(info, io.BytesIO(body))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, final)
    progress(f"完成：{final}（{final.stat().st_size / 1e6:.1f} MB）")
    return Result(final, manifest)


def prune(out_dir: Path | str, keep_daily: int, keep_weekly: int, now: datetime | None = None) -> list[Path]:
    """Keep the newest archive of each of the last ``keep_daily`` days and of each of the last
    ``keep_weekly`` ISO weeks; delete the others. Returns what was deleted."""
    archives = sorted(Path(out_dir).glob(f"{ARCHIVE_PREFIX}*.tar"), reverse=True)

    def when(p: Path) -> datetime:
        return datetime.strptime(p.stem.removeprefix(ARCHIVE_PREFIX), "%Y%m%d-%H%M%S")

    keep: set[Path] = set()
    days: dict = {}
    weeks: dict = {}
    for p in archives:  # newest first: the first seen per day / week is the one kept
        days.setdefault(when(p).date(), p)
        weeks.setdefault(when(p).isocalendar()[:2], p)
    keep |= set(list(days.values())[:keep_daily])
    keep |= set(list(weeks.values())[:keep_weekly])
    removed = [p for p in archives if p not in keep]
    for p in removed:
        p.unlink()
    return removed


def read_manifest(archive: Path) -> dict:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise BackupError("manifest.json missing")
        return json.loads(member.read())


def _database_is_empty() -> bool:
    return not connection.introspection.table_names()


def restore(archive: Path | str, progress=print) -> dict:
    """Restore ``archive`` into the configured (empty) database and (empty) media storage."""
    archive = Path(archive)
    manifest = read_manifest(archive)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown archive format {manifest.get('format')!r}")
    if manifest["engine"] != connection.vendor:
        raise BackupError(f"the archive holds a {manifest['engine']} database; the target is {connection.vendor}")
    if not _database_is_empty():
        raise BackupError("the target database is not empty: restore only into a new, empty database")
    storage = default_storage
    if media_names(storage):
        raise BackupError("the media store is not empty: restore only into an empty media folder or bucket")
    with tempfile.TemporaryDirectory(prefix="safeserve-restore-") as tmp:
        staging = Path(tmp)
        progress("解包并核对校验和…")
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        for name, digest in manifest["files"].items():
            path = staging / name
            if not path.is_file() or sha256_path(path) != digest:
                raise BackupError(f"{name}: missing or changed since the backup (checksum)")
        # All or nothing: the files go in first (each one remembered), then the database in one
        # transaction; whatever fails after the first write takes everything written back out, so a
        # failed restore leaves the empty database and the empty store it found.
        saved: list[str] = []
        try:
            progress("上传文件…")
            for name in manifest["files"]:
                if not name.startswith("media/"):
                    continue
                stored = name.removeprefix("media/")
                with open(staging / name, "rb") as fh:
                    got = storage.save(stored, File(fh, name=posixpath.basename(stored)))
                saved.append(got)
                if got != stored:  # the store was empty: a different name means it renamed ours
                    raise BackupError(f"{name}: stored as {got}")
            progress("数据库…")
            _restore_database(staging / manifest["database"])
            connection.close()
            progress("核对记录数与哈希链…")
            problems = compare(manifest)
            if problems:
                raise BackupError("restored data differs from the manifest: " + "; ".join(problems[:10]))
        except BaseException:
            _take_back(saved, storage)
            raise
    return manifest


def _restore_database(db_file: Path) -> None:
    """Load the dump into the (empty) database in one transaction: a dump that fails half way in
    leaves no table behind."""
    connection.close()
    if connection.vendor == "sqlite":
        # The online backup API copies every page in one step under one write transaction.
        src = sqlite3.connect(db_file)
        try:
            connection.ensure_connection()
            src.backup(connection.connection)
        finally:
            src.close()
        return
    proc = subprocess.run(  # noqa: S603 - pg_restore into our own (empty) database
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            _pg_dsn(),
            str(db_file),
        ],
        capture_output=True,
        text=True,
        env=_pg_env(),
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed: {proc.stderr.strip()[-500:]}")


def _empty_database() -> None:
    """Return the database to the empty state restore found it in (it was checked empty before)."""
    connection.close()
    if connection.vendor == "sqlite":
        blank = sqlite3.connect(":memory:")
        try:
            connection.ensure_connection()
            blank.backup(connection.connection)
        finally:
            blank.close()
    else:
        with connection.cursor() as cur:
            for table in connection.introspection.table_names(cur):
                cur.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    connection.close()


def _take_back(saved: list[str], storage) -> None:
    """Undo a failed restore: the files it stored and whatever reached the database."""
    for name in saved:
        with contextlib.suppress(OSError):
            storage.delete(name)
    _empty_database()


def compare(manifest: dict) -> list[str]:
    counts = table_counts()
    problems = [
        f"{table}: {counts.get(table)} rows, manifest {n}"
        for table, n in manifest["tables"].items()
        if counts.get(table) != n
    ]
    chains = chain_checksums()
    problems += [
        f"chain {k} differs"
        for k in set(chains) | set(manifest["chains"])
        if chains.get(k) != manifest["chains"].get(k)
    ]
    return problems


def newest_age(out_dir: Path | str) -> timedelta | None:
    archives = list(Path(out_dir).glob(f"{ARCHIVE_PREFIX}*.tar"))
    if not archives:
        return None
    newest = max(p.stat().st_mtime for p in archives)
    return timedelta(seconds=datetime.now().timestamp() - newest)
