"""List pages, detail pages and the API run the same number of queries whatever the data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeserve.registry.models import Enterprise
from safeserve_dev.testkit import make_credit_code


def _grow(world, start, n):
    base = world["ent_a"]
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                credit_code=make_credit_code(10_000 + i),
                name=f"扩充企业{i:05d}",
                address="罗星街道",
                town=base.town,
                village=base.village,
                industry=base.industry,
                legal_representative="某",
            )
            for i in range(start, start + n)
        ]
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


URLS = [
    lambda w: reverse("registry:enterprise_list"),
    lambda w: reverse("registry:enterprise_list") + "?risk_level=blue&page=2",
    lambda w: reverse("registry:enterprise_detail", args=[w["ent_a"].pk]),
    lambda w: "/api/v1/registry/enterprises/",
    lambda w: "/api/v1/registry/enterprises/?page=2",
    lambda w: reverse("registry:agency_list"),
    lambda w: reverse("home"),
]


@pytest.mark.parametrize("make_url", URLS)
def test_query_count_is_constant(world, client_for, make_url):
    c = client_for("town_a")
    url = make_url(world)
    _grow(world, 0, 60)
    _count(c, url)  # warm caches (content types), as on a running server
    small = _count(c, url)
    _grow(world, 60, 400)
    large = _count(c, url)
    assert small == large, f"{url}: {small} queries with 60 rows, {large} with 460"
    # The enterprise page is its 360° file: one aggregate and one short list per capability panel;
    # a home page, at most two queries per capability that puts cards on it.
    from safeserve.core import hooks
    from safeserve.core.home import HOME_PROVIDERS

    if "enterprises/" in url and url.rstrip("/")[-1].isdigit():
        # (the page itself: session, user, permissions, the enterprise, its history, the inbox count: 16)
        assert large <= 16 + 2 * len(hooks.ENTERPRISE_PANELS), (url, large, len(hooks.ENTERPRISE_PANELS))
    elif url == reverse("home"):
        assert large <= 8 + 2 * len(HOME_PROVIDERS), (url, large, len(HOME_PROVIDERS))
    else:
        assert large <= 20
