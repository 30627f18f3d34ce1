"""The load tool's devices are heard, or the run says they were not.

Until stop 25 the tool started the device simulator with no broker address and hid its output: the
simulator exited at once ("no target") and every run reported "5,000 devices reporting" with nothing
ingested. Now the simulator is given `make serve`'s broker, a simulator that is gone before the run
stops it with its own last words, and each run prints the readings the ingestion workers stored, and
counts a run whose devices were not heard as a failure.
"""

import socket
import subprocess
import sys
import time
from argparse import Namespace

import pytest

from safeserve.iot import actions
from safeserve.iot.models import Reading
from safeserve_dev import loadtest


def closed_loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_simulator_that_cannot_reach_its_broker_stops_the_run_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(loadtest, "WORKDIR", tmp_path)
    url = f"mqtt://127.0.0.1:{closed_loopback_port()}"
    # The simulator gives up on the broker after 10 s; the warm-up ends as soon as it stops, so a long one
    # costs nothing here and leaves room for a slow start on a busy machine.
    args = Namespace(devices=3, mqtt_url=url, device_warmup=90.0)
    with pytest.raises(SystemExit) as stop:
        loadtest.start_devices(args)
    message = str(stop.value)
    assert "device simulator stopped" in message, message
    assert f"cannot connect to {url}" in message, message


def test_only_loopback_brokers_are_a_target(tmp_path, monkeypatch):
    monkeypatch.setattr(loadtest, "WORKDIR", tmp_path)
    with pytest.raises(SystemExit, match="loopback"):
        loadtest.start_devices(Namespace(devices=3, mqtt_url="mqtt://192.0.2.1:1883", device_warmup=0))


def test_no_devices_no_simulator():
    assert loadtest.start_devices(Namespace(devices=0, mqtt_url="", device_warmup=0)) is None


@pytest.fixture
def simulator_process(tmp_path):
    """A real process standing for a running simulator (what report_telemetry reads of it)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    proc.log_path = tmp_path / "load_devices.log"
    yield proc
    proc.kill()
    proc.wait(10)


def add_readings(world, n: int, since_ms: int):
    device, _secret = actions.device_create(
        actor=None,
        data={
            "enterprise": world.objs["ent_a"],
            "code": "LOAD-90001",
            "name": "负载测试配电箱",
            "place": "一车间",
            "circuit": "动力回路",
            "rated_current_a": 32,
            "interval_s": 60,
        },
    )
    Reading.objects.bulk_create(
        [Reading(device=device, ts=since_ms + 1000 * i, residual_ma=10) for i in range(n)]
        + [Reading(device=device, ts=since_ms - 120_000, residual_ma=10)]  # before the run: not counted
    )


def test_the_readings_stored_during_the_run_are_counted_and_too_few_is_a_failure(world, simulator_process, capsys):
    since_ms = int(time.time() * 1000) - 60_000  # a one-minute run: 3 devices send about 3 readings
    assert loadtest.report_telemetry(simulator_process, 3, since_ms) == 1
    assert "0 readings stored of about 3 sent" in capsys.readouterr().out
    add_readings(world, 3, since_ms)
    assert loadtest.stored_readings(since_ms) == 3
    assert loadtest.report_telemetry(simulator_process, 3, since_ms) == 0
    assert "3 readings stored" in capsys.readouterr().out


def test_a_simulator_gone_during_the_run_is_a_failure(world, simulator_process, capsys):
    since_ms = int(time.time() * 1000) - 60_000
    add_readings(world, 5, since_ms)
    simulator_process.kill()
    simulator_process.wait(10)
    assert loadtest.report_telemetry(simulator_process, 3, since_ms) == 1
    assert "STOPPED" in capsys.readouterr().out
