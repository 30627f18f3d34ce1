"""The load tool runs end to end on a small world (the figures come from `python -m safeserve_dev.loadtest`
against `make serve`; this only proves the tool logs in every kind of user, drives every page type
and the two writes, and reports them with no errors)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from safeserve.services.actions import missing_licences
from safeserve.services.models import ServiceContract
from safeserve_dev import loadtest

pytestmark = pytest.mark.slow


def test_prepare_and_a_short_run_report_every_page_type_without_errors(
    transactional_db, live_server, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(loadtest, "WORKDIR", tmp_path)
    monkeypatch.setattr(loadtest, "LOAD_PASSWORD_FILE", tmp_path / "load_password")
    loadtest.main(["prepare", "--enterprises", "120", "--services-scale", "0.02"])
    out = capsys.readouterr().out
    assert "load accounts" in out
    # Every visit the agency users record is one the rules accept, also when it is dated yesterday
    # (up to 10 hours back): no contract out of its period, no item the agency is not licensed for.
    jobs = [j for u in json.loads((tmp_path / "load_users.json").read_text())["agency"] for j in u["jobs"]]
    assert jobs
    today = timezone.localdate()
    for c in ServiceContract.objects.filter(pk__in={j["contract"] for j in jobs}):
        for day in (today - timedelta(days=1), today):
            assert c.start_date <= day <= c.end_date, f"{c.number}: {c.start_date}..{c.end_date}"
            assert not missing_licences(c.agency_id, c.items, day), c.number
    loadtest.main(
        [
            "run",
            "--base-url",
            live_server.url,
            "--users",
            "8",
            "--duration",
            "8",
            # One arrival a second: the live server's in-memory SQLite is one connection shared by its
            # threads, so two logins at once would break each other's transaction (a test-only limit).
            "--ramp",
            "8",
            "--devices",
            "0",
            "--baseline-requests",
            "2",
        ]
    )
    out = capsys.readouterr().out
    # Statistics start once all 8 users run (after the 8 s ramp): logins fall before, pages after.
    for page in ("home", "hazard list", "visit list"):
        assert page in out
    assert "== 8 concurrent users ==" in out and "CPU share" in out
    assert "counted from the moment all were running" in out
    assert "errors in all runs: 0" in out, out
    # Users resuming sessions opened before the run (no login burst): every page still answers as that
    # user (a page that sends them to the login form counts as an error).
    loadtest.main(
        [
            "run",
            "--base-url",
            live_server.url,
            "--users",
            "8",
            "--duration",
            "6",
            "--devices",
            "0",
            "--baseline-requests",
            "1",
            "--form-logins",
            "0",
            "--include-start",
            "--ramp",
            "8",
        ]
    )
    out = capsys.readouterr().out
    assert "sessions opened" in out and "login (GET form + POST), one at a time" in out
    assert "hazard list" in out and "errors in all runs: 0" in out, out
    assert "counted from the start: the users arrived over" in out
