"""Screenshots and layout measurements of the main pages, as each demo role sees them.

``manage.py screens`` logs in as each demo account in one headless Chromium, opens its home page and
every page of its menu (plus the first record of each list, once per kind of page), and at desktop
(1440 px) and phone (390 px) width measures

- the document width: ``document.documentElement.scrollWidth`` must not exceed ``innerWidth``
  (no sideways scrolling of the page; wide tables scroll inside their ``.table-responsive`` card);
- the top bar's height: one row (it never wraps into two);
- the HTTP status and script errors (a broken page is not a screenshot);

and saves viewport screenshots (PNG, palette-quantised) into ``docs/screens/`` with an index
(``README.md``). It prints one table and fails (non-zero exit) on any overflow, wrap or error.

This module is tooling (safeserve_dev/): the command in safeserve/core/management is a thin wrapper.
"""

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = (("desktop", DESKTOP), ("phone", PHONE))
# One row of the Bootstrap navbar is ~56 px; a wrapped bar is at least two rows (~100 px).
MAX_TOP_BAR_PX = 72

# (username, role slug) of the demo accounts, in menu order; demo_town2 is the same role as demo_town.
DEMO_ROLES = [
    ("demo_county", "county"),
    ("demo_town", "town"),
    ("demo_enterprise", "enterprise"),
    ("demo_agency", "agency"),
    ("demo_expert", "expert"),
    ("demo_insurer", "insurer"),
    ("demo_association", "association"),
]
# Pages a role reaches from a record rather than the menu, shown too (the agency's phone forms).
EXTRA_PATHS = {
    "agency": ["/services/visits/new/", "/hazards/new/"],
    "county": ["/services/visits/due/", "/hazards/ledger/", "/services/ratings/"],
    "insurer": [
        "/insurance/appointments/unconfirmed/",  # its home card's list (AQ 9010 advance confirmation)
        "/insurance/expert-visits/new/",  # recording an expert's prevention visit on its behalf
    ],
    "expert": ["/insurance/expert-visits/new/"],  # the expert's phone form of a 安责险 prevention visit
}
# Menu entries that are not pages to show (or that leave the site's pages).
SKIP_PATHS = ("/accounts/logout/", "/accounts/password/", "/api/", "/admin/")

MEASURE_JS = """() => {
  const doc = document.documentElement;
  const nav = document.querySelector('.ss-nav');
  const wide = [...document.querySelectorAll('table')].filter(t => {
    const box = t.closest('.table-responsive');
    return !box && t.getBoundingClientRect().right > window.innerWidth + 1;
  }).length;
  const h1 = document.querySelector('main h1');
  return {
    scrollWidth: doc.scrollWidth,
    innerWidth: window.innerWidth,
    navHeight: nav ? Math.round(nav.getBoundingClientRect().height) : 0,
    wideTables: wide,
    title: (h1 ? h1.innerText : document.title).trim().split('\\n')[0].slice(0, 60),
  };
}"""

MENU_JS = """() => [...document.querySelectorAll('#mainnav a[href]')]
  .map(a => a.getAttribute('href')).filter(h => h && h.startsWith('/'))"""

# The first record of a list: the first link in its table's body (a detail page), not a link to a related
# record (enterprise names link to the enterprise's page everywhere: ``data-link``).
FIRST_ROW_JS = """() => {
  const a = document.querySelector('main table tbody a[href^="/"]:not([data-link])')
    || document.querySelector('main table tbody a[href^="/"]');
  return a ? a.getAttribute('href') : null;
}"""


@dataclass
class Shot:
    role: str
    path: str
    title: str = ""
    status: int = 0
    sizes: dict = field(default_factory=dict)  # size -> measurement dict
    errors: list = field(default_factory=list)
    files: list = field(default_factory=list)

    def problems(self) -> list[str]:
        found = list(self.errors)
        if self.status >= 400:
            found.append(f"HTTP {self.status}")
        for size, m in self.sizes.items():
            if m["scrollWidth"] > m["innerWidth"]:
                found.append(f"{size}: document {m['scrollWidth']} px > viewport {m['innerWidth']} px")
            if m["navHeight"] > MAX_TOP_BAR_PX:
                found.append(f"{size}: top bar {m['navHeight']} px (wrapped)")
            if m["wideTables"]:
                found.append(f"{size}: {m['wideTables']} table(s) overflow outside .table-responsive")
        return found


def demo_password() -> str:
    from safeserve.accounts.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def slug(path: str) -> str:
    """A file name part that does not depend on the data: record ids become "detail"."""
    parts = ["detail" if p.isdigit() else p for p in urlsplit(path).path.split("/") if p]
    return "-".join(parts) or "home"


def route_key(path: str) -> str:
    """The kind of page: the URL with record ids replaced (so one detail page per kind is shown)."""
    return "/".join("<id>" if p.isdigit() else p for p in urlsplit(path).path.split("/"))


def optimise_png(data: bytes) -> bytes:
    """A viewport screenshot as a 256-colour PNG: a few tens of KB instead of a few hundred."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=9)
    return out.getvalue()


class LiveServer:
    """This project served on a free local port (static files included), for the command's browser."""

    def __enter__(self):
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.test.testcases import LiveServerThread

        self.thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        self.thread.daemon = True
        self.thread.start()
        self.thread.is_ready.wait()
        if self.thread.error:
            raise self.thread.error
        return f"http://127.0.0.1:{self.thread.port}"

    def __exit__(self, *exc):
        self.thread.terminate()


