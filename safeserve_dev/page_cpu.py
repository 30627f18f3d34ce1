"""CPU per page of the load mix (issue 16 §4), in process: `manage.py benchmark_pages`.

For each page type of safeserve_dev/locustfile.py and each role that asks for it (a county officer, a
town officer, an enterprise user, agency staff on a phone), the Django test client logged in as one
of the load accounts (`force_login`; `python -m safeserve_dev.loadtest prepare` made them) requests the
page N times after two warm-up requests, and the median CPU time of this process (`time.process_time`:
Python, template rendering, the database driver's client side; not the database server) and the
number of queries are printed. The anonymous login page is measured in the same run as the baseline,
so a change shows as a ratio that survives some of the noise of a shared machine; the number of
Python function calls in one request (cProfile's count) survives all of it.

`--profile PAGE` prints the cProfile of that page (cumulative time, top entries) instead.
"""

import cProfile
import io
import os
import pstats
import statistics
import time
import unicodedata

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131 Mobile Safari/537.36"
)


def pad(text: str, width: int) -> str:
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cells)


def personas():
    """{role: user} — the first load account of each kind (fails with a hint when there are none)."""
    from safeserve.accounts.models import User

    out = {}
    for role, prefix in (
        ("county", "load_county_"),
        ("town", "load_town_"),
        ("enterprise", "load_ent_"),
        ("agency", "load_agency_"),
    ):
        user = User.objects.filter(username__startswith=prefix, is_active=True).order_by("pk").first()
        if user is None:
            raise SystemExit(f"no {prefix}* account: run `python -m safeserve_dev.loadtest prepare` on this database")
        out[role] = user
    return out


def cases(users) -> list[tuple[str, str, str]]:
    """(page, role, url) for every page type of the load mix and every role that asks for it."""
    from safeserve.hazards.models import Hazard
    from safeserve.registry.models import Enterprise

    out = [("login form", "anonymous", "/accounts/login/")]
    for role in ("county", "town"):
        user = users[role]
        ent = Enterprise.objects.visible_to(user).order_by("pk").values_list("pk", flat=True).first()
        out += [
            ("home", role, "/"),
            ("hazard list", role, "/hazards/"),
            ("hazard list overdue", role, "/hazards/?status=overdue"),
            ("hazard list p5", role, "/hazards/?page=5"),
            ("enterprise list", role, "/registry/enterprises/?q=机械"),
            ("statistics", role, "/hazards/statistics/"),
            ("alarm list", role, "/iot/alarms/"),
            ("enterprise 360", role, f"/registry/enterprises/{ent}/"),
        ]
    hz = Hazard.objects.visible_to(users["town"]).order_by("-pk").values_list("pk", flat=True).first()
    out += [("hazard detail", "town", f"/hazards/{hz}/"), ("visits due", "town", "/services/visits/due/")]
    hz = Hazard.objects.visible_to(users["enterprise"]).order_by("-pk").values_list("pk", flat=True).first()
    out += [("home", "enterprise", "/"), ("hazard list", "enterprise", "/hazards/")]
    if hz:
        out.append(("hazard detail", "enterprise", f"/hazards/{hz}/"))
    out += [("visit list", "agency", "/services/visits/"), ("visit form", "agency", "/services/visits/new/")]
    return out


def client_for(role, users) -> Client:
    client = Client(HTTP_USER_AGENT=PHONE) if role == "agency" else Client()
    if role != "anonymous":
        client.force_login(users[role])
    return client


def python_calls(client, url) -> int:
    """Python function calls of one request: a count that other work on the machine cannot skew."""
    prof = cProfile.Profile()
    prof.enable()
    client.get(url)
    prof.disable()
    return pstats.Stats(prof).total_calls


def measure(client, url, n) -> tuple[float, int, int, int]:
    """(median CPU ms, Python calls, queries, status) of n requests after two warm-up requests."""
    for _ in range(2):
        client.get(url)
    calls = python_calls(client, url)
    times = []
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.process_time()
            r = client.get(url)
            times.append((time.process_time() - t0) * 1000)
    return statistics.median(times), calls, len(ctx), r.status_code


def run(*, n: int, only: str, profile: str, out) -> None:
    users = personas()
    rows = cases(users)
    if only:
        rows = [row for row in rows if only in row[0] or row[0] == "login form"]
    clients = {}
    if profile:
        page, _, role = profile.partition("@")
        for name, r, url in rows:
            if name == page and (not role or r == role):
                client = client_for(r, users)
                measure(client, url, 1)
                prof = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
                prof.enable()
                for _ in range(n):
                    client.get(url)
                prof.disable()
                s = io.StringIO()
                pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(60)
                pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(40)
                if os.environ.get("PAGE_CPU_CALLEES"):
                    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_callees(os.environ["PAGE_CPU_CALLEES"])
                if os.environ.get("PAGE_CPU_CALLERS"):
                    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_callers(os.environ["PAGE_CPU_CALLERS"])
                out.write(f"cProfile of {name} as {r} ({url}), {n} requests\n{s.getvalue()}")
                return
        raise SystemExit(f"no page {profile!r}")
    db = connection.settings_dict
    out.write(
        f"{connection.vendor} {db['NAME']} · load average {os.getloadavg()[0]:.1f} (other work on the machine "
        "skews the ms, not the calls)\n"
        f"median CPU of this process over {n} requests after 2 warm-ups; ×base = / login form; "
        "kcalls = thousands of Python function calls in one request (not skewed by other work)\n"
    )
    out.write(f"{pad('page', 22)}{pad('role', 12)}{'CPU ms':>8}{'×base':>7}{'kcalls':>8}{'queries':>9}{'status':>7}\n")
    base = None
    for name, role, url in rows:
        key = role
        if key not in clients:
            clients[key] = client_for(role, users)
        ms, calls, queries, status = measure(clients[key], url, n)
        base = base or ms
        out.write(
            f"{pad(name, 22)}{pad(role, 12)}{ms:8.1f}{ms / base:7.1f}{calls / 1000:8.1f}{queries:9d}{status:7d}\n"
        )
