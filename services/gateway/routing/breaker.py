"""A circuit breaker per upstream: after ``threshold`` consecutive failures calls fail fast
for ``reset_s``; then one trial call decides whether it closes again."""

from __future__ import annotations

import time


class Breaker:
    def __init__(self, threshold: int, reset_s: float) -> None:
        self.threshold = threshold
        self.reset_s = reset_s
        self.failures = 0
        self.open_until = 0.0

    def retry_after(self) -> float | None:
        """Seconds to wait when open (calls refused), else None."""
        if self.failures < self.threshold:
            return None
        remaining = self.open_until - time.monotonic()
        if remaining > 0:
            return remaining
        # half-open: let this call through as the trial, keep the others out meanwhile
        self.open_until = time.monotonic() + self.reset_s
        return None

    def success(self) -> None:
        self.failures = 0

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.open_until = time.monotonic() + self.reset_s
