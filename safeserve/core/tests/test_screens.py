"""`manage.py screens` over a small demo world: every role's main pages at 1440 and 390 px, measured and
photographed in one browser session — no sideways overflow, the top bar on one row, no page errors."""

import io
import os
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from conftest import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_screens_command_measures_and_photographs_every_role(live_server, settings, tmp_path, capsys):
    if not os.path.exists(CHROMIUM):  # as the browser fixture does: make test installs it
        pytest.fail(
            "Browser tests need Debian's chromium: apt-get install chromium fonts-noto-cjk (make test does this)"
        )
    ContentType.objects.clear_cache()  # an earlier transactional test may have recreated them
    settings.DEBUG = True  # the demo: demo accounts log in only in DEBUG (and error pages stay friendly)
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("seed_demo", enterprises=40, agencies=4, experts=6, seed=1, **quiet)
    # a device with readings, as `make run`'s simulator feeds it (its page has charts and alarm tables)
    call_command("simulate_devices", direct=True, devices=1, rate=5, duration=1, verbosity=0, **quiet)
    # CommandError (the test fails) on any overflow, wrapped top bar or page error
    # In its own thread: another browser module in this worker may have left Playwright's loop running here.
    errors = []

    def run():
        try:
            call_command("screens", base_url=live_server.url, out=str(tmp_path), chromium=CHROMIUM)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)
        finally:
            from django.db import connections

            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]
    out = capsys.readouterr().out
    for role in ("county", "town", "enterprise", "agency", "expert", "insurer", "association"):
        assert f"\n{role:<12} /  " in out, role
        assert (tmp_path / f"{role}-home-desktop.png").stat().st_size > 5000
        assert (tmp_path / f"{role}-home-phone.png").exists()
    assert "FAIL" not in out
    index = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "county-registry-enterprises-phone.png" in index and "manage.py screens" in index
    assert "/iot/devices/<id>/" in {screens_route(line) for line in out.splitlines()}


def screens_route(line):
    from safeserve_dev.screens import route_key

    parts = line.split()
    return route_key(parts[1]) if len(parts) > 1 else ""
