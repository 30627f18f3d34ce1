"""Benchmark only (ADR 0021, "Public manual-ack API measured"): the ingest worker with paho's
private internals (``safeserve/iot/paho_private.py``) against the worker on paho's public API.

Variants of the worker process (the default behaviour of ``ingest_mqtt`` is untouched):

- ``private``: the worker as shipped (buffered socket, direct ``on_message``, the process-wide
  ``MQTTMessage`` swap, one queued packet per batch of PUBACKs).
- ``public``: paho's public API only: stock ``mqtt.Client(manual_ack=True)``, no class swap, and
  ``client.ack(mid, qos)`` for every message of a committed batch.
- ``noswap``: as shipped but without the ``MQTTMessage`` swap (what dropping only the swap costs).
- ``ackeach``: as shipped but acknowledging with the public ``client.ack(mid, qos)`` per message
  (what dropping only the batched PUBACKs, ``Client._packet_queue``, costs).

Run (a private Mosquitto on a free loopback port, a fresh SQLite database, runs interleaved)::

    nice -n 10 .venv/bin/python -m safeserve_dev.paho_ack_ab --devices 1000 --per-device 40 --repeat 3

A worker of one variant: ``python -m safeserve_dev.paho_ack_ab --worker public ingest_mqtt --url ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

VARIANTS = ("private", "public", "noswap", "ackeach")


def apply_variant(variant: str) -> None:
    """Switch parts of paho_private off in this (worker) process, before the worker is built."""
    import paho.mqtt.client as mqtt

    from safeserve.iot import mqtt as worker
    from safeserve.iot import paho_private

    def ack_each(client, messages):
        for m in messages:
            client.ack(m.mid, m.qos)

    if variant in ("public", "noswap"):
        worker.lighten_paho = lambda: False  # no process-wide MQTTMessage swap
    if variant in ("public", "ackeach"):
        worker.ack_many = ack_each
    if variant == "public":
        paho_private.worker_client_class = lambda: mqtt.Client


def worker_main(variant: str, argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeserve.settings")
    import django

    django.setup()
    apply_variant(variant)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *argv])
    import paho.mqtt.client as mqtt

    from safeserve.iot import paho_private

    swapped = mqtt.MQTTMessage is paho_private._LazyInfoMessage
    if swapped != (variant in ("private", "ackeach")):
        raise SystemExit(f"variant {variant}: MQTTMessage swapped = {swapped}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        return worker_main(sys.argv[2], sys.argv[3:])
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--per-device", type=int, default=40, help="messages per device in a saturation run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--variants", default="private,public")
    ap.add_argument("--leak-every", type=int, default=200)
    ap.add_argument("--json", default=None)
    o = ap.parse_args()
    variants = [v for v in o.variants.split(",") if v]
    assert all(v in VARIANTS for v in variants), variants

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeserve.settings")
    import django

    django.setup()
    from safeserve.iot.management.commands.benchmark_iot import Command
    from safeserve_dev import iot_bench as b

    class ABCommand(Command):
        variant = "private"

        def worker_argv(self):
            return [sys.executable, "-m", "safeserve_dev.paho_ack_ab", "--worker", self.variant]

    cmd = ABCommand()
    cmd.idle_exit = 4.0
    work = b.tempdir()
    broker = b.LocalBroker(work).start()
    runs: dict[str, list] = {v: [] for v in variants}
    try:
        db = b.BenchDB("sqlite", work, "")
        try:
            devices = db.provision(o.devices)
            devfile = work / "devices.json"
            devfile.write_text(json.dumps(devices))
            for rep in range(o.repeat):
                for v in variants:  # A B A B ...: a slow minute of the shared machine hits both alike
                    cmd.variant = v
                    r = cmd.run_workers(
                        db, broker, work, devfile, 1, per_device=o.per_device, rate=0,
                        leak_every=o.leak_every, tag=f"{v}-{rep}",
                    )  # fmt: skip
                    runs[v].append(r)
                    print(
                        f"#{rep + 1} {v:8s} {r['msg_rate']:8,.0f} msg/s  stored {r['stored']:,}/{r['expected']:,} "
                        f"lost {r['lost']}  rss {r['rss']:.0f} MB",
                        flush=True,
                    )
                    db.reset_data()
        finally:
            db.drop()
    finally:
        broker.stop()
    med = {v: statistics.median(r["msg_rate"] for r in rs) for v, rs in runs.items()}
    for v in variants:
        rates = ", ".join(f"{r['msg_rate']:,.0f}" for r in runs[v])
        print(f"{v:8s} median {med[v]:,.0f} msg/s (runs: {rates}); ratio to private {med[v] / med[variants[0]]:.3f}")
    if o.json:
        with open(o.json, "w") as f:
            json.dump({"medians": med, "runs": {v: [r["msg_rate"] for r in rs] for v, rs in runs.items()}}, f, indent=2)


if __name__ == "__main__":
    main()
