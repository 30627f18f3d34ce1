"""Screenshots of the main pages per demo role at 1440 and 390 px, measuring layout (issue 11 §2, §6)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Log in as each demo role, open its home and menu pages (and one record of each list) at 1440 and "
        "390 px, save viewport screenshots into docs/screens/ with an index, and measure each page's "
        "document width and top-bar height. Fails on horizontal overflow, a wrapped top bar or a page error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs" / "screens"))
        parser.add_argument(
            "--base-url", default="", help="a running SafeServe (default: serve this one on a free port)"
        )
        parser.add_argument("--roles", default="", help="comma-separated role slugs (default: every demo role)")
        parser.add_argument("--no-screenshots", action="store_true", help="measure only")
        parser.add_argument("--chromium", default="/usr/bin/chromium")

    def handle(self, *args, **opts):
        from safeserve_dev import screens

        roles = screens.DEMO_ROLES
        if opts["roles"]:
            wanted = {r.strip() for r in opts["roles"].split(",")}
            roles = [r for r in roles if r[1] in wanted]
        if not Path(opts["chromium"]).exists():
            raise CommandError(f"Chromium not found at {opts['chromium']} (apt-get install chromium fonts-noto-cjk)")
        self.stdout.write(screens.HEADER)
        shots = screens.run_with_server(
            base_url=opts["base_url"] or None,
            out_dir=Path(opts["out"]),
            password=screens.demo_password(),
            roles=roles,
            screenshots=not opts["no_screenshots"],
            chromium=opts["chromium"],
            write=self.stdout.write,
        )
        failed = [s for s in shots if s.problems()]
        files = sum(len(s.files) for s in shots)
        self.stdout.write(f"{len(shots)} pages measured, {files} screenshots in {opts['out']}")
        if failed:
            raise CommandError(
                f"{len(failed)} page(s) overflow, wrap or fail: "
                + ", ".join(f"{s.role} {s.path} ({'; '.join(s.problems())})" for s in failed)
            )
