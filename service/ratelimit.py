"""In-process rate limiting by key (API client, sign-in address), answering how long to wait."""

import math
import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` requests per `per` seconds per key, with bursts up to `rate`. Per process: each web process limits alone."""

    def __init__(self, rate: int, per: float = 60.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.rate, self.per, self.clock, self.max_keys = rate, per, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        """0 if allowed now, else the whole seconds to wait before trying again."""
        now = self.clock()
        refill_per_second = self.rate / self.per
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - last) * refill_per_second)
            if tokens >= 1:
                self._store(key, tokens - 1, now)
                return 0
            self._store(key, tokens, now)
            return max(1, math.ceil((1 - tokens) / refill_per_second))

    def reset(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)

    def _store(self, key: str, tokens: float, now: float) -> None:
        if len(self._buckets) >= self.max_keys and key not in self._buckets:
            self._buckets.clear()  # bounded memory under a flood of distinct keys
        self._buckets[key] = (tokens, now)
