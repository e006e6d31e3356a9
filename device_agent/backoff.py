"""Bounded exponential backoff with jitter, so a fleet does not reconnect in lockstep."""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, min_delay: float, max_delay: float, rng: random.Random | None = None):
        if not 0 < min_delay <= max_delay:
            raise ValueError("need 0 < min_delay <= max_delay")
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """Delay before the next attempt: doubles per failure, capped, jittered in [50%, 100%]."""
        ceiling = min(self.max_delay, self.min_delay * (2 ** min(self.attempts, 32)))
        self.attempts += 1
        return ceiling * self._rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempts = 0
