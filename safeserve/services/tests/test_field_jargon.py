"""Field staff see plain words on their visit pages; the hash chain's figures are for the regulators."""

import pytest
from django.urls import reverse

from safeserve_dev.services_fixtures import extend_world

JARGON = ("哈希", "SHA-256", "sha256", "hash")


@pytest.fixture
def visit(world):
    extend_world(world)
    return world["visit_a"]


def test_hash_figures_only_for_regulators(client_for, visit):
    url = reverse("services:visit_detail", args=[visit.pk])
    for persona in ("agency_a", "ent_a"):
        html = client_for(persona).get(url).content.decode()
        assert 'data-testid="chain-ok"' in html, persona
        assert not [w for w in JARGON if w in html], persona
    form = client_for("agency_a").get(reverse("services:visit_add")).content.decode()
    assert not [w for w in JARGON if w in form]
    county = client_for("county").get(url).content.decode()
    assert "记录哈希" in county and visit.content_hash[:16] in county
