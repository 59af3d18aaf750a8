"""Run-time fault schedules and per-account quotas of the simulated regions.

Both are shared by the request threads and the control endpoint, so every
method takes the object's lock. Times are seconds since the simulator became
ready (``now_s``).
"""

import random
import threading
from typing import Optional

from .world import STREAM_ONLY_FAULTS, Fault


class FaultTable:
    """The fault list of every region; the control endpoint may replace one."""

    def __init__(self, regions, seed: int):
        self._lock = threading.Lock()
        self._faults = {r.name: tuple(r.faults) for r in regions}
        self._random = random.Random(seed)

    def replace(self, region: str, faults: tuple) -> None:
        with self._lock:
            self._faults[region] = tuple(faults)

    def snapshot(self) -> dict:
        with self._lock:
            return {name: [f.to_json() for f in faults] for name, faults in self._faults.items()}

    def is_down(self, region: str, now_s: float) -> bool:
        """Whether a ``down`` window covers ``now_s`` (its rate is ignored)."""
        with self._lock:
            return any(f.kind == "down" and f.active(now_s) for f in self._faults[region])

    def pick(self, region: str, now_s: float, streaming: bool) -> Optional[Fault]:
        """The fault that hits one request, if any: the first active fault in list
        order that applies to the operation and wins its ``rate`` draw."""
        with self._lock:
            for fault in self._faults[region]:
                if fault.kind == "down" or not fault.active(now_s):
                    continue
                if fault.kind in STREAM_ONLY_FAULTS and not streaming:
                    continue
                if self._random.random() < fault.rate:
                    return fault
        return None


class TokenBucket:
    """Holds up to ``per_minute`` tokens and refills them evenly over a minute."""

    def __init__(self, per_minute: int, now_s: float):
        self._capacity = float(per_minute)
        self._tokens = float(per_minute)
        self._refill_per_s = per_minute / 60.0
        self._updated_s = now_s

    def _refill(self, now_s: float) -> None:
        self._tokens = min(self._capacity, self._tokens + (now_s - self._updated_s) * self._refill_per_s)
        self._updated_s = now_s

    def available(self, amount: float, now_s: float) -> bool:
        self._refill(now_s)
        return self._tokens >= min(amount, self._capacity)

    def take(self, amount: float) -> None:
        self._tokens -= amount


class QuotaBook:
    """Requests-per-minute and tokens-per-minute buckets per (region, account)."""

    def __init__(self, regions):
        self._lock = threading.Lock()
        self._quotas = {r.name: r.quotas for r in regions}
        self._buckets = {}

    def admit(self, region: str, account_id: str, tokens: int, now_s: float) -> Optional[str]:
        """Charge one request of ``tokens`` tokens; returns None when admitted, or
        "requests" / "tokens" naming the exhausted quota (nothing is charged)."""
        quota = self._quotas[region]
        with self._lock:
            checks = []
            for unit, per_minute, amount in (("requests", quota.rpm, 1), ("tokens", quota.tpm, tokens)):
                if per_minute is None:
                    continue
                key = (region, account_id, unit)
                bucket = self._buckets.setdefault(key, TokenBucket(per_minute, now_s))
                if not bucket.available(amount, now_s):
                    return unit
                checks.append((bucket, amount))
            for bucket, amount in checks:
                bucket.take(amount)
        return None
