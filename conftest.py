import pytest
from django.test import Client


@pytest.fixture
def world(db):
    from safeserve_dev.testkit import build_world

    return build_world()


@pytest.fixture
def client_for(world):
    """client_for("town_a") -> a logged-in test client for that persona ("anon" is logged out)."""

    def make(persona):
        c = Client()
        if persona != "anon":
            c.force_login(world.users[persona])
        return c

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """A real headless Debian Chromium driven by Playwright (it cannot download its own browser here)."""
    import os

    if not os.path.exists(CHROMIUM):
        pytest.fail(
            "Browser tests need Debian's chromium: apt-get install chromium fonts-noto-cjk (make test does this)"
        )
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page in Chinese; ``page.base_url`` is the live server."""
    context = browser.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15000)
    pg.base_url = live_server.url
    yield pg
    context.close()


def browser_login(page, username, password):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 is deliberately slow; tests only need passwords to round-trip."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in English leaves English active in the thread (LocaleMiddleware does not undo it):
    every test starts and ends in the project's default language, so no test depends on the order."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache_for_each_test():
    """The cache outlives a test in its process (locmem): a public page cached by one test would be
    served to the next, which then reads the earlier test's data. Every test starts with every cache
    empty (the default one and the public pages' own, ``portal``)."""
    from django.core.cache import caches

    for each in caches.all(initialized_only=False):
        each.clear()
    yield


def _is_transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(fixtures)
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The freshly migrated test database (content types, permissions, the reference data of the data
    migrations) is kept as a snapshot whether or not a selected test asks for serialized rollback:
    every transactional test puts it back when it ends (see pytest_runtest_teardown)."""
    from django.db import connections

    connection = connections["default"]
    snapshot = getattr(connection, "_test_serialized_contents", None)
    if snapshot is None:
        with django_db_blocker.unblock():
            snapshot = connection.creation.serialize_db_to_string()
    _MIGRATED_STATE.append(snapshot)
    yield


# The connection object can be replaced during a session (a live server test closes and reopens
# connections in other contexts), so the snapshot is kept here too and put back on the connection.
_MIGRATED_STATE: list[str] = []


def _restore_migrated_state() -> None:
    """After a transactional test's flush, bring the database back to its freshly migrated state.

    A flush after ``serialized_rollback`` leaves every table empty (no content types, no reference
    data); a plain flush recreates content types and permissions under new ids. pytest-xdist hands a
    worker its files biggest first, so a plain test can run next in the same process: it must find
    the same rows, under the same ids, as the content-type cache still holds."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connections

    if not _MIGRATED_STATE:
        return  # this process never set the test database up (every test so far was skipped)
    connection = connections["default"]
    connection._test_serialized_contents = _MIGRATED_STATE[0]  # for the next serialized_rollback test too
    # Flush again even after a serialized test: its own flush re-creates content types (new ids)
    # when the connection it looked at had lost the snapshot.
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True, reset_sequences=False)
    connection.creation.deserialize_db_from_string(_MIGRATED_STATE[0])
    ContentType.objects.clear_cache()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Once a transactional test's own teardown (its flush) is done, restore the migrated state."""
    yield
    if nextitem is None or not _is_transactional(item):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        _restore_migrated_state()


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temp_dir(tmp_path_factory):
    """Uploads of the whole session go to a temporary directory of this process (one per xdist
    worker), never into the developer's var/media, and never into another worker's files."""
    from django.test import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_inline():
    """Tests run huey jobs inline (immediate mode, in memory), never into the developer's var/ queue."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield


class JobQueue:
    """A real huey queue that holds jobs until ``run()`` runs them, as the worker would."""

    def __init__(self, huey):
        self.huey = huey

    def pending(self) -> int:
        return self.huey.pending_count()

    def scheduled(self) -> int:
        return self.huey.scheduled_count()

    def run(self, now=None) -> int:
        """Move due scheduled jobs to the queue, then run every queued job that is due (one not yet
        due goes to the schedule, as in the worker); how many ran. ``now`` is huey's clock (naive
        UTC); by default the current (possibly time-travelled) time."""
        ran = 0
        while True:
            for task in self.huey.read_schedule(now):
                self.huey.enqueue(task)
            task = self.huey.dequeue()
            if task is None:
                return ran
            ran += self.huey.ready_to_run(task, now)
            self.huey.execute(task, now)


@pytest.fixture
def job_queue(tmp_path, monkeypatch):
    """Production mode for one test: jobs go to a real SQLite huey queue in ``tmp_path`` and wait
    there until the test calls ``job_queue.run()``. The jobs run on the test's own database
    connection, inside its transaction: the worker's ``close_old_connections`` around each job
    (djhuey's ``db_task``) would close it on PostgreSQL, so it is a no-op here."""
    from huey.contrib import djhuey
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    monkeypatch.setattr(djhuey, "close_old_connections", lambda: None)

    saved = HUEY.__dict__.get("storage_class"), HUEY.storage_kwargs
    HUEY.storage_class, HUEY.storage_kwargs = SqliteStorage, {"filename": str(tmp_path / "huey.sqlite3")}
    HUEY.immediate = False
    yield JobQueue(HUEY)
    if saved[0] is None:
        del HUEY.storage_class
    else:
        HUEY.storage_class = saved[0]
    HUEY.storage_kwargs = saved[1]
    HUEY.immediate = True


# Test files that take longest, longest first. With parallel workers (`--dist loadfile`) each file goes
# whole to the next free worker in collection order: starting the long ones first keeps one worker
# from being left with a long file at the end while the other idles (longest-processing-time-first).
LONG_FILES = (
    "safeserve/core/tests/test_schema_fuzz.py",
    "safeserve/iot/tests/test_mqtt.py",
    "safeserve/core/tests/test_screens.py",
    "safeserve/iot/tests/test_benchmark.py",
    "safeserve/iot/tests/test_alarm_order.py",
    "safeserve/core/tests/test_bad_input.py",
    "safeserve/hazards/tests/test_browser_loop.py",
)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    import os

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a serial run keeps pytest-django's order (transactional tests last)
    rank = {path: n for n, path in enumerate(LONG_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(LONG_FILES)))
