"""Run the test session as if the wall clock had started at a chosen instant.

    .venv/bin/python -m pytest -p safeserve_dev.clock_plugin --clock-at 2026-12-01T16:20:00Z ...

TIME_ZONE is Asia/Shanghai (UTC+8): from 16:00 to 24:00 UTC the local date is one day ahead of the
UTC date, and before 08:00 local "today at office hours" has not come yet. A test that only passes
during the working day hides such a fault until CI runs at night; this plugin replays the suite at
any hour. The clock starts at the instant when the session starts, before Django and the test
databases are set up, and ticks from there (``time_machine.travel(..., tick=True)``); tests may
travel further themselves. Every pytest-xdist worker receives the same arguments and starts its own
clock. The Python processes that tests start (ingestion workers, benchmarks) read the same
travelled clock: ``clock_site/sitecustomize.py`` starts it in them. Without ``--clock-at`` the
plugin does nothing.
"""

import os
import time
from datetime import datetime
from pathlib import Path

import pytest

_TRAVELLER = "_safeserve_clock_traveller"
_SAVED_ENV = "_safeserve_clock_saved_env"
_SITE = str(Path(__file__).with_name("clock_site"))


def pytest_addoption(parser):
    parser.getgroup("safeserve").addoption(
        "--clock-at",
        metavar="INSTANT",
        default=None,
        help="run the session as if the clock started at this ISO 8601 instant with an offset "
        "(2026-12-01T16:20:00Z is 00:20 in Asia/Shanghai); it keeps ticking from there",
    )


def _instant(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"--clock-at: not an ISO 8601 instant: {value!r}") from None
    if at.tzinfo is None:
        raise pytest.UsageError(f"--clock-at: give the offset (Z or +08:00) of {value!r}")
    return at


def _start(config, value, *, xdist_controller: bool) -> None:
    if not value or getattr(config, _TRAVELLER, None) is not None:
        return
    import time_machine

    traveller = time_machine.travel(_instant(value), tick=True)
    traveller.start()
    # time_machine's clock ticks from its first reading: take it, and the real clock beside it.
    travelled, real = time.time(), time_machine.escape_hatch.time.time()
    setattr(config, _TRAVELLER, traveller)
    if xdist_controller:
        return  # it runs no test; its workers start their own clock
    # Child Python processes start the same clock (clock_site/sitecustomize.py).
    setattr(config, _SAVED_ENV, {name: os.environ.get(name) for name in ("SAFESERVE_CLOCK", "PYTHONPATH")})
    os.environ["SAFESERVE_CLOCK"] = f"{travelled!r}@{real!r}"
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _SITE]
    os.environ["PYTHONPATH"] = os.pathsep.join([_SITE, *paths])


def _is_xdist_controller(options) -> bool:
    return not os.environ.get("PYTEST_XDIST_WORKER") and getattr(options, "numprocesses", None) not in (None, 0)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Start before pytest-django sets Django up (and before any conftest is imported)."""
    options = early_config.known_args_namespace
    _start(early_config, getattr(options, "clock_at", None), xdist_controller=_is_xdist_controller(options))
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # A no-op when the early hook already started the clock.
    _start(config, config.getoption("clock_at"), xdist_controller=_is_xdist_controller(config.option))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    traveller = getattr(config, _TRAVELLER, None)
    if traveller is not None:
        traveller.stop()
        setattr(config, _TRAVELLER, None)
        for name, saved in getattr(config, _SAVED_ENV, {}).items():
            if saved is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = saved


def pytest_report_header(config):
    if getattr(config, _TRAVELLER, None) is not None:
        return f"clock: started at {config.getoption('clock_at')} (time_machine, ticking)"
    return None
