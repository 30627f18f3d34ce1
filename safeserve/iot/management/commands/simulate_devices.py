import base64
import http.client
import json
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safeserve.iot import ingest
from safeserve.iot.choices import Source
from safeserve_dev import iot_simulator as simulator


class HttpSender:
    def __init__(self, url):
        self.u = urlsplit(url)
        self.path = self.u.path or "/api/v1/telemetry"
        self.conn = None

    def send(self, code, secret, body):
        auth = base64.b64encode(f"{code}:{secret}".encode()).decode()
        for _attempt in range(2):
            try:
                if self.conn is None:
                    cls = http.client.HTTPSConnection if self.u.scheme == "https" else http.client.HTTPConnection
                    self.conn = cls(
                        self.u.hostname, self.u.port or (443 if self.u.scheme == "https" else 80), timeout=10
                    )
                self.conn.request(
                    "POST",
                    self.path,
                    json.dumps(body),
                    {"Content-Type": "application/json", "Authorization": f"Basic {auth}"},
                )
                resp = self.conn.getresponse()
                resp.read()
                return resp.status
            except (OSError, http.client.HTTPException):
                self.conn = None
        return 0


class Command(BaseCommand):
    help = "Simulate electrical fire monitors: realistic readings with occasional leaks, overheating and outages."

    def add_arguments(self, parser):
        parser.add_argument("--devices", type=int, default=5)
        parser.add_argument("--rate", type=float, default=0.2, help="messages per second per device")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--mqtt", metavar="URL", help="publish to this broker (default: settings.MQTT_URL)")
        target.add_argument(
            "--http", metavar="URL", help="POST to this telemetry URL, e.g. http://127.0.0.1:8000/api/v1/telemetry"
        )
        target.add_argument("--direct", action="store_true", help="no broker, no server: run the pipeline in-process")
        parser.add_argument("--duration", type=float, default=None, help="seconds (default: until interrupted)")
        parser.add_argument("--prefix", default="SIM")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--leak-probability", type=float, default=0.002)
        parser.add_argument("--overheat-probability", type=float, default=0.001)
        parser.add_argument("--outage-probability", type=float, default=0.0005)
        parser.add_argument(
            "--spread",
            action="store_true",
            help="spread each round's reports evenly over the period, as devices on their own clocks do "
            "(default: every device reports at the start of the period, the reconnect-storm case)",
        )

    def handle(self, *args, **o):
        mode, sender, publisher = None, None, None
        if o["http"]:
            mode, sender = "http", HttpSender(o["http"])
        elif o["direct"]:
            mode = "direct"
        else:
            url = o["mqtt"] or settings.MQTT_URL
            if not url:
                raise CommandError("no target: pass --mqtt URL, --http URL or --direct (or set MQTT_URL)")
            from safeserve.iot.mqtt import Publisher

            mode, publisher = "mqtt", Publisher(url)
            if not publisher.wait_connected(10):
                raise CommandError(f"cannot connect to {url}")
        # The target is reachable before any device is written: an unreachable broker changes nothing.
        pairs = simulator.provision(o["devices"], prefix=o["prefix"], interval_s=max(1, round(1 / o["rate"])))
        devices = simulator.make_devices(pairs, seed=o["seed"])
        self.stdout.write(f"simulating {len(devices)} devices at {o['rate']}/s each via {mode}")
        period = 1.0 / o["rate"]
        started = time.monotonic()
        sent = 0
        tick = 0
        try:
            while o["duration"] is None or time.monotonic() - started < o["duration"]:
                tick_start = started + tick * period
                batch = []
                for i, d in enumerate(devices):
                    if o["spread"]:
                        lag = tick_start + period * i / len(devices) - time.monotonic()
                        if lag > 0:
                            time.sleep(lag)
                    reading = d.next(
                        simulator.now_ms(),
                        leak_p=o["leak_probability"],
                        heat_p=o["overheat_probability"],
                        outage_p=o["outage_probability"],
                    )
                    if reading is None:
                        continue
                    if mode == "mqtt":
                        publisher.publish(d.code, {"secret": d.secret, **reading})
                    elif mode == "http":
                        sender.send(d.code, d.secret, reading)
                    else:
                        batch.append(
                            ingest.Message(
                                body=json.dumps(reading), source=Source.OTHER, device_code=d.code, secret=d.secret
                            )
                        )
                    sent += 1
                if batch:
                    ingest.ingest(batch)
                tick += 1
                delay = started + tick * period - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                elif tick_start and tick % 10 == 0:
                    self.stderr.write(f"falling behind by {-delay:.1f}s")
        except KeyboardInterrupt:
            pass
        finally:
            if publisher:
                publisher.flush(30)
                publisher.close()
        events = [e for d in devices for e in d.events]
        kinds = {k: sum(1 for e in events if e[0] == k) for k in ("leak", "overheat", "outage")}
        self.stdout.write(f"sent {sent} messages; events: {kinds}")
