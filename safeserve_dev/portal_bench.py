"""The public portal alone under anonymous load (issue 17 §3): p95 < 200 ms at 200 requests/s.

    make serve &     # production mode: gunicorn, PostgreSQL, Redis cache
    .venv/bin/python -m safeserve_dev.portal_bench --rate 200 --duration 30

Measures each page unloaded first (sequential requests, cold cache then warm), then offers RATE
requests a second from READERS kept-alive connections (default: as many readers as requests a second)
and prints requests/s achieved, p50/p95/p99 per page, errors, and the ratio of p95 under load to
unloaded. Loopback targets only.

The default generator is open loop (safeserve_dev/openloop.py): Poisson arrivals, each latency counted
from the moment the request was due, so a slow server cannot hide its queue by being asked less.
`--generator locust` runs the same mix with locust instead (closed loop, one page a second per user);
on this machine locust itself adds tens of milliseconds at 200 users (docs/benchmarks.md).

The generator runs on the same machine as the server: the CPU each used during the run is printed (the
server's processes are found by the port they listen on; "everything else" is the rest of the machine,
other programs included), so that a missed target can be told apart from a starved one.
"""

import argparse
import csv
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    return values[max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))]


def targets(base: str) -> dict:
    page = requests.get(f"{base}/portal/agencies/", timeout=30).text
    agencies = sorted({int(x) for x in re.findall(r"/portal/agencies/(\d+)/", page)})
    cases_page = requests.get(f"{base}/portal/cases/", timeout=30).text
    cases = sorted({int(x) for x in re.findall(r"/portal/cases/(\d+)/", cases_page)})
    return {"agencies": agencies, "cases": cases}


