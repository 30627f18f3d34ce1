"""One Mosquitto harness for the MQTT tests (safeserve/iot/tests/mqttkit.py) and the iot benchmark
(safeserve_dev/iot_bench.py): a broker on a free loopback port, configured as docs/iot-protocol.md
recommends, and ``manage.py`` run in a child process against a given database."""

import getpass
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """Mosquitto with persistence under ``workdir``. The tests autosave every second (a restart
    must find queued messages); the benchmark every minute with a wider in-flight window."""

    def __init__(self, workdir: Path, port: int | None = None, *, autosave_interval: int = 1, max_inflight: int = 1000):
        self.dir = workdir
        self.port = port or free_port()
        self.proc = None
        (workdir / "persist").mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {workdir / 'persist'}/",
                    f"autosave_interval {autosave_interval}",
                    f"max_inflight_messages {max_inflight}",
                    "max_queued_messages 1000000",
                    "log_dest none",
                    # Run as root, Mosquitto drops to the "mosquitto" user and cannot write our temp dir.
                    f"user {getpass.getuser()}",
                    "",
                ]
            )
        )

    @property
    def url(self):
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(  # noqa: S603 - our own broker binary and config
            [MOSQUITTO, "-c", str(self.conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self):
        """Graceful stop: Mosquitto writes its persistence file (sessions, queued messages)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)
        self.proc = None


def manage(env, *args, timeout=120, check=True, capture=True) -> subprocess.CompletedProcess:
    """``manage.py *args`` in a child process with ``env`` (its DATABASE_URL picks the database)."""
    return subprocess.run(  # noqa: S603 - this interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=capture,
        text=True,
        timeout=timeout,
        check=check,
    )
