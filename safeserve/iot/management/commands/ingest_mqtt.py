import json
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from safeserve.iot.mqtt import IngestWorker, forget_session, peak_rss_mb


class Command(BaseCommand):
    help = "Consume device telemetry from MQTT (shared subscription, QoS 1, ack after commit)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=None, help="broker URL (default: settings.MQTT_URL)")
        parser.add_argument("--client-id", default=None, help="stable id of this worker's persistent session")
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--batch-wait", type=float, default=0.05, help="seconds to wait to fill a batch")
        parser.add_argument(
            "--queue-mb", type=float, default=32, help="payload megabytes the worker holds before it stops reading"
        )
        parser.add_argument("--max-seconds", type=float, default=None)
        parser.add_argument("--idle-exit", type=float, default=None, help="exit after this many idle seconds")
        parser.add_argument("--stats", default=None, help="write JSON statistics to this file on exit")
        parser.add_argument("--sample-latency", action="store_true")
        parser.add_argument(
            "--forget-session", action="store_true", help="delete this client id's persistent session and exit"
        )
        parser.add_argument(
            "--partition",
            default=None,
            metavar="I/N",
            help="worker I of N (0-based) on a plain subscription: stores the devices with crc32(code) %% N == I; "
            "lossless over a Mosquitto 2.0 restart, unlike a shared subscription (docs/iot-protocol.md)",
        )
        parser.add_argument(
            "--subscription",
            choices=["shared", "plain"],
            default="shared",
            help="shared ($share/safeserve/...): several workers split the load; plain: a single worker",
        )

    def handle(self, *args, **opts):
        url = opts["url"] or settings.MQTT_URL
        if not url:
            raise CommandError(
                "No broker: set MQTT_URL or pass --url (without a broker devices use POST /api/v1/telemetry)"
            )
        if opts["forget_session"]:
            if not opts["client_id"]:
                raise CommandError("--forget-session needs --client-id")
            ok = forget_session(url, opts["client_id"])
            self.stdout.write(f"session {opts['client_id']}: {'deleted' if ok else 'broker unreachable'}")
            return
        partition = None
        if opts["partition"]:
            try:
                index, count = (int(x) for x in opts["partition"].split("/"))
            except ValueError:
                raise CommandError("--partition must look like I/N, e.g. 0/2") from None
            if count < 1 or not 0 <= index < count:
                raise CommandError(f"--partition {opts['partition']}: I must be in 0..N-1")
            partition = (index, count)
        logging.getLogger("safeserve.iot").setLevel(logging.INFO)
        # A long-running worker must not keep Django's DEBUG query log (up to 9,000 SQL strings of
        # 500-row inserts: hundreds of MB, and formatting them costs CPU on every batch).
        settings.DEBUG = False
        worker = IngestWorker(
            url,
            client_id=opts["client_id"],
            batch_size=opts["batch_size"],
            batch_wait=opts["batch_wait"],
            sample_latency=opts["sample_latency"],
            shared=opts["subscription"] == "shared",
            partition=partition,
            queue_bytes=int(opts["queue_mb"] * 1024 * 1024),
        )
        worker.install_signal_handlers()
        worker.announce = True
        self.stdout.write(f"ingest_mqtt: {url} {worker.subscription} as {worker.client_id}")
        self.stdout.flush()
        stats = worker.run(max_seconds=opts["max_seconds"], idle_exit=opts["idle_exit"])
        out = {**stats.__dict__, "peak_rss_mb": peak_rss_mb()}
        if opts["stats"]:
            with open(opts["stats"], "w") as f:
                json.dump(out, f)
        self.stdout.write(
            f"ingest_mqtt: {stats.messages} messages, {stats.stored} readings stored, {stats.duplicates} duplicates, "
            f"{stats.dead} dead letters, {stats.alarms_opened} alarms, peak RSS {out['peak_rss_mb']:.0f} MB"
        )
