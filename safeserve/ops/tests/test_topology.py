"""The production process set, as real processes on loopback (issue 16 §2; docs/deployment.md).

PostgreSQL (the machine's), its own Redis and Mosquitto on free ports, then the commands of the
project's ``Procfile``: gunicorn with 2 workers, the job worker on Redis, and 2 ingestion workers.
Through them: a county officer logs in over HTTP; an enterprise user reports a hazard through the API;
a device publishes a breaching reading over MQTT -> exactly one alarm and its notification (its prompt
delivery by the job worker, also across a restart of the job worker, is the second test); an ingestion
worker killed with SIGKILL while devices report -> the other keeps storing, and
after the restart nothing is lost; /readyz says the broker is down while it is stopped and recovers.
Every process is torn down even when the test fails.
"""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from django.db import connection

from safeserve.iot.tests.mqttkit import ExternalDB, postgres_available, wait_until
from safeserve_dev.mqtt_broker import ROOT, Broker, free_port

pytestmark = [
    pytest.mark.topology,
    pytest.mark.skipif(not postgres_available(), reason="needs the machine's PostgreSQL (127.0.0.1:5432)"),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server (apt-get install redis-server)"),
]
PASSWORD = "Test-Passw0rd!"  # safeserve_dev.testkit.PASSWORD


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if re.match(r"^[a-z0-9]+: ", line))


class Proc:
    """A Procfile command in its own process group, its output kept for the failure message."""

    def __init__(self, name: str, command: str, env: dict):
        self.name, self.command, self.env = name, command, env
        self.proc, self.output = None, []

    def start(self):
        self.proc = subprocess.Popen(
            self.command,
            shell=True,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self):
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait(5)

    def kill9(self):
        self.signal(signal.SIGKILL)
        self.proc.wait(10)

    def saw(self, text: str) -> bool:
        return any(text in line for line in self.output)


class Redis:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import socket

        assert wait_until(lambda: _connects(socket, self.port), timeout=10), "redis-server did not start"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def _connects(socket, port) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if connection.vendor == "postgresql":
        pytest.skip("runs once per CI run, in `make test` (it starts its own PostgreSQL database either way)")
    work = tmp_path_factory.mktemp("topology")
    started: list = []
    try:
        db = ExternalDB(work, "postgresql")
        started.append(db)
        redis = Redis(work)
        started.append(redis)
        broker = Broker(work / "mqtt", free_port()).start()
        started.append(broker)
        port = free_port()
        env = dict(
            db.env,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY="topology-test-" + "k" * 40,
            DJANGO_ALLOWED_HOSTS="127.0.0.1",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_SECURE_COOKIES="0",
            HUEY_REDIS_URL=f"redis://127.0.0.1:{redis.port}/0",
            SAFESERVE_CACHE_URL=f"redis://127.0.0.1:{redis.port}/1",
            MQTT_URL=broker.url,
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_CONCURRENCY="2",
            JOB_WORKERS="2",
            SAFESERVE_STATIC_ROOT=str(work / "static"),
            SAFESERVE_STATIC_COMPRESS="0",
            SAFESERVE_BACKUP_DIR=str(work / "backups"),
            SAFESERVE_LOG_LEVEL="WARNING",
        )
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
        world = json.loads(
            db.shell(
                "import json\n"
                "from safeserve_dev.testkit import build_world\n"
                "from safeserve_dev.iot_simulator import provision\n"
                "from safeserve.iot import actions\n"
                "w = build_world()\n"
                "d, s = actions.device_create(actor=None, data={'enterprise': w['ent_a'], 'code': 'TOPO-ALARM-1',"
                " 'name': '拓扑测试配电箱', 'place': '一车间', 'circuit': '动力回路', 'rated_current_a': 32, 'interval_s': 60})\n"
                "d2, s2 = actions.device_create(actor=None, data={'enterprise': w['ent_a'], 'code': 'TOPO-ALARM-2',"
                " 'name': '拓扑测试配电箱二', 'place': '二车间', 'circuit': '动力回路', 'rated_current_a': 32, 'interval_s': 60})\n"
                "print(json.dumps({'alarm_device': [d.code, s], 'alarm_device_2': [d2.code, s2],"
                " 'devices': provision(12, 'TOPO')}))\n"
            )
            .strip()
            .splitlines()[-1]
        )
        commands = procfile()
        procs = {name: Proc(name, commands[name], env) for name in ("web", "jobs", "ingest1", "ingest2")}
        procs["jobs"].env = dict(env, SAFESERVE_LOG_LEVEL="INFO")  # its "Consumer exiting" line: below
        for p in procs.values():
            started.append(p)
            p.start()
        base = f"http://127.0.0.1:{port}"

        def web_up():
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        assert wait_until(web_up, timeout=60), "gunicorn did not answer:\n" + "".join(procs["web"].output[-30:])
        assert wait_until(lambda: procs["ingest1"].saw("subscribed") and procs["ingest2"].saw("subscribed"), 60)
        yield {"db": db, "broker": broker, "procs": procs, "base": base, "world": world, "env": env}
    finally:
        for thing in reversed(started):
            with contextlib.suppress(Exception):
                thing.stop() if not isinstance(thing, ExternalDB) else thing.drop()


