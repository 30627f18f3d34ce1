"""Load with real concurrent users against `make serve` (issue 16 §4; docs/deployment.md).

    # once: county-scale data and the load accounts, in the database `make serve` uses
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/safeserve \\
        .venv/bin/python -m safeserve_dev.loadtest prepare --enterprises 20000 --services-scale 1
    make serve &                      # gunicorn + jobs + ingestion on PostgreSQL/Redis/MQTT
    DATABASE_URL=... .venv/bin/python -m safeserve_dev.loadtest run --users 25,100 --duration 60 --devices 5000

`run` measures each page type unloaded first (sequential requests, one user), starts the device
simulator (devices reporting once a minute over MQTT to `--mqtt-url`, spread over the minute), then
runs locust headless (safeserve_dev/locustfile.py: county, town, enterprise and agency-on-phone users
with think times) at each user count, and prints per page type requests/s, p50/p95/p99, errors, the
ratio of p95 under load to unloaded, the CPU share of the web, job, ingestion, database,
device-simulator and load-generator processes (from /proc, as a share of all cores), and the readings
the ingestion workers stored meanwhile (a run whose devices were not heard counts as failed).

The users arrive over `--ramp` seconds (default 20); the figures are those of all of them working,
from the moment all are running. `--include-start` counts the arrivals too (`--ramp 5
--include-start`: a morning rush, every user with a cold session). Loopback targets only.
"""

import argparse
import contextlib
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
GROUPS = {
    "web": ("gunicorn",),
    "jobs": ("run_huey",),
    "ingest": ("ingest_mqtt",),
    "db": ("postgres",),
    "devices": ("simulate_devices",),
    "loadgen": ("locust",),
}
TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
WORKDIR = Path(os.environ.get("SAFESERVE_LOAD_DIR", ROOT / "var"))
LOAD_PASSWORD_FILE = WORKDIR / "load_password"


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeserve.settings")
    import django

    django.setup()


# ---------------------------------------------------------------- prepare


def load_password() -> str:
    LOAD_PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
    if not LOAD_PASSWORD_FILE.exists():
        LOAD_PASSWORD_FILE.write_text(f"Ld-{random.SystemRandom().randrange(10**12):012d}!x")
    return LOAD_PASSWORD_FILE.read_text().strip()


