"""The portal benchmark runs end to end (the figures come from `python -m safeserve_dev.portal_bench`
against `make serve`; this proves the tool reads the pages, drives the readers and reports)."""

import pytest
from django.core.cache import cache

from safeserve_dev import portal_bench
from safeserve_dev.testkit import build_world

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("generator", ["openloop", "locust"])
def test_a_short_portal_run_reports_every_page_without_errors(transactional_db, live_server, capsys, generator):
    cache.clear()
    world = build_world()
    for key in ("agency_a", "agency_b"):
        world[key].service_types = ["consulting"]
        world[key].save()
    portal_bench.main(
        ["--base-url", live_server.url, "--rate", "10", "--duration", "5", "--baseline-requests", "2"]
        + ["--generator", generator]
    )
    out = capsys.readouterr().out
    for page in ("portal home", "directory", "agency page"):
        assert page in out
    assert f"10 readers offering 10 req/s for 5 s ({generator})" in out
    assert "busiest processes:" in out
    total = next(line for line in out.splitlines() if line.startswith("ALL")).split()
    assert int(total[1]) > 10 and total[3] == "0", out
