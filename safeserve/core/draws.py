"""The shared, verifiable random draw (双随机一公开, agency sampling, expert draws).

One mechanism for every random choice the platform makes, so that anyone can check any of them:

1. ``freeze_draw`` fixes the candidate list (ids, weights), the number of places and reserves, and the
   exclusions with their reasons, and stores the SHA-256 of the canonical list. The hash is shown
   (and published) *before* any random value exists.
2. ``enter_value`` records the random value afterwards: a published lottery number, a value both
   parties contribute, or (when the owner chooses) 128 bits from the server's CSPRNG, with its source.
   The result is computed at once and stored.
3. ``rank`` orders the candidates: each candidate holds ``weight`` tickets (weight 1 unless the owner
   applies a documented weight rule, e.g. risk colour); ticket k of candidate c has the key
   SHA-256(c + "/" + value) for k = 1 and SHA-256(c + "/" + value + "/" + k) for k > 1, read as a
   256-bit integer; a candidate's key is the smallest of its tickets' keys; candidates are ranked by
   key ascending, ties by id. Pure integer arithmetic on SHA-256: the same inputs give the same
   ranking on any machine, and a candidate with w tickets comes first w times as often as one with one.
4. ``verify`` recomputes the hash from the stored list and the ranking from list + value and says
   whether both match what was recorded (``manage.py verify_draw NUMBER`` and the public page).

Nothing is deleted; a re-draw is a new numbered draw citing the old one and why (``supersedes``).
docs/decisions/0028-shared-draws.md
"""

import hashlib
import json
import secrets
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import AuditAction, Draw, DrawStatus, DrawValueSource

ALGORITHM = "sha256-tickets-v1"
MAX_WEIGHT = 10
MAX_VALUE_LENGTH = 200


def sample_size(n: int, share) -> int:
    """How many of ``n`` items a share draws: rounded *up* (15% of 13 is 1.95 -> 2), exact in decimals."""
    share = Decimal(str(share))
    if n <= 0 or share <= 0:
        return 0
    return min(n, int((Decimal(n) * share).to_integral_value(rounding=ROUND_CEILING)))


def canonical(purpose: str, places: int, reserves: int, candidates: list[dict]) -> bytes:
    """The bytes the published hash is taken over: purpose, places, reserves and the ids and weights
    of the candidates in id order, as compact JSON (labels are display only and not hashed)."""
    body = {
        "algorithm": ALGORITHM,
        "purpose": purpose,
        "places": places,
        "reserves": reserves,
        "candidates": sorted(([str(c["id"]), int(c.get("weight", 1))] for c in candidates), key=lambda x: x[0]),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def list_hash(purpose: str, places: int, reserves: int, candidates: list[dict]) -> str:
    return hashlib.sha256(canonical(purpose, places, reserves, candidates)).hexdigest()


def _key(candidate_id: str, value: str, ticket: int) -> int:
    text = f"{candidate_id}/{value}" if ticket == 1 else f"{candidate_id}/{value}/{ticket}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def rank(candidates: list[dict], value: str) -> list[str]:
    """Every candidate id in drawn order (see the module docstring for the rule)."""
    keyed = []
    for c in candidates:
        cid, weight = str(c["id"]), int(c.get("weight", 1))
        keyed.append((min(_key(cid, value, k) for k in range(1, weight + 1)), cid))
    keyed.sort()
    return [cid for _, cid in keyed]


def _validate(candidates, places, reserves, exclusions):
    if places < 1:
        raise ValidationError({"places": _("抽取数量至少为1。")})
    if reserves < 0:
        raise ValidationError({"reserves": _("备选数量不能为负数。")})
    ids = [str(c.get("id", "")).strip() for c in candidates]
    if any(not i for i in ids):
        raise ValidationError({"candidates": _("候选名单中有缺少编号的条目。")})
    if len(set(ids)) != len(ids):
        raise ValidationError({"candidates": _("候选名单中有重复的编号。")})
    for c in candidates:
        weight = c.get("weight", 1)
        if not isinstance(weight, int) or isinstance(weight, bool) or not 1 <= weight <= MAX_WEIGHT:
            raise ValidationError(
                {"candidates": _("候选“%(id)s”的权重须为1至%(max)s之间的整数。") % {"id": c["id"], "max": MAX_WEIGHT}}
            )
    if len(candidates) < places:
        raise ValidationError(
            {
                "places": _("候选名单只有%(n)s个（排除后），少于抽取数量%(places)s，无法抽取。")
                % {"n": len(candidates), "places": places}
            }
        )
    excluded = {str(e.get("id")) for e in exclusions}
    if excluded & set(ids):
        raise ValidationError({"exclusions": _("被排除的对象不能同时出现在候选名单中。")})
    if any(not str(e.get("reason", "")).strip() for e in exclusions):
        raise ValidationError({"exclusions": _("每个被排除的对象都须写明排除理由。")})


def _next_number(year: int) -> str:
    prefix = f"CQ{year}-"
    last = Draw.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True).first()
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def freeze_draw(
    *,
    actor,
    purpose: str,
    purpose_label: str,
    candidates: list[dict],
    places: int,
    reserves: int = 0,
    exclusions: list[dict] | None = None,
    reference: str = "",
    publish_labels: bool = False,
    supersedes: Draw | None = None,
    redraw_reason: str = "",
) -> Draw:
    """Freeze a candidate list. ``candidates``: [{"id": str, "label": str, "weight": int (1..10)}];
    ``exclusions``: [{"id", "label", "reason"}]. Raises ValidationError (in Chinese) and saves
    nothing when the list cannot be drawn (fewer candidates than places, duplicate ids, a missing
    exclusion reason, a re-draw without a reason)."""
    exclusions = list(exclusions or [])
    candidates = [
        {"id": str(c["id"]), "label": str(c.get("label", c["id"])), "weight": c.get("weight", 1)} for c in candidates
    ]
    _validate(candidates, places, reserves, exclusions)
    if supersedes is not None and not redraw_reason.strip():
        raise ValidationError({"redraw_reason": _("重新抽取须写明理由。")})
    if supersedes is not None and supersedes.purpose != purpose:
        raise ValidationError({"supersedes": _("重新抽取须与原抽取用途相同。")})
    for attempt in range(5):
        try:
            with transaction.atomic():
                draw = Draw(
                    number=_next_number(timezone.localdate().year),
                    purpose=purpose,
                    purpose_label=purpose_label,
                    reference=reference,
                    candidates=sorted(candidates, key=lambda c: c["id"]),
                    candidates_hash=list_hash(purpose, places, reserves, candidates),
                    exclusions=[
                        {"id": str(e["id"]), "label": str(e.get("label", e["id"])), "reason": str(e["reason"])}
                        for e in exclusions
                    ],
                    places=places,
                    reserves=reserves,
                    publish_labels=publish_labels,
                    algorithm=ALGORITHM,
                    supersedes=supersedes,
                    redraw_reason=redraw_reason.strip(),
                    frozen_by=actor,
                )
                draw.save()
                audit.record(
                    actor=actor,
                    action=AuditAction.CREATE,
                    instance=draw,
                    changes={"candidates_hash": [None, draw.candidates_hash], "places": [None, places]},
                    note=_("冻结候选名单（%(n)s个）") % {"n": len(candidates)},
                )
                return draw
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def server_value() -> str:
    return secrets.token_hex(16)