def prepare(args):
    django_setup()
    from django.core.management import call_command
    from django.utils import timezone

    from safeserve.accounts.models import User
    from safeserve.hazards.models import Hazard
    from safeserve.registry.models import AgencyStaff, Enterprise, Town
    from safeserve.services.actions import missing_licences
    from safeserve.services.models import ContractEnterprise

    call_command("migrate", verbosity=0)  # a fresh database (e.g. just created) has no tables yet
    if args.enterprises and Enterprise.objects.count() < args.enterprises:
        call_command(
            "seed_demo",
            enterprises=args.enterprises,
            services_scale=args.services_scale,
            no_accounts=True,
            reset=Enterprise.objects.exists(),
        )
    password = load_password()
    rng = random.Random(7)
    users: dict[str, list] = {"county": [], "town": [], "enterprise": [], "agency": []}

    def account(username, role, **links):
        u = User.objects.filter(username=username).first() or User(username=username)
        u.role, u.full_name, u.is_active, u.must_change_password = role, username, True, False
        for k, v in links.items():
            setattr(u, k, v)
        u.set_password(password)
        u.save()
        return u

    for i in range(1, 4):
        account(f"load_county_{i}", "county")
        ents = list(Enterprise.objects.order_by("?").values_list("pk", flat=True)[:50])
        users["county"].append({"username": f"load_county_{i}", "enterprises": ents})
    for town in Town.objects.order_by("pk"):
        account(f"load_town_{town.pk}", "town", town=town)
        ents = list(Enterprise.objects.filter(town=town).values_list("pk", flat=True)[:50])
        hz = list(Hazard.objects.filter(enterprise__town=town).order_by("-pk").values_list("pk", flat=True)[:50])
        users["town"].append({"username": f"load_town_{town.pk}", "enterprises": ents, "hazards": hz})
    served = list(ContractEnterprise.objects.values_list("enterprise_id", flat=True).distinct()[:2000])
    for i, ent_id in enumerate(rng.sample(served, min(200, len(served))), 1):
        ent = Enterprise.objects.get(pk=ent_id)
        account(f"load_ent_{i}", "enterprise", enterprise=ent)
        hz = list(Hazard.objects.filter(enterprise=ent).values_list("pk", flat=True)[:20])
        users["enterprise"].append({"username": f"load_ent_{i}", "hazards": hz})
    # Only contracts the visit rules accept for a visit dated in the last 10 hours (the locustfile's
    # `record`, so possibly yesterday): in force yesterday and today, and the agency licensed for their
    # items on both days. "active" alone is not enough: the insurance seed leaves insurer-paid contracts
    # active past their end date (the 00:20 expiry job would close them), and each visit on one was
    # refused (400), an error in the report.
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    links = ContractEnterprise.objects.filter(
        contract__status="active",
        contract__agency__is_active=True,
        contract__start_date__lte=yesterday,
        contract__end_date__gte=today,
    ).select_related("contract")
    by_agency: dict[int, list] = {}
    for link in links.iterator():
        c = link.contract
        if not any(missing_licences(c.agency_id, c.items, day) for day in (yesterday, today)):
            by_agency.setdefault(c.agency_id, []).append(link)
    for i, (agency_id, agency_links) in enumerate(sorted(by_agency.items())[:40], 1):
        # Only people the visit rules accept: a verified, valid certificate today and the next hours.
        staff = next(
            (p.pk for p in AgencyStaff.objects.filter(agency_id=agency_id, is_active=True) if p.is_qualified_on(today)),
            None,
        )
        if staff is None:
            continue
        account(f"load_agency_{i}", "agency", agency_id=agency_id)
        jobs = [
            {"contract": link.contract_id, "enterprise": link.enterprise_id, "staff": staff}
            for link in rng.sample(agency_links, min(20, len(agency_links)))
        ]
        users["agency"].append({"username": f"load_agency_{i}", "jobs": jobs})
    out = WORKDIR / "load_users.json"
    out.write_text(json.dumps(users, ensure_ascii=False))
    print(f"load accounts: { {k: len(v) for k, v in users.items()} } -> {out}")


# ---------------------------------------------------------------- run


