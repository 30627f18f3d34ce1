"""The worker's memory figure is its own: a worker started by a large parent (a long test run, a
supervisor) must not report the parent's peak (Linux keeps ru_maxrss across fork + exec)."""

import subprocess
import sys

from django.conf import settings

PROBE = "from safeserve.iot.mqtt import peak_rss_mb; print(peak_rss_mb())"


def test_a_child_reports_its_own_peak_not_its_parents():
    ballast = b"x" * (400 * 1024 * 1024)  # written, so resident in this process
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, cwd=settings.BASE_DIR
    ).stdout
    assert len(ballast) and float(out) < 200, out
