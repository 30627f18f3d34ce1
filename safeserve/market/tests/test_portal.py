"""The public portal and directory: who appears on which day, what the public sees (aggregates and
published items only), and that pages are cached without cookies."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeserve.core import hooks
from safeserve.market import actions, queries
from safeserve.market.models import CaseStatus, CaseStory, PriceItem
from safeserve.registry.models import AgencyQualification
from safeserve_dev.testkit import build_world

pytestmark = pytest.mark.django_db
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture
def world():
    cache.clear()
    w = build_world()
    a, b = w["agency_a"], w["agency_b"]
    a.service_types = ["consulting", "evaluation"]
    a.save()
    b.service_types = ["consulting"]
    b.save()
    return w


def names(on=None, **kw):
    return {x.agency.name for x in queries.directory(on, **kw)}


def test_an_expired_qualification_removes_the_service_type_it_covers_on_that_day(world):
    a = world["agency_a"]
    today = timezone.localdate()
    AgencyQualification.objects.filter(agency=a).delete()
    q = AgencyQualification.objects.create(
        agency=a, name="安全评价机构资质", number="APJ-1", issuer="浙江省应急管理厅", service_type="evaluation",
        valid_until=today,
    )  # fmt: skip
    listing = {x.agency.pk: x for x in queries.directory(today)}[a.pk]
    assert "evaluation" in listing.types and "consulting" in listing.types
    tomorrow = {x.agency.pk: x for x in queries.directory(today + timedelta(days=1))}[a.pk]
    assert tomorrow.types == ["consulting"]
    # With only the licensed type, the agency itself leaves the directory the day after expiry.
    a.service_types = ["evaluation"]
    a.save()
    assert a.name in names(today) and a.name not in names(today + timedelta(days=1))
    # An extension the county has not confirmed does not count.
    AgencyQualification.objects.filter(pk=q.pk).update(valid_until=today + timedelta(days=300), verified=False)
    assert a.name not in names(today + timedelta(days=1))


def test_struck_off_hidden_and_listed_agencies_do_not_appear(world, monkeypatch):
    a, b = world["agency_a"], world["agency_b"]
    assert {a.name, b.name} <= names()
    b.is_active = False
    b.save()
    assert b.name not in names()
    actions.agency_hide(actor=world.user("county"), agency=a, reason="资质材料存疑")
    assert a.name not in names()
    actions.agency_unhide(actor=world.user("county"), agency=a, reason="核查无误")
    assert a.name in names()
    # The serious-default list (the credit app's provider, through the hook every app reads).
    monkeypatch.setitem(
        hooks.CREDIT_PROVIDERS, "listed", lambda subject, ids, on: {a.pk} if subject == "agency" else set()
    )
    assert a.name not in names()


def test_hiding_needs_the_county_and_a_reason(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.agency_hide(actor=world.user("county"), agency=world["agency_a"], reason="  ")
    with pytest.raises(ValidationError):
        actions.agency_hide(actor=world.user("town_a"), agency=world["agency_a"], reason="理由")


def test_filters_and_sorting(world):
    a, b = world["agency_a"], world["agency_b"]
    PriceItem.objects.create(agency=a, service_type="consulting", item="隐患排查", unit="家·年", price_min=5000)
    PriceItem.objects.create(agency=b, service_type="consulting", item="隐患排查", unit="家·年", price_min=2000,
                             price_max=3000)  # fmt: skip
    assert names(price_max=2500) == {b.name}
    assert [x.agency.name for x in queries.directory(sort="price")][:2] == [b.name, a.name]
    actions.profile_for(b).towns_served.set([world["town_b"]])
    assert b.name not in names(town=world["town_a"].pk) and b.name in names(town=world["town_b"].pk)
    assert a.name in names(town=world["town_a"].pk)  # no area set: the whole county


def test_public_pages_show_no_personal_data_and_no_unpublished_story(world, client):
    o = world.objs
    CaseStory.objects.create(title="草稿做法", summary="不应公开", text="草稿正文", status=CaseStatus.DRAFT)
    pub = CaseStory.objects.create(title="西塘镇做法", summary="公开", text="段一\n\n段二", status=CaseStatus.PUBLISHED,
                                   published_at=timezone.now())  # fmt: skip
    urls = ["/portal/", "/portal/agencies/", f"/portal/agencies/{o['agency_a'].pk}/", "/portal/cases/",
            f"/portal/cases/{pub.pk}/", f"/portal/compare/?id={o['agency_a'].pk}&id={o['agency_b'].pk}"]  # fmt: skip
    enterprise_codes = [e.credit_code for e in (o["ent_a"], o["ent_b"])]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        body = r.content.decode()
        assert not PHONE.search(body), (url, PHONE.search(body))
        assert not ID_NUMBER.search(body), url
        assert not any(code in body for code in enterprise_codes), url
        assert "草稿" not in body and "csrfmiddlewaretoken" not in body
        assert not r.cookies, url  # nothing set: cacheable by anyone
    assert client.get(f"/portal/cases/{pub.pk + 100}/").status_code == 404
    draft = CaseStory.objects.get(title="草稿做法")
    assert client.get(f"/portal/cases/{draft.pk}/").status_code == 404


def test_public_pages_are_cached_per_language(world, client, settings):
    settings.SAFESERVE_MARKET = {**settings.SAFESERVE_MARKET, "PORTAL_CACHE_SECONDS": 60}
    first = client.get("/portal/agencies/")
    assert first["Cache-Control"] == "public, max-age=60"
    with CaptureQueriesContext(connection) as ctx:
        again = client.get("/portal/agencies/")
    assert again.content == first.content and len(ctx.captured_queries) == 0
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/portal/agencies/", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 200


def test_compare_refuses_more_than_four_and_bad_ids(world, client):
    assert client.get("/portal/compare/?id=1&id=2&id=3&id=4&id=5").status_code == 400
    assert "最多比较4家" in client.get("/portal/compare/?id=1&id=2&id=3&id=4&id=5").content.decode()
    assert client.get("/portal/compare/?id=abc").status_code == 400


def test_a_story_is_public_only_after_the_countys_review(world):
    town, county = world.user("town_a"), world.user("county")
    story = actions.case_create(actor=town, data={"title": "魏塘街道村级小微企业全覆盖", "summary": "做法",
                                                  "text": "第一段\n\n第二段"})  # fmt: skip
    assert story.town == world["town_a"] and story.status == CaseStatus.DRAFT
    assert story not in queries.published_cases()
    actions.case_transition(actor=town, story=story, action="submit")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.case_transition(actor=town, story=story, action="publish")
    with pytest.raises(ValidationError):
        actions.case_transition(actor=county, story=story, action="return")  # a return needs a note
    actions.case_transition(actor=county, story=story, action="publish", note="同意发布")
    story.refresh_from_db()
    assert story.status == CaseStatus.PUBLISHED and story in queries.published_cases()
    assert story.paragraphs() == ["第一段", "第二段"]


def test_the_directory_query_count_does_not_grow_with_agencies(world, django_assert_max_num_queries):
    from safeserve.registry.models import Agency
    from safeserve_dev.testkit import make_credit_code

    queries.directory()
    with CaptureQueriesContext(connection) as small:
        queries.directory()
    for i in range(12):
        Agency.objects.create(credit_code=make_credit_code(900 + i), name=f"新机构{i}", service_types=["consulting"])
    with CaptureQueriesContext(connection) as large:
        assert len(queries.directory()) >= 14
    assert len(large.captured_queries) == len(small.captured_queries)
