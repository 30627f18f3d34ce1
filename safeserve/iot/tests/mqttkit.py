"""Real infrastructure for the MQTT tests: a Mosquitto on a free loopback port, a migrated database
file that worker processes share with the test, and worker processes that can be killed with -9."""

import atexit
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from safeserve_dev.mqtt_broker import MOSQUITTO, ROOT, Broker, free_port, manage  # noqa: F401 - the shared harness


def django_env(db_url: str, **extra) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = db_url
    env.setdefault("DJANGO_SETTINGS_MODULE", "safeserve.settings")
    env["SAFESERVE_LOG_LEVEL"] = "ERROR"
    env.update(extra)
    return env


PG_ADMIN = os.environ.get("IOT_TEST_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN, connect_timeout=2).close()
        return True
    except Exception:
        return False


_TEMPLATES: dict[str, object] = {}  # per test process: a migrated database to copy


def _sqlite_template() -> Path:
    """One migrated SQLite file per test process: a test copies it instead of running the
    migrations (a Django start and every migration) again."""
    if "sqlite" not in _TEMPLATES:
        workdir = Path(tempfile.mkdtemp(prefix="iot-test-template-"))
        atexit.register(shutil.rmtree, workdir, True)
        path = workdir / "template.sqlite3"
        manage(django_env(f"sqlite:///{path}"), "migrate", "--noinput", "-v", "0")
        _TEMPLATES["sqlite"] = path
    return _TEMPLATES["sqlite"]


def _postgres_template() -> str:
    """One migrated PostgreSQL database per test process, the template of each test's database."""
    if "postgresql" not in _TEMPLATES:
        import psycopg

        name = f"iot_tpl_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            con.execute(f'CREATE DATABASE "{name}"')
        atexit.register(_drop_database, name)
        manage(django_env(PG_ADMIN.rsplit("/", 1)[0] + "/" + name), "migrate", "--noinput", "-v", "0")
        _TEMPLATES["postgresql"] = name
    return _TEMPLATES["postgresql"]


def _drop_database(name):
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class ExternalDB:
    """A migrated database (an SQLite file or a fresh PostgreSQL database) that separate processes
    (workers) and the test both use; a copy of the process's migrated template."""

    def __init__(self, workdir: Path, kind: str = "sqlite"):
        self.kind = kind
        if kind == "sqlite":
            self.path = workdir / "iot.sqlite3"
            self.url = f"sqlite:///{self.path}"
            template = _sqlite_template()
            for suffix in ("", "-wal"):  # a cleanly closed WAL database has no -wal file left
                if Path(f"{template}{suffix}").exists():
                    shutil.copyfile(f"{template}{suffix}", f"{self.path}{suffix}")
        else:
            import psycopg

            template = _postgres_template()
            self.name = f"iot_ext_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as con:
                con.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}"')
            self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name
        self.env = django_env(self.url)

    def shell(self, code: str) -> str:
        """Run Python in ``manage.py shell`` on this database; its standard output."""
        return manage(self.env, "shell", "-c", code).stdout

    def drop(self):
        if self.kind == "postgresql":
            _drop_database(self.name)

    def provision(self, n: int, prefix="SIM") -> list[tuple[str, str]]:
        out = manage(
            self.env,
            "shell",
            "-c",
            f"import json; from safeserve_dev.iot_simulator import provision; print(json.dumps(provision({n}, {prefix!r})))",
        )
        return [tuple(p) for p in json.loads(out.stdout.strip().splitlines()[-1])]

    def query(self, sql, params=()):
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(self.url) as con:
                return con.execute(sql, params).fetchall()
        con = sqlite3.connect(self.path, timeout=30)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def count(self, table="iot_reading") -> int:
        return self.query(f"SELECT COUNT(*) FROM {table}")[0][0]


class Worker:
    def __init__(self, env, broker_url, client_id, *extra):
        self.env, self.url, self.client_id, self.extra = env, broker_url, client_id, extra
        self.proc = None
        self.output = []

    def start(self, wait_subscribed=True):
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "ingest_mqtt",
                "--url",
                self.url,
                "--client-id",
                self.client_id,
                "--batch-size",
                "200",
                *self.extra,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        if wait_subscribed:  # the command prints this line once the broker confirmed the subscription
            for line in self.proc.stdout:
                if "subscribed" in line:
                    break
            else:
                raise RuntimeError("ingest_mqtt exited before subscribing")
            self._drainer = threading.Thread(target=self._drain, daemon=True)  # keep the pipe drained
            self._drainer.start()
        return self

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "_drainer", None) is not None:
            self._drainer.join(5)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def wait_until(cond, timeout=60, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(interval)
    return cond()