def enter_value(*, actor, draw: Draw, value: str = "", source: str, note: str = "") -> Draw:
    """Record the random value (after the list was frozen) and the result. With ``source`` SERVER the
    value is taken from the CSPRNG here; otherwise it is the value given (a lottery number, ...)."""
    if source not in DrawValueSource.values:
        raise ValidationError({"value_source": _("请选择随机值来源。")})
    if source == DrawValueSource.SERVER:
        value = server_value()
    value = (value or "").strip()
    if not value:
        raise ValidationError({"random_value": _("请录入随机值。")})
    if len(value) > MAX_VALUE_LENGTH:
        raise ValidationError({"random_value": _("随机值不能超过%(n)s个字符。") % {"n": MAX_VALUE_LENGTH}})
    with transaction.atomic():
        locked = Draw.objects.select_for_update().get(pk=draw.pk)
        if locked.status != DrawStatus.FROZEN:
            raise ValidationError(_("该抽取已完成，随机值不能再次录入；如需重抽，请新建一次重新抽取并写明理由。"))
        locked.random_value = value
        locked.value_source = source
        locked.value_note = note.strip()[:200]
        locked.result = rank(locked.candidates, value)
        locked.status = DrawStatus.DRAWN
        locked.drawn_by = actor
        locked.drawn_at = timezone.now()
        locked.save()
        audit.record(
            actor=actor,
            action=AuditAction.TRANSITION,
            instance=locked,
            changes={"random_value": [None, value], "value_source": [None, source], "result": [None, locked.result]},
            note=_("录入随机值并抽取"),
        )
    draw.refresh_from_db()
    return draw


def chosen(draw: Draw) -> list[str]:
    """The ids drawn for the places, in order."""
    return list(draw.result[: draw.places])


def reserves(draw: Draw) -> list[str]:
    """The ids next in line, in order (called when someone drawn declines or cannot serve)."""
    return list(draw.result[draw.places : draw.places + draw.reserves])


@dataclass(frozen=True)
class Verification:
    hash_ok: bool
    result_ok: bool
    expected_hash: str
    expected_result: list[str]

    @property
    def ok(self) -> bool:
        return self.hash_ok and self.result_ok


def verify(draw: Draw) -> Verification:
    """Recompute the hash from the stored list and the ranking from list + value."""
    expected_hash = list_hash(draw.purpose, draw.places, draw.reserves, draw.candidates)
    expected = rank(draw.candidates, draw.random_value) if draw.status == DrawStatus.DRAWN else []
    return Verification(
        hash_ok=expected_hash == draw.candidates_hash,
        result_ok=expected == list(draw.result),
        expected_hash=expected_hash,
        expected_result=expected,
    )


def ticket_probability_note() -> str:
    """One sentence for pages that explain the rule."""
    return _(
        "每个候选按权重持有若干“签”，每支签的键值为SHA-256（编号/随机值[/签序号]），取最小键值排序，权重越大越靠前的概率越高。"
    )
