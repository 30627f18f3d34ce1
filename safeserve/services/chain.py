"""Tamper evidence for visit records: a per-agency hash chain over canonical JSON.

Each visit's hash covers its content (photos by their SHA-256) and the previous visit's hash of
the same agency, so changing, deleting or reordering any stored record breaks the chain from that
point on. Verification recomputes everything from the database and the stored files.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.utils import timezone

from safeserve.core.uploads import sha256_file

GENESIS = ""


def canonical_content(visit, *, staff_ids, results, photo_hashes) -> dict:
    """What the hash covers. ``results`` is [(item_id, result, note)].

    The server's time stamp and the position are covered when present (records made before they
    existed keep their hash: the keys are absent, not null).
    """
    content = {
        "v": 1,
        "agency": visit.agency_id,
        "seq": visit.seq,
        "contract": visit.contract_id,
        "enterprise": visit.enterprise_id,
        "visited_at": timezone.localtime(visit.visited_at).isoformat(timespec="seconds"),
        "staff": sorted(staff_ids),
        "template": visit.template_id,
        "results": sorted([int(i), str(r), str(n)] for i, r, n in results),
        "findings": visit.findings,
        "signed_by": visit.signed_by,
        "signed_at": timezone.localtime(visit.signed_at).isoformat(timespec="seconds") if visit.signed_at else None,
        "photos": sorted(photo_hashes),
        "prev": visit.prev_hash,
    }
    if visit.recorded_at is not None:
        content["recorded_at"] = timezone.localtime(visit.recorded_at).isoformat(timespec="seconds")
    if visit.latitude is not None and visit.longitude is not None:
        content["position"] = [str(visit.latitude), str(visit.longitude), visit.location_accuracy]
    return content


def digest(content: dict) -> str:
    data = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(data).hexdigest()


def stored_content(visit, *, check_files: bool = True) -> tuple[dict, list[str]]:
    """The canonical content as the database holds it now, and any photo whose file changed."""
    problems = []
    photo_hashes = []
    for p in visit.photos.all():
        photo_hashes.append(p.sha256)
        if check_files:
            try:
                with p.file.open("rb") as f:
                    actual = sha256_file(f)
            except (FileNotFoundError, OSError, ValueError):
                problems.append(f"photo {p.pk} missing")
                continue
            if actual != p.sha256:
                problems.append(f"photo {p.pk} file changed")
    content = canonical_content(
        visit,
        staff_ids=[s.pk for s in visit.staff.all()],
        results=[(r.item_id, r.result, r.note) for r in visit.results.all()],
        photo_hashes=photo_hashes,
    )
    return content, problems


@dataclass
class ChainReport:
    checked: int = 0
    broken: list = field(default_factory=list)  # (visit id, agency id, seq, reason)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify_visit(visit, previous_hash: str | None = None, check_files: bool = True) -> list[str]:
    """Reasons this visit fails verification (empty when intact)."""
    from .models import ServiceVisit

    reasons = []
    content, problems = stored_content(visit, check_files=check_files)
    reasons += problems
    if digest(content) != visit.content_hash:
        reasons.append("content changed")
    if previous_hash is None:
        prev = (
            ServiceVisit.objects.filter(agency_id=visit.agency_id, seq__lt=visit.seq)
            .order_by("-seq")
            .values_list("content_hash", flat=True)
            .first()
        )
        previous_hash = prev or GENESIS
        expected_seq_gap = visit.seq - 1
        earlier = ServiceVisit.objects.filter(agency_id=visit.agency_id, seq__lt=visit.seq).count()
        if earlier != expected_seq_gap:
            reasons.append("earlier record missing")
    if visit.prev_hash != previous_hash:
        reasons.append("chain link broken")
    return reasons


def verify_all(queryset=None, check_files: bool = True, batch: int = 2000) -> ChainReport:
    """Walk every agency's chain in order."""
    from .models import ServiceVisit

    qs = queryset if queryset is not None else ServiceVisit.objects.all()
    qs = qs.order_by("agency_id", "seq").prefetch_related("staff", "results", "photos")
    report = ChainReport()
    agency, prev_hash, expected_seq = None, GENESIS, 1
    for visit in qs.iterator(chunk_size=batch):
        if visit.agency_id != agency:
            agency, prev_hash, expected_seq = visit.agency_id, GENESIS, 1
        reasons = []
        if visit.seq != expected_seq:
            reasons.append(f"sequence gap: expected {expected_seq}")
        reasons += verify_visit(visit, previous_hash=prev_hash, check_files=check_files)
        report.checked += 1
        if reasons:
            report.broken.append((visit.pk, visit.agency_id, visit.seq, "; ".join(reasons)))
        prev_hash, expected_seq = visit.content_hash, visit.seq + 1
    return report
