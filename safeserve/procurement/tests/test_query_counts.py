"""The project list, its API and the budget view run the same number of queries at any data size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeserve_dev.procurement_fixtures import make_awarded, make_bid, make_project

URLS = [
    lambda: reverse("procurement:project_list"),
    lambda: "/api/v1/procurement/projects/",
    lambda: reverse("procurement:budget"),
]


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200
    return len(ctx.captured_queries)


def _grow(world, n):
    for i in range(n):
        p = make_project(world, status="procuring", name=f"项目{i}")
        make_bid(world, p)
        make_awarded(world, name=f"履约{i}")


@pytest.mark.parametrize("make_url", URLS)
@pytest.mark.parametrize("persona", ["county", "town_a", "agency_a"])
def test_query_count_is_constant(world, client_for, make_url, persona):
    if persona == "agency_a" and "budget" in make_url():
        pytest.skip("the budget view is the buyers' (403 for a supplier)")
    c = client_for(persona)
    _grow(world, 1)
    small = _count(c, make_url())
    _grow(world, 4)
    assert _count(c, make_url()) == small
