"""A case story's picture has its own door (market:case_photo_upload), never the generic edit form."""

import pytest
from django.urls import reverse

from safeserve.market.models import CaseStatus, CaseStory
from safeserve_dev.testfiles import SCRIPT, image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_draft_gets_its_picture_on_its_own_page(world, client_for):
    story = CaseStory.objects.create(title="甲镇典型做法", town=world["town_a"], summary="甲", text="正文")
    url = reverse("market:case_photo_upload", args=[story.pk])
    town = client_for("town_a")
    assert 'data-testid="case-photo-upload"' in town.get(story.get_absolute_url()).content.decode()
    resp = town.post(url, {"image": upload("坏图.jpg", SCRIPT)}, follow=True)
    story.refresh_from_db()
    assert not story.photo and "坏图.jpg" in resp.content.decode()  # refused, named, nothing stored
    assert town.post(url, {"image": upload("图.png", image_bytes("PNG"), "image/png")}).status_code == 302
    story.refresh_from_db()
    assert story.photo.name.endswith(".png")
    CaseStory.objects.filter(pk=story.pk).update(status=CaseStatus.REVIEW)
    before = story.photo.name
    town.post(url, {"image": upload("新图.png", image_bytes("PNG"), "image/png")})
    story.refresh_from_db()
    assert story.photo.name == before  # only a draft changes
    assert 'data-testid="case-photo-upload"' not in town.get(story.get_absolute_url()).content.decode()
