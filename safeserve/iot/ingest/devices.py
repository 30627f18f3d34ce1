"""Device secrets and the per-process device cache of the ingestion pipeline."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from ..models import Device, DeviceProfile, iot_setting

# ----------------------------------------------------------------------------- device secrets


def hash_secret(secret: str) -> str:
    """SHA-256 of a 256-bit random secret. High entropy makes a slow KDF unnecessary (see ADR 0006)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


# ----------------------------------------------------------------------------- device cache


@dataclass
class DeviceInfo:
    id: int
    code: str
    enterprise_id: int
    town_id: int
    secret_hash: str
    is_active: bool
    thresholds: dict
    last_seen_at: Any = None


class DeviceCache:
    """Devices by code, per process. Changed devices and profiles are re-read every few seconds.

    A secret is hashed once per device and the verified value remembered; rotating a secret
    changes ``updated_at``, which drops the entry at the next refresh (immediately in this process).
    """

    def __init__(self):
        self.clear()

    def clear(self):
        self._by_code: dict[str, DeviceInfo] = {}
        self._verified: dict[str, str] = {}
        self._missing: dict[str, float] = {}
        self._checked = time.monotonic()
        self._since = timezone.now()
        self._count = 0

    def invalidate(self, code: str):
        self._by_code.pop(code, None)
        self._verified.pop(code, None)
        self._missing.pop(code, None)

    def _refresh(self):
        now_mono = time.monotonic()
        if now_mono - self._checked < iot_setting("DEVICE_CACHE_SECONDS"):
            return
        since = self._since - timedelta(seconds=2)
        self._checked, self._since = now_mono, timezone.now()
        count = Device.objects.count()
        if DeviceProfile.objects.filter(updated_at__gte=since).exists() or count < self._count:
            self._by_code.clear()  # a profile changed or a device was deleted: start afresh
            self._verified.clear()
        else:
            changed = dict(Device.objects.filter(updated_at__gte=since).values_list("pk", "code"))
            for code in [c for c, info in self._by_code.items() if info.id in changed] + list(changed.values()):
                self.invalidate(code)  # by id too: a device whose code changed drops its old code
        self._count = count
        self._missing = {c: t for c, t in self._missing.items() if t > now_mono}

    def get_many(self, codes) -> dict[str, DeviceInfo]:
        self._refresh()
        now_mono = time.monotonic()
        wanted = {c for c in codes if c and c not in self._by_code and self._missing.get(c, 0) <= now_mono}
        if wanted:
            found = Device.objects.filter(code__in=wanted).select_related("profile", "enterprise")
            for d in found:
                self._by_code[d.code] = DeviceInfo(
                    id=d.pk,
                    code=d.code,
                    enterprise_id=d.enterprise_id,
                    town_id=d.enterprise.town_id,
                    secret_hash=d.secret_hash,
                    is_active=d.is_active,
                    thresholds=d.thresholds(),
                    last_seen_at=d.last_seen_at,
                )
            for c in wanted - {d.code for d in found}:
                self._missing[c] = now_mono + iot_setting("DEVICE_CACHE_SECONDS")
        return {c: self._by_code[c] for c in codes if c in self._by_code}

    def verify(self, info: DeviceInfo, secret: str) -> bool:
        if not secret.isascii():  # our secrets are URL-safe base64; compare_digest refuses non-ASCII str
            return False
        known = self._verified.get(info.code)
        if known is not None and hmac.compare_digest(known, secret):
            return True
        if hmac.compare_digest(hash_secret(secret), info.secret_hash):
            self._verified[info.code] = secret
            return True
        return False


device_cache = DeviceCache()