def server_processes(base: str) -> list:
    """The process listening on the target port (gunicorn's master) and its workers; [] if not found."""
    port = urlsplit(base).port or 80
    try:
        pids = {
            c.pid
            for c in psutil.net_connections("tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
        }
        procs = {}
        for pid in pids:
            p = psutil.Process(pid)
            # The socket is listed under one of the workers: climb to the master (same command line).
            while (parent := p.parent()) is not None and parent.cmdline() == p.cmdline():
                p = parent
            procs.update({q.pid: q for q in (p, *p.children(recursive=True))})
        return list(procs.values())
    except (psutil.Error, OSError):
        return []


def cpu_snapshot(base: str) -> dict:
    """CPU seconds so far: the server's processes by pid, this process's children, the whole machine."""
    server = {}
    for p in server_processes(base):
        try:
            t = p.cpu_times()
            server[p.pid] = t.user + t.system
        except psutil.Error:
            pass
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    own = resource.getrusage(resource.RUSAGE_SELF)
    procs = {}
    for p in psutil.process_iter(["name", "cmdline", "cpu_times"]):
        try:
            t = p.info["cpu_times"]
            label = " ".join((p.info["cmdline"] or [p.info["name"] or "?"])[:3])[-60:]
            procs[p.pid] = (label, t.user + t.system)
        except (psutil.Error, AttributeError, TypeError):
            pass
    return {
        "server": server,
        "generator": children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime,
        "busy": busy,
        "procs": procs,
        "t": time.monotonic(),
    }


def busiest(before: dict, after: dict, n: int = 6) -> str:
    """The processes that used the most CPU during the run (to tell a missed target from a starved one)."""
    wall = after["t"] - before["t"]
    used = []
    for pid, (label, cpu) in after["procs"].items():
        start = before["procs"].get(pid, (label, 0.0))[1]
        used.append((cpu - start, pid, label))
    used.sort(reverse=True)
    return "busiest processes: " + "; ".join(f"{label} [{pid}] {100 * c / wall:.0f} %" for c, pid, label in used[:n])


def cpu_shares(before: dict, after: dict) -> str:
    wall = after["t"] - before["t"]
    server = sum(v - before["server"].get(pid, 0.0) for pid, v in after["server"].items())
    generator = after["generator"] - before["generator"]
    other = max(0.0, after["busy"] - before["busy"] - server - generator)
    cores = psutil.cpu_count() or 1

    def pct(x):
        return f"{100 * x / wall:.0f} %"

    server_part = pct(server) if after["server"] else "? (server process not found)"
    return (
        f"CPU during the run ({cores} cores = {100 * cores} %): web server {server_part}, "
        f"load generator {pct(generator)}, everything else {pct(other)}"
    )


def unloaded(base: str, t: dict, n: int) -> dict[str, float]:
    pages = {"portal home": "/portal/", "directory": "/portal/agencies/"}
    if t["agencies"]:
        pages["agency page"] = f"/portal/agencies/{t['agencies'][0]}/"
    if t["cases"]:
        pages["case story"] = f"/portal/cases/{t['cases'][0]}/"
    s = requests.Session()
    out = {}
    for name, url in pages.items():
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            s.get(base + url, timeout=30)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = percentile(times, 95)
    return out


PAGES = (  # (name, weight): a newspaper link sends people home; most then look at the directory
    ("portal home", 8),
    ("directory", 6),
    ("agency page", 3),
    ("case story", 2),
    ("compare", 1),
)
DIRECTORY_URLS = ("/portal/agencies/", "/portal/agencies/?sort=served", "/portal/agencies/?service_type=consulting")


def picker(t: dict):
    """(page name, path) for one request, in the mix of ``PAGES`` (the same as locust_portal.py)."""
    pages = [
        (name, weight)
        for name, weight in PAGES
        if not (name == "agency page" and not t["agencies"])
        and not (name == "case story" and not t["cases"])
        and not (name == "compare" and len(t["agencies"]) < 2)
    ]
    names = [n for n, _ in pages]
    weights = [w for _, w in pages]

    def pick(rng):
        name = rng.choices(names, weights)[0]
        if name == "portal home":
            return name, "/portal/"
        if name == "directory":
            return name, rng.choice(DIRECTORY_URLS)
        if name == "agency page":
            return name, f"/portal/agencies/{rng.choice(t['agencies'])}/"
        if name == "case story":
            return name, f"/portal/cases/{rng.choice(t['cases'])}/"
        ids = rng.sample(t["agencies"], min(3, len(t["agencies"])))
        return name, "/portal/compare/?" + "&".join(f"id={i}" for i in ids)

    return pick


def run_openloop(args, t) -> list[dict]:
    from safeserve_dev import openloop

    res = openloop.run(args.base_url, picker(t), rate=args.rate, readers=args.readers, duration=args.duration)
    rows = []
    every: list[float] = []
    for name, _ in PAGES:
        lat = res.latencies.get(name, [])
        every += lat
        if res.count(name):
            rows.append(_row(name, lat, res.failures.get(name, 0), res.elapsed))
    rows.append(_row("Aggregated", every, sum(res.failures.values()), res.elapsed))
    print(
        f"(open loop: latency from the moment each request was due; {res.late_starts} requests left late "
        f"behind a busy connection, {res.reconnects} reconnects)"
    )
    return rows


def _row(name, lat, failures, elapsed) -> dict:
    return {
        "Name": name,
        "Request Count": str(len(lat) + failures),
        "Requests/s": str((len(lat) + failures) / elapsed if elapsed else 0),
        "Failure Count": str(failures),
        "50%": f"{percentile(lat, 50):.0f}",
        "95%": f"{percentile(lat, 95):.0f}",
        "99%": f"{percentile(lat, 99):.0f}",
    }


def run_locust(args, t) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
        prefix = Path(tmp) / "portal"
        env = dict(os.environ, PORTAL_TARGETS=json.dumps(t))
        cmd = [
            sys.executable, "-m", "locust", "-f", str(ROOT / "safeserve_dev" / "locust_portal.py"), "--headless",
            "-u", str(args.readers), "-r", str(max(1, args.readers // 5)), "-t", f"{args.duration}s",
            "--host", args.base_url, "--csv", str(prefix), "--only-summary", "--stop-timeout", "5",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        env["PORTAL_READER_RATE"] = str(args.rate / args.readers)
        log = Path(tmp) / "locust.log"
        with open(log, "w") as err:
            done = subprocess.run(cmd, env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL, stderr=err)  # noqa: S603
        if not Path(f"{prefix}_stats.csv").exists():
            raise SystemExit(f"locust failed ({done.returncode}):\n{log.read_text()}")
        return list(csv.DictReader(open(f"{prefix}_stats.csv")))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--rate", type=int, default=200, help="requests per second offered")
    parser.add_argument("--readers", type=int, help="simultaneous readers (connections); default: RATE")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--baseline-requests", type=int, default=30)
    parser.add_argument(
        "--generator",
        choices=("openloop", "locust"),
        default="openloop",
        help="openloop (default): Poisson arrivals, latency from the due moment; locust: closed loop",
    )
    args = parser.parse_args(argv)
    args.readers = args.readers or args.rate
    if urlsplit(args.base_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("load tests target loopback addresses only")
    t = targets(args.base_url)
    baseline = unloaded(args.base_url, t, args.baseline_requests)
    print(f"unloaded p95 ({args.baseline_requests} sequential requests each):")
    for name, v in baseline.items():
        print(f"  {name:<14}{v:>7.1f} ms")
    before = cpu_snapshot(args.base_url)
    rows = run_openloop(args, t) if args.generator == "openloop" else run_locust(args, t)
    after = cpu_snapshot(args.base_url)
    print(f"\n{args.readers} readers offering {args.rate} req/s for {args.duration} s ({args.generator}):")
    print(f"{'page':<14}{'req':>8}{'req/s':>8}{'err':>6}{'p50':>6}{'p95':>6}{'p99':>6}{'ratio p95':>11}")
    total = None
    for r in rows:
        if r["Name"] == "Aggregated":
            total = r
            continue
        base = baseline.get(r["Name"])
        ratio = f"{float(r['95%']) / base:.1f}x" if base else "-"
        print(f"{r['Name']:<14}{r['Request Count']:>8}{float(r['Requests/s']):>8.1f}{r['Failure Count']:>6}"
              f"{r['50%']:>6}{r['95%']:>6}{r['99%']:>6}{ratio:>11}")  # fmt: skip
    if total:
        print(f"{'ALL':<14}{total['Request Count']:>8}{float(total['Requests/s']):>8.1f}{total['Failure Count']:>6}"
              f"{total['50%']:>6}{total['95%']:>6}{total['99%']:>6}")  # fmt: skip
        ok = float(total["95%"]) < 200 and int(total["Failure Count"]) == 0
        print(f"target p95 < 200 ms with 0 errors at {args.rate} req/s: {'met' if ok else 'MISSED'}")
    print(cpu_shares(before, after))
    print(busiest(before, after))


if __name__ == "__main__":
    main()
