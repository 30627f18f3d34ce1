"""Tamper evidence for the experts' prevention visits: a per-expert hash chain over canonical JSON.

The same construction as the agencies' visit records (``services.chain``: ``digest`` of canonical
content holding the previous record's hash), over this record's own content. ``manage.py
verify_records`` walks it through ``core.hooks.RECORD_CHAINS`` and the backup manifest holds one
checksum per expert (``ops.backups.chain_checksums``).
"""

import hashlib

from django.utils import timezone

from safeserve.core.uploads import sha256_file
from safeserve.services.chain import GENESIS, digest

from .models import PreventionVisit


def canonical_content(visit, *, results, photo_hashes, hazard_ids) -> dict:
    """What the hash covers. ``results`` is [(item_id, result, note)]."""
    content = {
        "v": 1,
        "kind": "insurance.prevention_visit",
        "expert": visit.expert_id,
        "seq": visit.seq,
        "plan": visit.plan_id,
        "enterprise": visit.enterprise_id,
        "visited_at": timezone.localtime(visit.visited_at).isoformat(timespec="seconds"),
        "template": visit.template_id,
        "results": sorted([int(i), str(r), str(n)] for i, r, n in results),
        "findings": visit.findings,
        "photos": sorted(photo_hashes),
        "hazards": sorted(hazard_ids),
        "recorded_by": visit.recorded_by_id,
        "recorded_at": timezone.localtime(visit.recorded_at).isoformat(timespec="seconds"),
        "prev": visit.prev_hash,
    }
    if visit.latitude is not None and visit.longitude is not None:
        content["position"] = [str(visit.latitude), str(visit.longitude)]
    return content


def stored_digest(visit) -> str:
    """The hash of the visit as the database holds it now (compare with ``content_hash``)."""
    return digest(
        canonical_content(
            visit,
            results=[(r.item_id, r.result, r.note) for r in visit.results.all()],
            photo_hashes=[p.sha256 for p in visit.photos.all()],
            hazard_ids=[h.pk for h in visit.hazards.all()],
        )
    )


def _photo_problems(visit) -> list[str]:
    problems = []
    for p in visit.photos.all():
        try:
            with p.file.open("rb") as f:
                actual = sha256_file(f)
        except (FileNotFoundError, OSError, ValueError):
            problems.append(f"photo {p.pk} missing")
            continue
        if actual != p.sha256:
            problems.append(f"photo {p.pk} file changed")
    return problems


def verify_all(check_files: bool = True, batch: int = 2000) -> tuple[int, list]:
    """Walk every expert's chain in order: (records checked, [(id, chain key, seq, reason)])."""
    qs = PreventionVisit.objects.order_by("expert_id", "seq").prefetch_related("results", "photos", "hazards")
    checked, broken = 0, []
    expert, prev_hash, expected_seq = None, GENESIS, 1
    for visit in qs.iterator(chunk_size=batch):
        if visit.expert_id != expert:
            expert, prev_hash, expected_seq = visit.expert_id, GENESIS, 1
        reasons = []
        if visit.seq != expected_seq:
            reasons.append(f"sequence gap: expected {expected_seq}")
        if check_files:
            reasons += _photo_problems(visit)
        if stored_digest(visit) != visit.content_hash:
            reasons.append("content changed")
        if visit.prev_hash != prev_hash:
            reasons.append("chain link broken")
        checked += 1
        if reasons:
            broken.append((visit.pk, f"prevention/expert:{visit.expert_id}", visit.seq, "; ".join(reasons)))
        prev_hash, expected_seq = visit.content_hash, visit.seq + 1
    return checked, broken


def checksums() -> dict[str, str]:
    """Per expert: SHA-256 over its records' (seq, previous hash, record hash) in order."""
    sums: dict[str, hashlib._Hash] = {}
    rows = PreventionVisit.objects.order_by("expert_id", "seq").values_list(
        "expert_id", "seq", "prev_hash", "content_hash"
    )
    for expert_id, seq, prev, content in rows.iterator(chunk_size=5000):
        sums.setdefault(f"prevention/expert:{expert_id}", hashlib.sha256()).update(f"{seq}:{prev}:{content}\n".encode())
    return {key: h.hexdigest() for key, h in sorted(sums.items())}