@contextlib.contextmanager
def publisher(broker_url: str):
    """A connected device-side MQTT client: ``send(code, body)`` publishes one reading (QoS 1)."""
    import paho.mqtt.client as mqtt

    port = int(broker_url.rsplit(":", 1)[1])
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"topo-pub-{time.time_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        yield lambda code, body: client.publish(
            f"safeserve/v1/telemetry/{code}", json.dumps(body), qos=1
        ).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def publish(broker_url: str, messages: list[tuple[str, dict]], rate: float | None = None):
    with publisher(broker_url) as send:
        for code, body in messages:
            send(code, body)
            if rate:
                time.sleep(1 / rate)


DELIVERIES = (
    "SELECT dl.status FROM notifications_delivery dl JOIN notifications_notification n ON n.id = dl.notification_id "
    "WHERE n.created_at >= now() - interval '10 minutes' AND n.title LIKE %s"
)


def test_the_process_set_end_to_end(stack):
    db, broker, procs, base = stack["db"], stack["broker"], stack["procs"], stack["base"]

    # 1. A county officer logs in over HTTP (gunicorn, DEBUG off, hashed static files).
    s = requests.Session()
    login = s.get(f"{base}/accounts/login/", timeout=10)
    assert login.status_code == 200 and "csrftoken" in s.cookies
    home = s.post(
        f"{base}/accounts/login/",
        data={"username": "county", "password": PASSWORD, "csrfmiddlewaretoken": s.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=10,
    )
    assert home.status_code == 200 and home.url.rstrip("/") == base and "county" in home.text
    css = re.search(r'href="(/static/css/safeserve\.[0-9a-f]{12}\.css)"', home.text)
    assert css, "static files are served under hashed names"
    static = requests.get(base + css.group(1), timeout=10)
    assert static.status_code == 200 and "max-age=315360000" in static.headers["Cache-Control"]

    # 2. An enterprise user reports a hazard through the API.
    hazard = requests.post(
        f"{base}/api/v1/hazards/hazards/",
        json={"location": "二车间", "description": "配电箱门未关闭", "responsible_person": "王五"},
        auth=("ent_a", PASSWORD),
        timeout=10,
    )
    assert hazard.status_code == 201, hazard.text
    assert db.query("SELECT COUNT(*) FROM hazards_hazard WHERE id = %s", (hazard.json()["id"],))[0][0] == 1

    # 3. A breaching reading over MQTT -> exactly one alarm and its notification rows (delivery: below).
    code, secret = stack["world"]["alarm_device"]
    now = int(time.time() * 1000)
    publish(broker.url, [(code, {"secret": secret, "ts": now - 2000, "values": {"residual_ma": 900}})])
    alarms = "SELECT a.id FROM iot_alarm a JOIN iot_device d ON d.id = a.device_id WHERE d.code = %s"
    assert wait_until(lambda: len(db.query(alarms, (code,))) == 1, 30), "no alarm raised"
    assert wait_until(lambda: db.query(DELIVERIES, ("%TOPO-ALARM-1%",)), 20), "the alarm's notification was not written"
    assert len(db.query(alarms, (code,))) == 1

    # 4. SIGKILL one ingestion worker while 12 devices report; the other keeps storing its partition;
    #    after the restart every reading is stored, none twice.
    fleet = stack["world"]["devices"]
    start_ts = now - 3_600_000
    per_device = 40
    messages = [
        (c, {"secret": sec, "ts": start_ts + k * 1000, "values": {"residual_ma": 20, "t1_c": 30}})
        for k in range(per_device)
        for c, sec in fleet
    ]
    readings = "SELECT COUNT(*) FROM iot_reading r JOIN iot_device d ON d.id = r.device_id WHERE d.code LIKE 'TOPO-0%%'"
    half = len(messages) // 3
    publish(broker.url, messages[:half])
    procs["ingest1"].kill9()
    before = db.query(readings)[0][0]
    publish(broker.url, messages[half:])
    assert wait_until(lambda: db.query(readings)[0][0] > before, 20), "the surviving worker stored nothing"
    procs["ingest1"].start()
    assert wait_until(lambda: db.query(readings)[0][0] == len(messages), 60), (
        f"lost readings: {db.query(readings)[0][0]} of {len(messages)}"
    )

    # 5. /readyz follows the broker down and back.
    assert requests.get(f"{base}/readyz", timeout=10).json()["checks"]["broker"]["status"] == "ok"
    broker.stop()
    down = requests.get(f"{base}/readyz", timeout=10)
    assert down.status_code == 503 and down.json()["checks"]["broker"]["status"] == "down"
    broker.start()
    assert wait_until(lambda: requests.get(f"{base}/readyz", timeout=10).status_code == 200, 20)


def _deliveries_sent(db, code: str) -> bool:
    rows = db.query(DELIVERIES, (f"%{code}%",))
    return bool(rows) and {r[0] for r in rows} == {"sent"}


def _delivery_report(stack, code: str) -> str:
    rows = stack["db"].query(
        "SELECT dl.status, dl.attempts, dl.next_attempt_at, dl.claimed_at, dl.last_error, now()"
        " FROM notifications_delivery dl JOIN notifications_notification n ON n.id = dl.notification_id"
        " WHERE n.title LIKE %s",
        (f"%{code}%",),
    )
    return f"deliveries of {code}: {rows!r}\njobs:\n" + "".join(stack["procs"]["jobs"].output[-30:])


def test_the_alarm_notification_is_delivered_by_the_job_worker_promptly(stack):
    """An alarm's SMS/webhook goes out within seconds, not at the 5-minute sweep: the one raised above
    (the job worker running), and one raised while the job worker is being restarted (a deploy,
    ``systemctl restart``): SIGTERM makes the worker finish what its blocking Redis pop received
    instead of dropping it (settings.HUEY consumer ``graceful_signal``; ADR 0017)."""
    db, broker, jobs = stack["db"], stack["broker"], stack["procs"]["jobs"]
    assert db.query(DELIVERIES, ("%TOPO-ALARM-1%",)), "run after test_the_process_set_end_to_end"
    assert wait_until(lambda: _deliveries_sent(db, "TOPO-ALARM-1"), 30), _delivery_report(stack, "TOPO-ALARM-1")

    code, secret = stack["world"]["alarm_device_2"]
    with publisher(broker.url) as send:
        jobs.signal(signal.SIGTERM)
        # The alarm is raised as the worker reports its exit: the moment the old default lost the job
        # (the exiting process still waited in BRPOP and took it off the queue; ADR 0017).
        assert wait_until(lambda: jobs.saw("Consumer exiting"), 30, interval=0.002), "".join(jobs.output[-20:])
        send(code, {"secret": secret, "ts": int(time.time() * 1000) - 2000, "values": {"residual_ma": 900}})
    assert wait_until(lambda: db.query(DELIVERIES, (f"%{code}%",)), 20), "the alarm's notification was not written"
    jobs.proc.wait(30)
    jobs.start()
    assert wait_until(lambda: _deliveries_sent(db, code), 30), _delivery_report(stack, code)
