"""The county runs a half-year sampling round in a real Chromium (freeze the lists, enter the
lottery value, draw) and an officer records the re-check of a sampled visit with a photo; the
copied record then offers the "propose listing" form. One browser, one test."""

import io

import pytest
from playwright.sync_api import expect

from conftest import browser_login
from safeserve.supervision.models import ReCheck, SampledItem
from safeserve_dev.services_fixtures import extend_world
from safeserve_dev.testkit import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def test_county_runs_a_sampling_round_and_an_officer_records_a_recheck_with_a_photo(page, world):
    from django.utils import timezone

    extend_world(world)
    today = timezone.localdate()
    browser_login(page, "county", PASSWORD)
    page.goto("/supervision/rounds/")
    page.get_by_test_id("round-add").click()
    page.fill("#id_year", str(today.year))
    page.select_option("#id_half", "1" if today.month <= 6 else "2")
    page.fill("#id_share", "0.15")
    page.get_by_test_id("round-freeze").click()
    expect(page.get_by_test_id("round-draws")).to_contain_text(world["agency_a"].name)
    page.select_option("#id_source", "lottery")
    page.fill("#id_value", "26118")
    page.get_by_test_id("round-draw").click()
    expect(page.get_by_test_id("round-items").get_by_test_id("item-link")).to_have_count(2)
    assert SampledItem.objects.count() == 2

    item = SampledItem.objects.get(agency=world["agency_a"])
    page.goto(f"/supervision/items/{item.pk}/")
    page.check("input[name=outcome][value=copied]")
    page.fill("#id_findings", "记录内容与另一企业完全相同")
    page.set_input_files("#id_photos", files=[{"name": "现场.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_test_id("recheck-submit").click()
    expect(page.get_by_test_id("recheck-outcome")).to_have_text("抄袭雷同")
    expect(page.get_by_test_id("recheck-photo")).to_have_count(1)
    expect(page.get_by_test_id("propose")).to_be_visible()
    r = ReCheck.objects.get(item=item)
    assert (r.outcome, r.photos.count(), r.recorded_by.username) == ("copied", 1, "county")