def _cpu_by_pid() -> dict[int, tuple[str, float]]:
    """{pid: (group, CPU seconds so far)} of the processes of each group (matched on the command line)."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        for group, needles in GROUPS.items():
            if any(n in cmd or n == comm for n in needles):
                out[int(pid)] = (group, (int(fields[11]) + int(fields[12])) / TICKS)  # utime + stime
                break
    return out


class CpuSampler:
    """CPU seconds per group over a phase, sampled every half second so that processes which start
    and end inside the phase (database backends, the load generator) are counted too."""

    def __init__(self):
        import threading

        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self):
        # A process already running at the first sample counts from there; one that appears later
        # started inside the phase and counts from zero. (Deciding "first sample" inside the loop
        # counted every process but one from zero: their CPU since they started, not in the phase.)
        initial = not self.last
        for pid, (group, secs) in _cpu_by_pid().items():
            self.first.setdefault(pid, secs if initial else 0.0)
            self.last[pid] = (group, secs)

    def _run(self):
        while not self.stop_event.is_set():
            self._sample()
            self.stop_event.wait(0.5)

    def __enter__(self):
        self._sample()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(5)
        self._sample()

    def totals(self) -> dict[str, float]:
        out = dict.fromkeys(GROUPS, 0.0)
        for pid, (group, secs) in self.last.items():
            out[group] += max(0.0, secs - self.first.get(pid, 0.0))
        return out


def login_session(base: str, username: str, password: str):
    import requests

    s = requests.Session()
    s.get(f"{base}/accounts/login/", timeout=30)
    r = s.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    if r.url.rstrip("/").endswith("/accounts/login"):
        raise SystemExit(f"cannot log in as {username}: run `prepare` against the database the server uses")
    return s


def open_sessions(base: str, users: dict, password: str) -> dict[str, dict]:
    """Log every load account in once, one after the other (nothing else running), and keep its
    cookies: the users who resume a session start from these, as a county's users start the day with
    a session already open. Prints the sequential login time (each login is a password hash)."""
    out, times = {}, []
    accounts = sorted({u["username"] for kind in users.values() for u in kind})
    for i, name in enumerate(accounts, start=1):
        t0 = time.perf_counter()
        out[name] = login_session(base, name, password).cookies.get_dict()
        times.append((time.perf_counter() - t0) * 1000)
        if i % 50 == 0 or i == len(accounts):
            print(f"  sessions opened {i}/{len(accounts)}", flush=True)
    print(
        f"login (GET form + POST), one at a time: p50 {percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms"
    )
    return out


def unloaded(base: str, users: dict, password: str, n: int = 15) -> dict[str, float]:
    """p95 (ms) of each page type with nothing else going on: one user, sequential requests."""
    town, ent, county = users["town"][0], users["enterprise"][0], users["county"][0]
    pages = {
        # The home page counted afresh (刷新): its full cost, the conservative base for the ratio (the
        # load mix's home pages mostly reuse the session's figures, ADR 0047).
        "home": (county, "/?refresh=1"),
        "home, figures kept": (county, "/"),
        "hazard list": (county, "/hazards/"),
        "enterprise list": (county, "/registry/enterprises/?q=机械"),
        "statistics": (county, "/hazards/statistics/"),
        "alarm list": (county, "/iot/alarms/"),
        "enterprise 360": (county, f"/registry/enterprises/{county['enterprises'][0]}/"),
        "hazard detail": (town, f"/hazards/{town['hazards'][0]}/" if town.get("hazards") else "/hazards/"),
        "visits due": (town, "/services/visits/due/"),
        "visit list": (users["agency"][0], "/services/visits/"),
        "visit form": (users["agency"][0], "/services/visits/new/"),
    }
    sessions = {}
    result = {}
    for name, (who, url) in pages.items():
        s = sessions.get(who["username"]) or login_session(base, who["username"], password)
        sessions[who["username"]] = s
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            s.get(base + url, timeout=60)
            times.append((time.perf_counter() - t0) * 1000)
        result[name] = percentile(times, 95)
    del ent
    return result


def percentile(values, p) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def run_locust(
    base: str,
    users: int,
    duration: int,
    users_file: Path,
    password: str,
    workdir: Path,
    extra_env=None,
    include_start: bool = False,
    ramp: float = 20,
) -> Path:
    """locust headless. The users arrive evenly over ``ramp`` seconds; then they all work for
    ``duration`` seconds, and only that part is counted (--reset-stats), unless ``include_start``:
    then the arrivals are counted too, within the ``duration``."""
    prefix = workdir / f"u{users}"
    env = dict(os.environ, LOAD_USERS=str(users_file), LOAD_PASSWORD=password, **(extra_env or {}))
    cmd = [
        sys.executable, "-m", "locust", "-f", str(ROOT / "safeserve_dev" / "locustfile.py"), "--headless",
        "-u", str(users), "-r", f"{users / max(ramp, 0.1):.3f}",
        "-t", f"{duration if include_start else duration + int(ramp + 0.999)}s", "--host", base,
        "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
    ]  # fmt: skip
    if not include_start:
        cmd.append("--reset-stats")
    subprocess.run(cmd, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
    return Path(f"{prefix}_stats.csv")


def report(
    stats_csv: Path, baseline: dict, cpu: dict, wall: float, users: int, include_start: bool = False, ramp: float = 20
):
    rows = list(csv.DictReader(stats_csv.open()))
    print(f"\n== {users} concurrent users ==")
    print(
        f"(the users arrived over {ramp:g} s; counted from the moment all were running: --include-start "
        "counts the arrivals too)"
        if not include_start
        else f"(counted from the start: the users arrived over {ramp:g} s, each with a cold session)"
    )
    print(
        f"{'page type':<22}{'req':>7}{'req/s':>8}{'err':>5}{'p50':>7}{'p95':>7}{'p99':>7}{'unloaded p95':>14}{'ratio':>7}"
    )
    total = None
    for r in rows:
        if r["Name"] == "Aggregated":
            total = r
            continue
        if not int(r["Request Count"] or 0):
            continue  # asked only before the statistics were reset (the logins of the arrivals)
        base = baseline.get(r["Name"])
        p95 = float(r["95%"] or 0)
        ratio = f"{p95 / base:.1f}x" if base else "-"
        base_s = f"{base:.0f}" if base else "-"
        print(
            f"{r['Name']:<22}{r['Request Count']:>7}{float(r['Requests/s']):>8.1f}{r['Failure Count']:>5}"
            f"{r['50%']:>7}{r['95%']:>7}{r['99%']:>7}{base_s:>14}{ratio:>7}"
        )
    if total:
        print(
            f"{'ALL':<22}{total['Request Count']:>7}{float(total['Requests/s']):>8.1f}{total['Failure Count']:>5}"
            f"{total['50%']:>7}{total['95%']:>7}{total['99%']:>7}"
        )
    shares = "  ".join(f"{g} {100 * s / (wall * CORES):.0f}%" for g, s in cpu.items())
    print(f"CPU share of {CORES} cores over {wall:.0f} s: {shares}")
    failures = stats_csv.with_name(stats_csv.name.replace("_stats.csv", "_failures.csv"))
    for f in csv.DictReader(failures.open()) if failures.exists() else ():
        print(f"  error: {f['Method']} {f['Name']}: {f['Error']} (×{f['Occurrences']})")
    return total


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def start_devices(args):
    """The device simulator publishing to the broker `make serve` ingests from, or None (--devices 0).

    It must be seen running: a simulator that cannot reach its broker (or has no target at all) used to
    die silently while the run went on as if the devices reported. Its output goes to a log file, and
    the run stops with that log's last lines when the simulator is gone after its start-up."""
    if not args.devices:
        return None
    if urlsplit(args.mqtt_url).hostname not in LOOPBACK:
        raise SystemExit("load tests target loopback addresses only (--mqtt-url)")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    log_path = WORKDIR / "load_devices.log"
    log = log_path.open("w")
    sim = subprocess.Popen(  # noqa: S603 - the project's own simulator
        [sys.executable, "manage.py", "simulate_devices", "--devices", str(args.devices), "--rate", f"{1 / 60:.5f}",
         "--prefix", "LOAD", "--leak-probability", "0", "--spread", "--mqtt", args.mqtt_url],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    sim.log_path = log_path
    with contextlib.suppress(subprocess.TimeoutExpired):
        sim.wait(args.device_warmup)  # the devices report meanwhile; returns early if the simulator stops
    if sim.poll() is not None:
        tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
        raise SystemExit(
            f"the device simulator stopped (exit {sim.returncode}) before the run began:\n  " + "\n  ".join(tail)
        )
    print(
        f"device simulator: {args.devices} devices, one report a minute each over MQTT ({args.mqtt_url}), "
        "spread over the minute"
    )
    return sim


def stored_readings(since_ms: int) -> int:
    """Readings of the load devices the ingestion workers stored since ``since_ms`` (device time)."""
    django_setup()
    from safeserve.iot.models import Reading

    return Reading.objects.filter(device__code__startswith="LOAD", ts__gte=since_ms).count()


def report_telemetry(sim, devices: int, since_ms: int) -> int:
    """Print what the devices' reports became (stored readings) during the run; 1 when the devices were
    not heard (the simulator died, or fewer than half the expected readings were stored), else 0."""
    time.sleep(2)  # the last messages of the window reach the ingestion workers' batches
    stored = stored_readings(since_ms)
    expected = devices * (time.time() * 1000 - since_ms - 2000) / 60000
    alive = sim.poll() is None
    print(
        f"telemetry during the run: {stored} readings stored of about {expected:.0f} sent "
        f"({stored / max(expected, 1):.0%}); simulator {'running' if alive else f'STOPPED (exit {sim.returncode})'}"
    )
    if not alive or stored < expected / 2:
        print(f"  the devices were not heard as configured: see {sim.log_path}")
        return 1
    return 0


def run(args):
    host = urlsplit(args.base_url).hostname
    if host not in LOOPBACK:
        raise SystemExit("load tests target loopback addresses only")
    import requests

    if requests.get(args.base_url + "/healthz", timeout=10).status_code != 200:
        raise SystemExit(f"{args.base_url} does not answer /healthz: start `make serve` first")
    users_file = WORKDIR / "load_users.json"
    if not users_file.exists():
        raise SystemExit("no var/load_users.json: run `python -m safeserve_dev.loadtest prepare` first")
    users = json.loads(users_file.read_text())
    password = load_password()
    print("unloaded p95 per page type (one user, sequential):")
    baseline = unloaded(args.base_url, users, password, n=args.baseline_requests)
    for name, v in baseline.items():
        print(f"  {name:<22}{v:>7.0f} ms")
    sim = start_devices(args)
    failures = 0
    try:
        with tempfile.TemporaryDirectory(prefix="safeserve-load-") as tmp:
            extra_env = {"LOAD_FORM_LOGIN_SHARE": str(args.form_logins)}
            if args.form_logins < 1:
                sessions_file = Path(tmp) / "sessions.json"
                sessions_file.write_text(json.dumps(open_sessions(args.base_url, users, password)))
                extra_env["LOAD_SESSIONS"] = str(sessions_file)
            for n in [int(x) for x in args.users.split(",")]:
                t0 = time.perf_counter()
                since_ms = int(time.time() * 1000)
                with CpuSampler() as cpu:
                    stats = run_locust(
                        args.base_url, n, args.duration, users_file, password, Path(tmp), extra_env,
                        include_start=args.include_start, ramp=args.ramp,
                    )  # fmt: skip
                wall = time.perf_counter() - t0
                total = report(stats, baseline, cpu.totals(), wall, n, args.include_start, args.ramp)
                failures += int(total["Failure Count"]) if total else 0
                if sim is not None:
                    failures += report_telemetry(sim, args.devices, since_ms)
    finally:
        if sim is not None:
            sim.terminate()
            sim.wait(30)
    print(f"\nerrors in all runs: {failures}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="scale data (seed_demo) and the load accounts")
    p.add_argument("--enterprises", type=int, default=20000)
    p.add_argument("--services-scale", type=float, default=1.0)
    r = sub.add_parser("run", help="unloaded baseline, then locust at each user count")
    r.add_argument("--base-url", default="http://127.0.0.1:8000")
    r.add_argument("--users", default="25,100")
    r.add_argument("--duration", type=int, default=60)
    r.add_argument("--devices", type=int, default=5000)
    r.add_argument(
        "--mqtt-url",
        default=os.environ.get("MQTT_URL") or "mqtt://127.0.0.1:1883",
        help="the broker `make serve` ingests from (default: MQTT_URL, else the one make serve uses)",
    )
    r.add_argument("--device-warmup", type=float, default=10.0, help="seconds the devices report before the run")
    r.add_argument(
        "--form-logins",
        type=float,
        default=1.0,
        help="share of users who log in through the form at start; the others resume a session opened "
        "before the run (1 = everyone logs in during the run, the login burst)",
    )
    r.add_argument(
        "--ramp",
        type=float,
        default=20,
        help="seconds over which the users arrive (default 20: 5 a second at 100 users); 5 is a login burst",
    )
    r.add_argument(
        "--include-start",
        action="store_true",
        help="count the arrivals too (each user starts with a cold session: its first home page counts its "
        "figures); by default the figures are those of N users working, from the moment all are running",
    )
    r.add_argument("--baseline-requests", type=int, default=15, help="sequential requests per page type, unloaded")
    args = parser.parse_args(argv)
    (prepare if args.cmd == "prepare" else run)(args)


if __name__ == "__main__":
    main()
