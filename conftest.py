import pytest
from django.test import Client


@pytest.fixture
def world(db):
    from safeserve.core.testkit import build_world

    return build_world()


@pytest.fixture
def client_for(world):
    """client_for("town_a") -> a logged-in test client for that persona ("anon" is logged out)."""

    def make(persona):
        c = Client()
        if persona != "anon":
            c.force_login(world.users[persona])
        return c

    return make
