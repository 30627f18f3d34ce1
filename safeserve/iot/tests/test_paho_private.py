"""Canary for paho-mqtt's private internals (safeserve/iot/paho_private.py, ADR 0021).

At run time a paho that no longer matches falls back to its public API and loses throughput
(ADR 0009); here it fails, so an upgrade is noticed before it reaches a worker.
"""

import re
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from safeserve.iot import mqtt as door
from safeserve.iot import paho_private


def test_the_installed_paho_has_every_internal_the_worker_uses():
    assert paho_private.mismatches() == []


def test_the_worker_runs_the_tuned_paths():
    client = door.make_client(door.parse_url("mqtt://127.0.0.1:1"), "canary", clean_session=False, worker=True)
    assert type(client) is paho_private._WorkerClient
    assert paho_private.lighten_paho() and paho_private.lighten_paho()  # twice in one process: still on
    assert mqtt.MQTTMessage is paho_private._LazyInfoMessage


def test_requirements_pin_the_tested_range():
    line = next(
        x for x in (Path(__file__).parents[3] / "requirements.in").read_text().splitlines() if x.startswith("paho")
    )
    a, b, c, d = map(int, re.match(r"paho-mqtt>=(\d+)\.(\d+),<(\d+)\.(\d+)", line).groups())
    assert ((a, b), (c, d)) == paho_private.TESTED_PAHO


class _OtherMessage:
    __slots__ = ("_topic", "dup", "info", "mid", "new", "payload", "properties", "qos", "retain", "state", "timestamp")


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda mp: mp.setattr(paho_private, "_PAHO_MESSAGE", _OtherMessage), "MQTTMessage.__slots__"),
        (lambda mp: mp.delattr(mqtt.Client, "_packet_queue"), "_packet_queue is missing"),
        (lambda mp: mp.setattr(mqtt.Client, "_packet_queue", lambda self, packet, qos: 0), "_packet_queue("),
        (lambda mp: mp.delattr(mqtt.Client, "_handle_on_message"), "_handle_on_message is missing"),
        (lambda mp: mp.setattr("paho.mqtt.__version__", "2.4.0"), "outside the tested range"),
    ],
)
def test_the_canary_notices_a_paho_that_no_longer_matches(monkeypatch, change, expected):
    """What another paho version would look like: the canary must name it (and the worker falls back)."""
    change(monkeypatch)
    assert any(expected in problem for problem in paho_private.mismatches()), paho_private.mismatches()


def test_a_fallback_is_logged_not_silent(monkeypatch, caplog):
    monkeypatch.delattr(mqtt.Client, "_handle_on_message")
    monkeypatch.setattr(paho_private, "_warned", set())
    with caplog.at_level("WARNING", logger="safeserve.iot.paho_private"):
        assert paho_private.worker_client_class() is mqtt.Client
    assert "falling back" in caplog.text
