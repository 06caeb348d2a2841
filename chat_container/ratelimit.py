"""Per-sender message rate limit: a token bucket per key, kept as one GCRA time per key.

Pure: the caller passes the clock. A bucket of `burst` messages refills at `rate_per_s`; a key
whose bucket is full again is forgotten, so memory is bounded by the keys active in the last
burst / rate seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RatePolicy:
    """Sustained messages per second, and how many may come at once."""

    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(f"a rate limit needs rate_per_s > 0 and burst >= 1, got {self}")


# A client types; 20 at once and 5 a second after that is far beyond a person. Support staff
# answer many conversations (the benchmark's administrator sends 100 a second).
CLIENT_SENDS = RatePolicy(5.0, 20)
ADMIN_SENDS = RatePolicy(200.0, 400)


@dataclass
class RateLimiter:
    """GCRA: each key's theoretical arrival time (TAT) may run at most burst - 1 intervals ahead."""

    policy: RatePolicy
    _tat: dict[str, float] = field(default_factory=dict)
    _next_prune: float = 0.0

    def acquire(self, key: str, now: float) -> float:
        """0.0 when one message for key is allowed now, else the seconds until it would be."""
        interval = 1.0 / self.policy.rate_per_s
        tolerance = interval * (self.policy.burst - 1)
        tat = max(self._tat.get(key, now), now)
        if tat - now > tolerance:
            return tat - now - tolerance
        self._tat[key] = tat + interval
        if now >= self._next_prune:  # at most once a second: forget keys with a full bucket
            self._next_prune = now + 1.0
            for stale in [k for k, t in self._tat.items() if t <= now]:
                del self._tat[stale]
        return 0.0

    def __len__(self) -> int:
        return len(self._tat)
