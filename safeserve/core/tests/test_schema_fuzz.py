"""A bounded property-based fuzz of the whole OpenAPI schema (issue 8 §10): no operation answers 5xx.

Schemathesis generates requests from the schema drf-spectacular builds for the app (valid and
invalid data), sends them in-process through the WSGI application as several personas (HTTP Basic),
and this test collects every 5xx. Bounded: FUZZ_EXAMPLES per operation and generation mode.

Generation is derandomized, so every persona used to draw the very same cases, and drawing them
(hypothesis' filtered strategies) cost far more than sending them: the cases are drawn once per
operation and mode, on the first persona, and the same cases are then sent as every persona.
"""

import base64
import os
from collections import Counter

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from safeserve.wsgi import application
from safeserve_dev.testkit import PASSWORD

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
PERSONAS = ("county", "town_a", "ent_a", "agency_a", "anon")
SKIP_OPERATIONS = {"/api/v1/telemetry"}  # the device door has its own hostile-body suite (iot tests)


_OPERATIONS = []


def _operations():
    if not _OPERATIONS:  # the schema is built once per test session
        schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
        _OPERATIONS.extend(r.ok() for r in schema.get_all_operations() if r.ok().path not in SKIP_OPERATIONS)
    return _OPERATIONS


def _headers(persona):
    if persona == "anon":
        return {}
    token = base64.b64encode(f"{persona}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


_CASES = {}


def _cases(operation, mode) -> list:
    """The FUZZ_EXAMPLES cases hypothesis draws for this operation and mode, drawn once per session."""
    key = (operation.label, mode)
    if key not in _CASES:
        drawn = _CASES[key] = []
        try:
            strategy = operation.as_strategy(generation_mode=mode)
        except Exception:
            return drawn

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def draw(case):
            drawn.append(case)

        draw()
    return _CASES[key]


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_operation_answers_5xx(world, settings_override_throttle, keep_test_connection, persona):
    headers = _headers(persona)
    failures, statuses = {}, Counter()

    for operation in _operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in _cases(operation, mode):
                response = case.call(app=application, headers=headers)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.setdefault(f"{operation.label} ({mode})", (response.status_code, case.as_curl_command()))
    assert sum(statuses.values()) >= len(_operations()), statuses  # every operation was really sent
    if persona != "anon":  # the fuzz really reached the API as this persona, not only its 401s
        assert sum(n for code, n in statuses.items() if 200 <= code < 300) > 0, statuses
    assert not failures, "5xx answers:\n" + "\n".join(f"{k}: {v[0]}\n  {v[1]}" for k, v in failures.items())


@pytest.fixture
def settings_override_throttle(settings):
    """Anonymous requests are throttled at 60/min: the fuzz is not a flood to defend against."""
    rf = dict(settings.REST_FRAMEWORK)
    rf["DEFAULT_THROTTLE_RATES"] = {**rf.get("DEFAULT_THROTTLE_RATES", {}), "anon": "100000/min"}
    settings.REST_FRAMEWORK = rf


@pytest.fixture
def keep_test_connection():
    """Requests through the WSGI app must not close the test's connection (and its transaction) on
    PostgreSQL: detach ``close_old_connections`` as Django's test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
