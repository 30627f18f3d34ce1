"""A job that reaches the Redis queue while the job worker is shutting down is run, or left queued for
the next worker; never taken off the queue by the dying process and dropped (issue 16).

The Procfile's job worker on its own Redis and an SQLite database: SIGTERM (what systemd, honcho and
a deploy send), and a delivery job pushed at once, while the worker's threads still wait in their
blocking pop. With huey's default (SIGTERM stops at once) the dying process took the job and exited
without running it: an alarm's SMS waited for the 5-minute sweep. docs/decisions/0017-queued-delivery.md
"""

import logging
import shlex
import shutil
import signal
import time

import pytest

from safeserve.iot.tests.mqttkit import ExternalDB, wait_until
from safeserve.ops.tests.test_topology import Proc, Redis, procfile

needs_redis = pytest.mark.skipif(
    not shutil.which("redis-server"), reason="needs redis-server (apt-get install redis-server)"
)

ROWS = (
    "from django.utils import timezone\n"
    "from safeserve.accounts.models import User\n"
    "from safeserve.notifications.models import Delivery, Notification\n"
    "u = User.objects.create_user(username='shutdown-probe', password='x')\n"
    "n = Notification.objects.create(recipient=u, kind='iot_alarm', title='shutdown probe')\n"
    "print(Delivery.objects.create(notification=n, channel='log', next_attempt_at=timezone.now()).pk)\n"
)


def test_the_procfile_job_worker_stops_gracefully_on_sigterm(monkeypatch):
    """The consumer that the Procfile's command line builds (settings.HUEY["consumer"] plus its
    arguments) treats SIGTERM as a graceful stop. Fast; the process test below shows why."""
    from django.core.management import call_command
    from huey import MemoryHuey
    from huey.consumer import Consumer
    from huey.contrib.djhuey import HUEY

    built = {}

    class NotRun:
        def run(self):
            pass

    monkeypatch.setattr(HUEY, "create_consumer", lambda **options: built.update(options) or NotRun())
    monkeypatch.setattr(logging.getLogger("huey"), "handlers", [logging.NullHandler()])
    argv = shlex.split(procfile()["jobs"].replace("${JOB_WORKERS:-2}", "2"))
    call_command(*argv[argv.index("run_huey") :])
    assert built["graceful_signal"] == "TERM" and built["worker_type"] == "thread"
    consumer = Consumer(MemoryHuey("probe"), **built)
    assert consumer._signal_actions[signal.SIGTERM] == (False, True)  # (restart, graceful)


@needs_redis
def test_a_job_queued_while_the_worker_stops_is_run_or_kept(tmp_path):
    import redis as redis_client
    from huey.contrib.djhuey import HUEY

    from safeserve.notifications.tasks import deliver_notifications

    db = ExternalDB(tmp_path, "sqlite")
    server = Redis(tmp_path)
    worker = None
    try:
        delivery_id = int(db.shell(ROWS).strip().splitlines()[-1])
        env = dict(db.env, HUEY_REDIS_URL=f"redis://127.0.0.1:{server.port}/0", SAFESERVE_LOG_LEVEL="INFO")
        worker = Proc("jobs", procfile()["jobs"], env).start()
        r = redis_client.Redis(port=server.port)
        queue = "huey.redis.safeserve"
        # Both worker threads wait in their blocking pop (BRPOP) on the queue.
        blocked = lambda: sum(c.get("cmd") == "brpop" for c in r.client_list()) >= 2  # noqa: E731
        assert wait_until(blocked, 60), "the job worker did not start:\n" + "".join(worker.output[-30:])
        message = HUEY.serialize_task(deliver_notifications.s([delivery_id]))

        worker.signal(signal.SIGTERM)
        # The job arrives as the consumer reports its exit: the process is on its way out, and with
        # huey's default its worker threads still wait in BRPOP (they are daemon threads, not joined).
        assert wait_until(lambda: worker.saw("Consumer exiting"), 30, interval=0.005), "".join(worker.output[-20:])
        r.lpush(queue, message)
        worker.proc.wait(30)
        time.sleep(0.2)

        status = db.query("SELECT status FROM notifications_delivery WHERE id = ?", (delivery_id,))[0][0]
        assert status == "sent" or r.llen(queue) == 1, (
            f"the stopping worker took the job off the queue and dropped it (delivery {status}, queue empty):\n"
            + "".join(worker.output[-20:])
        )
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