def run(
    *,
    base_url: str,
    out_dir: Path,
    password: str,
    roles=DEMO_ROLES,
    screenshots: bool = True,
    chromium: str = "/usr/bin/chromium",
    write=print,
) -> list[Shot]:
    """Visit, measure and screenshot; returns every page's Shot (``problems()`` empty when all is well)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # the live server thread touches the ORM
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    if screenshots:
        for old in out_dir.glob("*.png"):
            old.unlink()
    shots: list[Shot] = []
    shown_kinds: set[str] = set()
    # Each page once per run (another role's copy has other rows, the same layout), but every role's
    # home (its own top bar and cards). Details: the first record of a list, once per kind of page.
    seen: set[str] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        try:
            for username, role in roles:
                context = browser.new_context(
                    locale="zh-CN", base_url=base_url, viewport=DESKTOP, reduced_motion="reduce"
                )
                page = context.new_page()
                page.set_default_timeout(20000)
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(f"script error: {exc}"))
                page.on(
                    "console",
                    lambda msg, errors=errors: (
                        errors.append(f"console: {msg.text[:120]}") if msg.type == "error" else None
                    ),
                )
                if not login(page, username, password):
                    shots.append(Shot(role=role, path="/accounts/login/", errors=[f"{username} cannot log in"]))
                    context.close()
                    continue
                menu = [*page.evaluate(MENU_JS), *EXTRA_PATHS.get(role, [])]
                queue = ["/"] + [h for h in dict.fromkeys(menu) if h != "/" and not h.startswith(SKIP_PATHS)]
                while queue:
                    path = queue.pop(0)
                    if path in seen and path != "/":
                        continue
                    seen.add(path)
                    shot = visit(page, role, path, errors, out_dir if screenshots else None)
                    shots.append(shot)
                    write(summary_line(shot))
                    first = page.evaluate(FIRST_ROW_JS) if shot.status == 200 else None
                    if first and route_key(first) not in shown_kinds and route_key(first) != route_key(path):
                        shown_kinds.add(route_key(first))
                        queue.insert(0, first)
                context.close()
        finally:
            browser.close()
    if screenshots:
        write_index(out_dir, shots)
    return shots


def login(page, username: str, password: str) -> bool:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return "/accounts/login/" not in page.url


def visit(page, role: str, path: str, errors: list, out_dir: Path | None) -> Shot:
    shot = Shot(role=role, path=path)
    errors.clear()
    page.set_viewport_size(DESKTOP)
    response = page.goto(path, wait_until="load")
    shot.status = response.status if response else 0
    for size, viewport in SIZES:
        page.set_viewport_size(viewport)
        # Layout settles on resize without a reload (CSS media queries; charts listen to "resize").
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        m = page.evaluate(MEASURE_JS)
        shot.sizes[size] = m
        shot.title = shot.title or m["title"]
        if out_dir is not None and shot.status == 200:
            name = f"{role}-{slug(path)}-{size}.png"
            (out_dir / name).write_bytes(optimise_png(page.screenshot(full_page=False)))
            shot.files.append(name)
    shot.errors = list(errors)
    return shot


def summary_line(shot: Shot) -> str:
    d, ph = shot.sizes.get("desktop", {}), shot.sizes.get("phone", {})
    verdict = "OK" if not shot.problems() else "FAIL: " + "; ".join(shot.problems())
    return (
        f"{shot.role:<12} {shot.path[:44]:<44} {shot.status:>3}  "
        f"{d.get('scrollWidth', 0):>5}/{d.get('innerWidth', 0):<5} {d.get('navHeight', 0):>3}  "
        f"{ph.get('scrollWidth', 0):>4}/{ph.get('innerWidth', 0):<4} {ph.get('navHeight', 0):>3}  {verdict}"
    )


HEADER = f"{'role':<12} {'page':<44} {'st':>3}  {'1440 width':<11} {'bar':>3}  {'390 width':<9} {'bar':>3}  result"


def write_index(out_dir: Path, shots: list[Shot]) -> None:
    lines = [
        "# Screens",
        "",
        "The main pages as each demo role sees them, at desktop (1440 px) and phone (390 px) width",
        "(viewport screenshots; 256-colour PNG). Generated — do not edit by hand. Regenerate on the demo",
        "database (`make run` loads it) with:",
        "",
        "```sh",
        ".venv/bin/python manage.py screens            # into docs/screens/, also measures every page",
        "```",
        "",
        "The same run measures each page's document width and top-bar height at both sizes and fails",
        "on sideways overflow or a wrapped top bar; `make test` runs it too (`core/tests/test_screens.py`).",
        "",
        "| role | page | path | desktop | phone |",
        "|---|---|---|---|---|",
    ]
    for shot in shots:
        if len(shot.files) != 2:
            continue
        desktop, phone = shot.files
        title = shot.title.replace("|", "/")
        lines.append(f"| {shot.role} | {title} | `{shot.path}` | [{desktop}]({desktop}) | [{phone}]({phone}) |")
    (out_dir / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_with_server(*, base_url: str | None, **kwargs) -> list[Shot]:
    if base_url:
        return run(base_url=base_url, **kwargs)
    with LiveServer() as url:
        return run(base_url=url, **kwargs)
