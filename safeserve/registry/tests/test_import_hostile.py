"""Hostile roster uploads (issue 8 item 1: every upload door): only a real, bounded .xlsx is read.

A refused file leaves a Chinese reason on the page, nothing in the upload directory, no record, and its
bytes are never answered back (the stored upload has no URL; only the generated problem list does).
"""

import pytest
from django.urls import reverse

from safeserve.registry.models import Enterprise
from safeserve_dev.testfiles import SCRIPT, hostile_rosters, upload

pytestmark = pytest.mark.django_db
ROSTERS = hostile_rosters()


@pytest.fixture
def upload_dir(settings, tmp_path):
    path = tmp_path / "uploads"
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_UPLOAD_DIR": str(path)}
    return path


@pytest.mark.parametrize("payload", list(ROSTERS))
@pytest.mark.parametrize("kind", ["enterprise", "agency"])
def test_hostile_roster_is_refused_and_nothing_stays(world, client_for, upload_dir, kind, payload):
    name, content, reason = ROSTERS[payload]
    model_count = Enterprise.objects.count()
    client = client_for("county")
    url = reverse(f"registry:{kind}_import")
    resp = client.post(url, {"action": "upload", "file": upload(name, content, "application/octet-stream")})
    assert resp.status_code == 200
    page = resp.content.decode()
    assert 'data-testid="upload-error"' in page and reason in page, page[:2000]
    assert SCRIPT not in resp.content
    assert Enterprise.objects.count() == model_count
    assert not upload_dir.exists() or list(upload_dir.iterdir()) == []
    # Nothing to confirm, nothing to download.
    assert "token" not in (resp.context or {}) or not resp.context.get("token")


def test_zip_bomb_limit_is_a_setting(world, client_for, upload_dir, settings):
    from safeserve_dev.testfiles import zip_bomb_xlsx

    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_MAX_UNCOMPRESSED_BYTES": 5 * 1024 * 1024}
    resp = client_for("county").post(
        reverse("registry:enterprise_import"), {"action": "upload", "file": upload("a.xlsx", zip_bomb_xlsx(8))}
    )
    assert "上限为 5 MB" in resp.content.decode()
