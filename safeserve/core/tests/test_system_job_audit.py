"""Bulk system jobs leave one summary audit entry each: no actor, a "system job" label, counts and cut-offs."""

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from safeserve.core.models import AuditAction, AuditLog


def job_entries(job):
    return AuditLog.objects.filter(actor_name=f"system job: {job}")


def test_iot_purge_writes_one_summary_with_counts_and_cutoffs(world):
    from safeserve.iot import maintenance
    from safeserve.iot.models import DeadLetter

    now = timezone.now()
    old = DeadLetter.objects.create(source="http", device_code="X", reason="unknown_device", detail="", payload="")
    DeadLetter.objects.filter(pk=old.pk).update(received_at=now - timedelta(days=400))
    maintenance.purge(now=now)
    entry = job_entries("iot.purge").get()
    assert entry.actor is None and entry.action == AuditAction.JOB and entry.object_id == "*"
    assert entry.content_type.model == "reading"
    assert entry.changes["dead_letters"] == 1 and entry.changes["readings"] == 0
    assert set(entry.changes["cutoffs"]) == {"readings", "rollups", "dead_letters"}
    assert entry.changes["cutoffs"]["dead_letters"].startswith(str((now - timedelta(days=30)).year))
    maintenance.purge(now=now, dry_run=True)  # a dry run changes nothing and records nothing
    assert job_entries("iot.purge").count() == 1


def test_purge_command_and_late_rollup_write_summaries(world):
    from safeserve.iot import maintenance

    call_command("purge_iot_data", stdout=io.StringIO())
    assert job_entries("iot.purge (purge_iot_data)").get().changes["readings"] == 0
    maintenance.rollup_late_readings()
    assert job_entries("iot.rollup_late_readings").get().changes["stale_hours"] == 0


def test_expiry_and_escalation_jobs_write_summaries(world):
    from safeserve.hazards import tasks as hazard_tasks
    from safeserve.services import tasks as service_tasks
    from safeserve.services.choices import ContractStatus
    from safeserve_dev.services_fixtures import make_contract

    today = timezone.localdate()
    make_contract(world, start=today - timedelta(days=400), end=today - timedelta(days=1))
    assert service_tasks.expire_contracts_daily.call_local() == 1
    entry = job_entries("services.expire_contracts").get()
    assert entry.changes == {"expired": 1, "end_date_before": today.isoformat()}
    assert entry.content_type.model == "servicecontract"
    assert world["agency_a"].contracts.get().status == ContractStatus.EXPIRED
    hazard_tasks.hazard_escalate_overdue.call_local()
    hazard_tasks.hazard_deadline_reminders.call_local()
    service_tasks.flag_missing_visits_daily.call_local()
    for job in ("hazards.escalate_overdue", "hazards.deadline_reminders", "services.flag_missing_visits"):
        assert job_entries(job).get().actor is None, job


def test_minutely_job_records_only_when_it_did_something(world):
    from safeserve.iot import tasks

    assert tasks.iot_detect_offline.call_local() == 0
    assert not job_entries("iot.detect_offline").exists()
